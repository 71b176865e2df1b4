/**
 * Error scopes around every submission of Engram's own kernels on tfjs's GPUDevice. WebGPU never throws for a
 * rejected submission: without a scope the error reaches the device's `uncapturederror` event (which the app
 * reports as tfjs's, src/gpu/tf-backend.ts) and the caller goes on as if the kernel had run. Each submission
 * pushes one scope per filter (validation, out-of-memory, internal) and pops them right after its
 * queue.submit, in the same synchronous stretch of code, so only the errors of its own calls land in them
 * (tfjs's pending work is flushed before the scopes open). Popping returns promises; nothing waits on them
 * until the caller asks (`KernelErrorLog.check`), once per learning step, so scopes add no GPU round trip
 * per pass.
 */
import { KernelError, type KernelErrorType, describe } from './gpu-errors';

const FILTERS: readonly KernelErrorType[] = ['validation', 'out-of-memory', 'internal'];
/** Unchecked errors kept for the next check (the first is the one thrown). */
const MAX_KEPT = 16;

/**
 * The errors of our submissions since the last check. Only scopes still being popped and the errors they
 * found are kept, so a caller that never checks (a benchmark, an undo between facts) holds no growing list;
 * errors nobody checked are thrown by the next check.
 */
export class KernelErrorLog {
  private readonly inFlight = new Set<Promise<void>>();
  private errors: KernelError[] = [];

  /** Runs `submit` (encode + queue.submit or queue.writeBuffer on `device`) inside the scopes of `kernel`. */
  scoped<T>(device: GPUDevice, kernel: string, submit: () => T): T {
    for (const filter of FILTERS) device.pushErrorScope(filter);
    try {
      return submit();
    } finally {
      // Innermost first; a JS exception in `submit` still pops, so the device's scope stack stays balanced.
      const popped = [...FILTERS].reverse().map((filter) =>
        device.popErrorScope().then(
          (error) => (error ? new KernelError(kernel, filter, error.message) : null),
          (error: unknown) => new KernelError(kernel, filter, `popErrorScope failed: ${describe(error)}`),
        ),
      );
      const settled: Promise<void> = Promise.all(popped).then((found) => {
        this.inFlight.delete(settled);
        // validation before out-of-memory before internal
        const first = found.reverse().find((e) => e !== null);
        if (first && this.errors.length < MAX_KEPT) this.errors.push(first);
      });
      this.inFlight.add(settled);
    }
  }

  /**
   * Waits for the scopes of every submission so far and forgets what they found; throws the first KernelError
   * among them if the GPU rejected any submission.
   */
  async check(): Promise<void> {
    if (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    const [first] = this.errors;
    this.errors = [];
    if (first) throw first;
  }
}

/** How a test makes a kernel's submission fail (injectKernelFault). */
export type KernelFault = 'invalid-dispatch' | 'destroyed-buffer';

let fault: { kernel: string; mode: KernelFault; skip: number } | null = null;

/**
 * Test hook: the submission of `kernel` after `skip` others of it fails on the GPU, once. 'invalid-dispatch'
 * adds a dispatch with no pipeline set to its command encoder (a validation error at finish, so nothing in the
 * command buffer runs); 'destroyed-buffer' makes it use a buffer destroyed before the submit (a validation
 * error at submit). Pass null to clear.
 */
export function injectKernelFault(spec: { kernel: string; mode: KernelFault; skip?: number } | null): void {
  fault = spec ? { kernel: spec.kernel, mode: spec.mode, skip: spec.skip ?? 0 } : null;
}

/** The fault to inject into this submission of `kernel`, if a test asked for one (consumes it). */
export function takeKernelFault(kernel: string): KernelFault | null {
  if (!fault || fault.kernel !== kernel) return null;
  if (fault.skip > 0) {
    fault.skip--;
    return null;
  }
  const { mode } = fault;
  fault = null;
  return mode;
}

/** Encodes the injected fault into `encoder` (see injectKernelFault). */
export function encodeKernelFault(device: GPUDevice, encoder: GPUCommandEncoder, kernel: string, mode: KernelFault): void {
  if (mode === 'invalid-dispatch') {
    const pass = encoder.beginComputePass({ label: `${kernel}.injected-fault` });
    pass.dispatchWorkgroups(1); // no pipeline set
    pass.end();
    return;
  }
  const buffer = device.createBuffer({ label: `${kernel}.injected-fault`, size: 4, usage: GPUBufferUsage.COPY_DST });
  encoder.clearBuffer(buffer);
  buffer.destroy();
}
