/**
 * The app's data files (probes, held-out text, teach packs, the per-relation background), fetched next to the page and kept in this browser's
 * cache with the checkpoint (src/model/checkpoint-cache.ts); a pack is parsed once.
 */
import { PACK_NAMES, type PackFact, type PackName } from '../facts/fact';
import { cachedFetch } from '../model/checkpoint-cache';
import { parseJsonl } from './eval-runner';

export class DataFiles {
  private readonly packs = new Map<PackName, PackFact[]>();

  constructor(
    private readonly dataUrl: string,
    private readonly modelSha: string,
  ) {}

  async text(path: string): Promise<string> {
    const url = new URL(path, this.dataUrl).href;
    const response = await cachedFetch(url, this.modelSha); // kept with the checkpoint's cache (checkpoint-cache.ts)
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}; the app's data files are missing.`);
    return response.text();
  }

  async bytes(path: string): Promise<Uint8Array> {
    const url = new URL(path, this.dataUrl).href;
    const response = await cachedFetch(url, this.modelSha);
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}; the app's data files are missing.`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async pack(name: PackName): Promise<PackFact[]> {
    if (!PACK_NAMES.includes(name)) throw new Error(`unknown teach pack "${name}"`);
    let facts = this.packs.get(name);
    if (!facts) {
      facts = parseJsonl<PackFact>(await this.text(`packs/${name}.jsonl`));
      this.packs.set(name, facts);
    }
    return facts;
  }
}
