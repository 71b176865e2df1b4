/**
 * How the tests start Debian's Chromium (never a downloaded browser). --enable-unsafe-webgpu is what
 * makes requestAdapter() return SwiftShader on machines without a GPU (docs/testing-webgpu.md §1).
 * The software adapter is pinned so that every machine runs the same WebGPU; ENGRAM_WEBGPU_ADAPTER=default
 * lets Chromium pick the adapter itself (a real GPU where there is one).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const PIN_SOFTWARE_ADAPTER = process.env.ENGRAM_WEBGPU_ADAPTER !== 'default';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  ...(PIN_SOFTWARE_ADAPTER ? ['--use-webgpu-adapter=swiftshader'] : []),
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Same flags, WebGPU switched off: for the CPU-fallback tests. */
export const CHROMIUM_ARGS_NO_WEBGPU = CHROMIUM_ARGS.filter((a) => !a.includes('webgpu') && !a.includes('Vulkan')).concat('--disable-webgpu');
