import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

/** What `startWebgpuInNode` found: the adapter's description and whether it is SwiftShader (a CPU). */
export interface WebgpuAdapterInfo {
  description: string;
  software: boolean;
}

// glibc's RTLD_NODELETE (Node's os.constants.dlopen does not list it): keeps a preloaded library resident.
const RTLD_NODELETE = 0x1000;

const SWIFTSHADER_PLACES = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium'];
const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
const SYSTEM_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

/**
 * SwiftShader's Vulkan ICD (the CPU Vulkan driver Chromium ships), or undefined. UNTANGLE_SWIFTSHADER_ICD
 * names it explicitly; otherwise Chromium's library folders are searched.
 */
export function findSwiftshaderIcd(): string | undefined {
  const explicit = process.env.UNTANGLE_SWIFTSHADER_ICD;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  for (const dir of SWIFTSHADER_PLACES) {
    const icd = join(dir, 'vk_swiftshader_icd.json');
    if (existsSync(icd)) return icd;
  }
  return undefined;
}

function hasSystemIcd(): boolean {
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return true;
  return SYSTEM_ICD_DIRS.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json')));
}

/**
 * Dawn opens `libvulkan.so.1` by name. Where the system has no Vulkan loader (no libvulkan1) but
 * Chromium ships one beside SwiftShader, load that copy first by path: later opens by soname reuse it.
 */
function ensureVulkanLoader(icd: string | undefined): void {
  if (process.platform !== 'linux' || SYSTEM_LOADERS.some((p) => existsSync(p))) return;
  if (icd == null) return;
  const loader = join(dirname(icd), 'libvulkan.so.1');
  if (!existsSync(loader)) return;
  try {
    process.dlopen({ exports: {} }, loader, constants.dlopen.RTLD_NOW | RTLD_NODELETE);
  } catch {
    // Not a Node addon, so dlopen "fails" after loading it; RTLD_NODELETE keeps it resident.
  }
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<DawnModule> {
  try {
    return (await import('webgpu' as string)) as DawnModule;
  } catch (error) {
    throw new Error(
      `backend webgpu needs the optional package \`webgpu\` (npm install webgpu): ${(error as Error).message}`,
    );
  }
}

async function describe(adapter: GPUAdapter): Promise<WebgpuAdapterInfo> {
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const description = info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : 'unknown';
  return { description, software: /swiftshader/i.test(description) };
}

let started: WebgpuAdapterInfo | undefined;

/**
 * Installs Dawn's WebGPU (the `webgpu` package) as `navigator.gpu` so tfjs-backend-webgpu can start in
 * Node. A real GPU's Vulkan driver is preferred; without one (or with UNTANGLE_WEBGPU=swiftshader)
 * SwiftShader is used. Throws one clear line when neither gives an adapter.
 */
export async function startWebgpuInNode(): Promise<WebgpuAdapterInfo> {
  if (started) return started;
  const icd = findSwiftshaderIcd();
  ensureVulkanLoader(icd);
  const dawn = await loadDawn();
  const forceSoftware = process.env.UNTANGLE_WEBGPU === 'swiftshader';
  let gpu: GPU | undefined;
  let adapter: GPUAdapter | null = null;
  if (!forceSoftware && hasSystemIcd()) {
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  }
  if (adapter == null && icd != null) {
    process.env.VK_ICD_FILENAMES = icd;
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter();
  }
  if (adapter == null || gpu == null) {
    throw new Error(
      'backend webgpu: no WebGPU adapter (no Vulkan GPU driver, and no SwiftShader ICD from chromium; use --backend wasm)',
    );
  }
  Object.assign(globalThis, dawn.globals);
  const chosen = gpu;
  // tfjs-backend-webgpu asks navigator.gpu again; hand it the instance that found the adapter.
  const navigatorLike = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(navigatorLike, 'gpu', { value: chosen, configurable: true });
  if ((globalThis as { navigator?: object }).navigator == null) {
    Object.defineProperty(globalThis, 'navigator', { value: navigatorLike, configurable: true });
  }
  started = await describe(adapter);
  return started;
}
