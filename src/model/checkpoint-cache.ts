/**
 * A second visit should not download the 74 MB checkpoint again. The weights, the tokenizer and the data files
 * are kept in the Cache API under one cache per checkpoint, named by the weights' sha256 from config.json
 * (config.json itself is always fetched: it is small and says which cache to use). Weights are stored only
 * after loadCheckpoint has checked their size and sha256; a cached copy that fails the check is dropped and
 * fetched again. When a new checkpoint ships, caches of other checkpoints are deleted.
 *
 * Where the Cache API is missing (an insecure origin, some private modes) everything is fetched as before.
 */
import type { ByteSource } from './checkpoint';

export const CACHE_PREFIX = 'engram-checkpoint-';

function cacheStorage(): CacheStorage | undefined {
  return typeof caches === 'undefined' ? undefined : caches;
}

async function openCache(sha256: string): Promise<Cache | undefined> {
  try {
    return await cacheStorage()?.open(CACHE_PREFIX + sha256);
  } catch {
    return undefined; // storage refused (private mode, quota): fetch as before
  }
}

export interface CachingSource extends ByteSource {
  /** True when the weights came from this browser's cache rather than the network. */
  readonly fromCache: boolean;
  /** Stores what was fetched (call once the checkpoint passed its checks) and drops other checkpoints' caches. */
  commit(): Promise<void>;
  /** Forgets this checkpoint's cache (its copy failed a check). */
  discard(): Promise<void>;
}

/** Wraps fetchSource(baseUrl) (its `describe` is the base URL): config.json from the network, the weights from the cache when there. */
export function cachingSource(inner: ByteSource, configPath = 'config.json'): CachingSource {
  let sha256: string | undefined;
  let fromCache = false;
  const pending = new Map<string, Uint8Array>();
  return {
    describe: inner.describe,
    get fromCache() {
      return fromCache;
    },
    async read(path, onProgress) {
      if (path === configPath) {
        const bytes = await inner.read(path, onProgress);
        try {
          sha256 = (JSON.parse(new TextDecoder().decode(bytes)) as { files?: { weights?: { sha256?: string } } }).files?.weights?.sha256;
        } catch {
          sha256 = undefined; // loadCheckpoint reports the bad JSON
        }
        return bytes;
      }
      const cache = sha256 ? await openCache(sha256) : undefined;
      const hit = await cache?.match(inner.describe + path).catch(() => undefined);
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        fromCache = true;
        onProgress?.(bytes.byteLength, bytes.byteLength);
        return bytes;
      }
      const bytes = await inner.read(path, onProgress);
      pending.set(path, bytes);
      return bytes;
    },
    async commit() {
      if (!sha256) return;
      const cache = await openCache(sha256);
      if (!cache) return;
      try {
        for (const [path, bytes] of pending) await cache.put(inner.describe + path, new Response(bytes as Uint8Array<ArrayBuffer>));
        pending.clear();
        for (const name of await cacheStorage()!.keys()) if (name.startsWith(CACHE_PREFIX) && name !== CACHE_PREFIX + sha256) await cacheStorage()!.delete(name);
      } catch {
        // A full disk only costs the next visit a download.
      }
    },
    async discard() {
      if (sha256) await cacheStorage()?.delete(CACHE_PREFIX + sha256).catch(() => false);
    },
  };
}

/** fetch(url), answered from the checkpoint's cache when it holds the file; successful answers are stored. */
export async function cachedFetch(url: string, sha256: string): Promise<Response> {
  const cache = await openCache(sha256);
  const hit = await cache?.match(url).catch(() => undefined);
  if (hit) return hit;
  const response = await fetch(url);
  if (response.ok && cache) await cache.put(url, response.clone()).catch(() => undefined);
  return response;
}
