/**
 * The start-up check of the tfjs internals that src/gpu/tf-interop.ts uses: it passes a backend that has them,
 * names each one that is missing in a typed error with the tfjs version, and the installed and pinned tfjs are
 * the version the module was tested with. (test/gpu/tf-backend.test.ts runs it on a real WebGPU backend.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { GpuError, TfjsInternalsError } from '../../src/gpu/gpu-errors';
import { checkTfjsInternals, missingTfjsInternals, TESTED_TFJS_VERSION } from '../../src/gpu/tf-interop';

/** A stand-in for WebGPUBackend with exactly the internals tf-interop.ts reads. */
function fakeBackend() {
  const tensorMap = new Map<object, { values: unknown; resource?: unknown }>();
  const disposed: object[] = [];
  const backend = {
    device: { createCommandEncoder: () => ({}) },
    queue: { submit: () => undefined },
    tensorMap,
    bufferManager: { numBytesUsed: 0, numBytesAllocated: 0, numFreeBuffers: 0, freeBuffers: new Map() },
    submitQueue: () => undefined,
    ensureCommandEncoderReady: () => undefined,
    endComputePassEncoder: () => undefined,
    refCount: () => 1,
    makeTensorInfo(shape: number[], dtype: string, values: unknown) {
      const dataId = {};
      tensorMap.set(dataId, { values });
      return { dataId, shape, dtype };
    },
    uploadToGPU(dataId: object) {
      tensorMap.get(dataId)!.resource = { mapState: 'unmapped', size: 4 };
    },
    disposeData(dataId: object) {
      disposed.push(dataId);
      return tensorMap.delete(dataId);
    },
  };
  return { backend, disposed };
}

function errorOf(fn: () => unknown): TfjsInternalsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TfjsInternalsError) return error;
    throw error;
  }
  throw new Error('expected a TfjsInternalsError');
}

describe('checkTfjsInternals', () => {
  it('passes a backend with every internal and frees its probe tensor', () => {
    const { backend, disposed } = fakeBackend();
    expect(checkTfjsInternals(backend, '4.22.0')).toBe(backend);
    expect(disposed).toHaveLength(1);
    expect(backend.tensorMap.size).toBe(0);
    expect(checkTfjsInternals(backend, '4.22.0')).toBe(backend); // checked once per backend
    expect(disposed).toHaveLength(1);
    expect(missingTfjsInternals(backend)).toEqual([]);
  });

  it('names each missing field and method, with the installed and the tested tfjs version', () => {
    const { backend } = fakeBackend();
    const broken = { ...backend, submitQueue: undefined, bufferManager: { numBytesUsed: 0, numBytesAllocated: 0, numFreeBuffers: 0 } };
    const error = errorOf(() => checkTfjsInternals(broken, '5.0.0'));
    expect(error).toBeInstanceOf(GpuError);
    expect(error.kind).toBe('tfjs-internals');
    expect(error.missing).toEqual(['backend.submitQueue()', 'backend.bufferManager.freeBuffers (a Map)']);
    expect(error.message).toContain('tfjs 5.0.0');
    expect(error.message).toContain(`tested with tfjs ${TESTED_TFJS_VERSION}`);
    expect(error.message).toContain('submitQueue()');
    expect(error.remedy).toMatch(/CPU/);
  });

  it('finds a tensorMap entry that no longer keeps its GPUBuffer in `resource`', () => {
    const { backend } = fakeBackend();
    backend.uploadToGPU = (dataId: object) => {
      backend.tensorMap.get(dataId)!.resource = undefined; // e.g. a renamed field
    };
    expect(missingTfjsInternals(backend)).toEqual(['backend.tensorMap entry .resource (a GPUBuffer after uploadToGPU)']);
    expect(backend.tensorMap.size).toBe(0); // the probe is freed on failure too
  });

  it('refuses something that is not a backend at all', () => {
    expect(errorOf(() => checkTfjsInternals(undefined, '4.22.0')).missing).toEqual(['the backend is not an object']);
    expect(missingTfjsInternals({}).length).toBeGreaterThan(5);
  });

  it('the installed tfjs-backend-webgpu class has the methods the check looks for', () => {
    for (const name of ['submitQueue', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'uploadToGPU', 'makeTensorInfo', 'refCount', 'disposeData']) {
      expect(typeof (WebGPUBackend.prototype as unknown as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('package.json pins exactly the tfjs version the internals were tested with, and that version is installed', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm']) {
      expect(pkg.dependencies[name], `${name} in package.json`).toBe(TESTED_TFJS_VERSION);
      const installed = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string };
      expect(installed.version, `installed ${name}`).toBe(TESTED_TFJS_VERSION);
    }
  });
});
