/**
 * Loading the shipped checkpoint: public/model/config.json (model config, file list with byte sizes and sha256,
 * training record) and the fp16 safetensors it names. The same code runs in the page, the worker and Node; only
 * the ByteSource differs (fetch in the browser, the file system in Node: checkpoint-node.ts).
 *
 * Every failure is a CheckpointError whose `kind` says what went wrong and whose message says what to do.
 */
import { parseModelConfig, nSlots, type ModelConfig } from './config';
import { parseSafetensors, type RawTensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'engram-checkpoint/1';

export type CheckpointErrorKind = 'missing' | 'truncated' | 'checksum' | 'mismatch' | 'format';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly kind: CheckpointErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface CheckpointFileEntry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface CheckpointManifest {
  readonly format: string;
  readonly model: unknown;
  readonly files: { readonly weights: CheckpointFileEntry };
  /** Background document frequency (docs/method.md §2 step 4): the tensor name and how it was measured. */
  readonly background?: { readonly tensor: string; readonly batches: number; readonly batchTokens: number; readonly [k: string]: unknown };
  /** What the trainer recorded: command, wall time, tokens seen, final losses. Informational. */
  readonly training?: Record<string, unknown>;
}

export interface Checkpoint {
  readonly manifest: CheckpointManifest;
  readonly config: ModelConfig;
  readonly tensors: ReadonlyMap<string, RawTensor>;
  /** df(i) over the background batches, or null when the checkpoint ships none. */
  readonly backgroundDf: Uint16Array | Uint32Array | null;
}

export type ProgressCallback = (loadedBytes: number, totalBytes: number | undefined, file: string) => void;

/** Where checkpoint files come from. `read` must throw CheckpointError('missing') for an absent file. */
export interface ByteSource {
  readonly describe: string;
  read(path: string, onProgress?: (loaded: number, total: number | undefined) => void): Promise<Uint8Array>;
}

/** A ByteSource over HTTP(S) (the page and the worker). Streams the body so progress can be reported. */
export function fetchSource(baseUrl: string): ByteSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    describe: base,
    async read(path, onProgress) {
      const url = base + path;
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new CheckpointError('missing', `could not fetch ${url}: ${String(error)}. Check the network and that the app is served with public/model/.`);
      }
      if (!response.ok) {
        throw new CheckpointError('missing', `${url} answered HTTP ${response.status}. The model files are missing from public/model/; restore them from git.`);
      }
      const header = response.headers.get('content-length');
      const total = header ? Number(header) : undefined;
      if (!response.body) return new Uint8Array(await response.arrayBuffer());
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        onProgress?.(loaded, total);
      }
      const out = new Uint8Array(loaded);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      return out;
    },
  };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function loadCheckpoint(source: ByteSource, options: { onProgress?: ProgressCallback; configPath?: string } = {}): Promise<Checkpoint> {
  const configPath = options.configPath ?? 'config.json';
  const manifestBytes = await source.read(configPath);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as CheckpointManifest;
  } catch (error) {
    throw new CheckpointError('format', `${source.describe}${configPath} is not valid JSON (${String(error)}); restore it from git.`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError('format', `${configPath} has format "${String(manifest.format)}", expected "${CHECKPOINT_FORMAT}".`);
  }
  let config: ModelConfig;
  try {
    config = parseModelConfig(manifest.model);
  } catch (error) {
    throw new CheckpointError('format', `${configPath}: ${(error as Error).message}`);
  }
  const entry = manifest.files?.weights;
  if (!entry?.path || !entry.sha256 || !Number.isInteger(entry.bytes)) {
    throw new CheckpointError('format', `${configPath} must list files.weights with path, bytes and sha256.`);
  }
  const bytes = await source.read(entry.path, (loaded, total) => options.onProgress?.(loaded, total ?? entry.bytes, entry.path));
  options.onProgress?.(bytes.byteLength, entry.bytes, entry.path);
  if (bytes.byteLength < entry.bytes) {
    throw new CheckpointError(
      'truncated',
      `${entry.path} is ${bytes.byteLength} bytes, expected ${entry.bytes}: the download or checkout was cut short. Fetch it again (git lfs is not used; a plain git checkout restores it).`,
    );
  }
  if (bytes.byteLength > entry.bytes) {
    throw new CheckpointError('mismatch', `${entry.path} is ${bytes.byteLength} bytes, expected ${entry.bytes}: it does not belong to this config.json.`);
  }
  const digest = await sha256Hex(bytes);
  if (digest !== entry.sha256) {
    throw new CheckpointError(
      'checksum',
      `${entry.path} has sha256 ${digest.slice(0, 12)}…, config.json expects ${entry.sha256.slice(0, 12)}…: the file is corrupted or from another training run. Restore both files from the same commit.`,
    );
  }
  let tensors: ReadonlyMap<string, RawTensor>;
  try {
    tensors = parseSafetensors(bytes).tensors;
  } catch (error) {
    throw new CheckpointError('format', `${entry.path}: ${(error as Error).message}`);
  }
  checkShapes(config, tensors);
  let backgroundDf: Checkpoint['backgroundDf'] = null;
  if (manifest.background) {
    const df = tensors.get(manifest.background.tensor);
    if (!df || (df.dtype !== 'U16' && df.dtype !== 'U32') || df.shape[0] !== nSlots(config)) {
      throw new CheckpointError('mismatch', `background statistics "${manifest.background.tensor}" must be a U16/U32 vector of ${nSlots(config)} slots.`);
    }
    backgroundDf = df.data as Uint16Array | Uint32Array;
  }
  return { manifest, config, tensors, backgroundDf };
}

