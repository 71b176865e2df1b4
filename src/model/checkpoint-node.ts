/**
 * The Node ByteSource for scripts and tests: reads checkpoint files from a directory (public/model by default).
 * Kept apart from checkpoint.ts so the browser bundle never imports node:fs.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError, type ByteSource } from './checkpoint';

export function directorySource(dir: string): ByteSource {
  const root = resolve(dir);
  return {
    describe: `${root}/`,
    async read(path, onProgress) {
      const file = join(root, path);
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch {
        throw new CheckpointError('missing', `${file} does not exist. Restore public/model/ from git (the trained checkpoint is committed).`);
      }
      const bytes = new Uint8Array(await readFile(file));
      onProgress?.(bytes.byteLength, size);
      return bytes;
    },
  };
}
