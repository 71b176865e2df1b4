/**
 * The WebGPU detection ladder: navigator.gpu -> secure context -> adapter -> device.
 * Each rung fails with its own typed error so the UI can say exactly what is missing.
 *
 * We request the device ourselves, at the adapter's limits, instead of letting tfjs do it:
 * tfjs-webgpu 4.22 asks for default limits, and on 8-storage-buffer adapters (SwiftShader)
 * ops such as AddN with many inputs then silently return zeros (docs/testing-webgpu.md, pitfall 1).
 */
import {
  AdapterUnavailableError,
  DeviceRequestError,
  GpuError,
  InsecureContextError,
  WebGPUUnavailableError,
} from './gpu-errors';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** A short human name, e.g. "google swiftshader (fallback)". */
  name: string;
  features: string[];
  maxStorageBuffersPerShaderStage: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

export type WebGPUDetection =
  | { ok: true; adapter: GPUAdapter; device: GPUDevice; summary: AdapterSummary }
  | { ok: false; error: GpuError };

/** Limits we raise to the adapter's maxima when the adapter offers more than the defaults. */
const LIMITS_TO_RAISE = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups' as GPUFeatureName];

export interface DetectOptions {
  /** The GPU entry point; defaults to navigator.gpu. Node tests pass the `webgpu` package's; null means none. */
  gpu?: GPU | null;
  /** Whether the page runs in a secure context; defaults to globalThis.isSecureContext. */
  secureContext?: boolean;
  origin?: string;
}

export async function detectWebGPU(options: DetectOptions = {}): Promise<WebGPUDetection> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  const gpu = options.gpu === undefined ? nav?.gpu : options.gpu;
  const secure = options.secureContext ?? (globalThis as { isSecureContext?: boolean }).isSecureContext ?? true;
  if (!gpu) {
    const origin = options.origin ?? (globalThis as { location?: Location }).location?.origin ?? 'this page';
    return { ok: false, error: secure ? new WebGPUUnavailableError() : new InsecureContextError(origin) };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) return { ok: false, error: new AdapterUnavailableError() };

  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_RAISE) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'engram' });
  } catch (cause) {
    return { ok: false, error: new DeviceRequestError(cause) };
  }
  return { ok: true, adapter, device, summary: summarizeAdapter(adapter) };
}

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const vendor = info?.vendor || 'unknown vendor';
  const architecture = info?.architecture || '';
  const fallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter);
  const name = [vendor, architecture || info?.device || info?.description].filter(Boolean).join(' ') + (fallback ? ' (software fallback)' : '');
  return {
    vendor,
    architecture,
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: fallback,
    name,
    features: [...adapter.features].map(String).sort(),
    maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}