/** The tensor names and shapes the model expects for `cfg` (train/model.py export_state writes them). */
export function expectedShapes(cfg: ModelConfig): Map<string, number[]> {
  const D = cfg.dModel;
  const m = new Map<string, number[]>([
    ['tok_emb', [cfg.vocabSize, D]],
    ['pos_emb', [cfg.context, D]],
    ['ln_f', [D]],
  ]);
  if (cfg.memoryLayers.length > 0) m.set('mem_values', [nSlots(cfg), cfg.valueDim]);
  for (let i = 0; i < cfg.nLayers; i++) {
    const p = `blocks.${i}.`;
    m.set(`${p}ln1`, [D]);
    m.set(`${p}attn.qkv`, [3 * D, D]);
    m.set(`${p}attn.proj`, [D, D]);
    if (cfg.ffnLayers.includes(i)) {
      m.set(`${p}ln2`, [D]);
      m.set(`${p}ffn.w1`, [cfg.ffnHidden, D]);
      m.set(`${p}ffn.w3`, [cfg.ffnHidden, D]);
      m.set(`${p}ffn.w2`, [D, cfg.ffnHidden]);
    } else if (cfg.memoryLayers.includes(i)) {
      m.set(`${p}ln2`, [D]);
      m.set(`${p}mem.query.weight`, [cfg.memHeads * cfg.keyDim, D]);
      m.set(`${p}mem.query.bias`, [cfg.memHeads * cfg.keyDim]);
      m.set(`${p}mem.keys`, [cfg.memHeads, 2, cfg.nKeys, cfg.keyDim / 2]);
      m.set(`${p}mem.w1`, [cfg.valueDim, D]);
      m.set(`${p}mem.w2`, [D, cfg.valueDim]);
    }
  }
  return m;
}

function checkShapes(cfg: ModelConfig, tensors: ReadonlyMap<string, RawTensor>): void {
  for (const [name, shape] of expectedShapes(cfg)) {
    const t = tensors.get(name);
    if (!t) throw new CheckpointError('mismatch', `the weights file has no tensor "${name}" that config.json's model needs.`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new CheckpointError('mismatch', `tensor "${name}" has shape [${t.shape}], config.json implies [${shape}].`);
    }
  }
}
