/**
 * Typed GPU failures, each with a message that tells the user what to do.
 * The app maps every one of these to a visible panel (docs/architecture.md §3); nothing here imports React.
 */

export type GpuErrorKind =
  | 'webgpu-unavailable'
  | 'insecure-context'
  | 'adapter-unavailable'
  | 'device-request-failed'
  | 'device-lost'
  | 'shader-compile'
  | 'gpu-validation'
  | 'gpu-out-of-memory'
  | 'tfjs-internals';

export class GpuError extends Error {
  constructor(
    readonly kind: GpuErrorKind,
    message: string,
    /** What the user can do about it, shown under the message. */
    readonly remedy: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

export class WebGPUUnavailableError extends GpuError {
  constructor() {
    super(
      'webgpu-unavailable',
      'This browser does not expose WebGPU (navigator.gpu is missing).',
      'Use a recent Chrome, Edge or Safari, or Firefox with WebGPU enabled. Engram runs on the CPU meanwhile (slower, same results).',
    );
  }
}

export class InsecureContextError extends GpuError {
  constructor(origin: string) {
    super(
      'insecure-context',
      `WebGPU is only available on secure pages, and ${origin} is not one.`,
      'Open Engram over https:// or from http://localhost. Engram runs on the CPU meanwhile.',
    );
  }
}

export class AdapterUnavailableError extends GpuError {
  constructor() {
    super(
      'adapter-unavailable',
      'WebGPU is present but no GPU adapter was granted (the GPU may be blocklisted or disabled).',
      'Check chrome://gpu, update your graphics driver, or enable WebGPU in the browser flags. Engram runs on the CPU meanwhile.',
    );
  }
}

export class DeviceRequestError extends GpuError {
  constructor(cause: unknown) {
    super(
      'device-request-failed',
      `The GPU adapter refused to create a device: ${describe(cause)}`,
      'Close other GPU-heavy tabs and reload. Engram runs on the CPU meanwhile.',
    );
  }
}

export class DeviceLostError extends GpuError {
  constructor(readonly reason: string, detail: string) {
    super(
      'device-lost',
      `The GPU device was lost (${reason}${detail ? `: ${detail}` : ''}).`,
      'This is often the GPU running out of memory or a driver reset. Engram rebuilds the GPU state and restores your taught facts.',
    );
  }
}

export class ShaderCompileError extends GpuError {
  constructor(
    readonly kernel: string,
    readonly line: number,
    readonly column: number,
    detail: string,
  ) {
    super('shader-compile', `Kernel "${kernel}" failed to compile at line ${line}:${column}: ${detail}`, 'This is a bug in Engram; please report it with your browser and GPU name.');
  }
}

export class GpuValidationError extends GpuError {
  constructor(readonly kernel: string, detail: string) {
    super('gpu-validation', `Kernel "${kernel}" was rejected by the GPU: ${detail}`, 'This is a bug in Engram; please report it with your browser and GPU name.');
  }
}

export class GpuOutOfMemoryError extends GpuError {
  constructor(what: string, bytes: number) {
    super(
      'gpu-out-of-memory',
      `The GPU ran out of memory allocating ${what} (${(bytes / 2 ** 20).toFixed(1)} MiB).`,
      'Close other GPU-heavy tabs, or pick a smaller memory in the settings.',
    );
  }
}

/** The WebGPU error filters our kernel submissions are scoped with (src/gpu/error-scopes.ts). */
export type KernelErrorType = 'validation' | 'out-of-memory' | 'internal';

/**
 * The GPU rejected (validation, internal) or could not find memory for (out-of-memory) a submission of one of
 * Engram's own WGSL kernels, caught by the error scopes around it. The learning step that ran it is rolled back
 * before this reaches the user, so the memory is as it was before the fact.
 */
export class KernelError extends GpuError {
  constructor(
    /** The kernel whose submission failed: memory-lookup, value-read, read-backward, sparse-update, write-rows, owned-copy. */
    readonly kernel: string,
    readonly errorType: KernelErrorType,
    /** The GPU's own message. */
    readonly gpuMessage: string,
  ) {
    const oom = errorType === 'out-of-memory';
    super(
      oom ? 'gpu-out-of-memory' : 'gpu-validation',
      oom
        ? `The GPU ran out of memory running Engram's "${kernel}" kernel, so this fact was not taught: ${gpuMessage}`
        : `The GPU rejected Engram's "${kernel}" kernel (${errorType} error), so this fact was not taught: ${gpuMessage}`,
      oom
        ? 'The memory is as it was before this fact. Close other GPU-heavy tabs or pick a smaller memory in the settings, then teach the fact again.'
        : 'The memory is as it was before this fact. Reload the page and teach the fact again; if it happens again, open Engram with ?backend=wasm (the CPU backend, same results) and please report it with your browser and GPU name.',
    );
    this.name = 'KernelError';
  }
}

/**
 * The installed tfjs lacks internals that Engram's WebGPU path reads (src/gpu/tf-interop.ts): a tfjs version
 * other than the one package.json pins. Raised when the WebGPU backend starts; the app then runs on the CPU.
 */
export class TfjsInternalsError extends GpuError {
  constructor(
    readonly tfjsVersion: string,
    readonly testedVersion: string,
    readonly missing: readonly string[],
  ) {
    super(
      'tfjs-internals',
      `Engram's WebGPU path needs parts of tfjs-backend-webgpu that tfjs ${tfjsVersion} does not have (${missing.join('; ')}); it was built and tested with tfjs ${testedVersion}.`,
      `Engram runs on the CPU meanwhile. If you build Engram yourself, install the tfjs version package.json pins (${testedVersion}) with npm ci.`,
    );
    this.name = 'TfjsInternalsError';
  }
}

export function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
