import { WebRnnError } from '../errors.js';
import type { KernelChoices, KernelVariants, TuningMode } from './kernel-variants.js';

/** Where the device came from, for error messages and reports. */
export type Host = 'browser' | 'deno' | 'node';

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  host: Host;
  /** Keeps Dawn's GPU object alive in Node: if it is garbage-collected, the next submit crashes. */
  keepAlive: unknown;
}

/**
 * Sizes webrnn plans for, at most the device's own limits. Lower them to leave room for other work on
 * the device, or in tests to exercise the paths taken when a workload exceeds a limit.
 */
export interface LimitOverrides {
  /** Bytes one storage binding may cover (capped at the device's maxStorageBufferBindingSize). */
  maxStorageBufferBindingSize?: number;
  /** Bytes one buffer may hold (capped at the device's maxBufferSize). */
  maxBufferSize?: number;
}

export interface DeviceOptions {
  /** Use this device instead of requesting one (its adapter's limits are trusted as they are). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Lower the buffer limits webrnn plans for (see {@link LimitOverrides}); values above the device's are capped. */
  limits?: LimitOverrides;
  /**
   * Check every value uploaded from the CPU (engine.tensor data, loadStateDict weights, model inputs
   * and float targets) for NaN/±Infinity and throw WebRnnError('BAD_VALUE') naming the first one
   * (default false: one pass over the data per upload). Can be switched later with engine.checkFinite.
   */
  checkFinite?: boolean;
  /**
   * 'auto' (default): on first use of a kernel with variants at a shape class, time its variants on
   * this adapter (in the background; tuning time per engine at most 1 s plus 5% of the engine's age) and use the fastest from
   * then on; 'off': today's fixed choices (register-blocked matmul, the persistentWins grid rule).
   */
  tuning?: TuningMode;
  /** Force variants by kernel name, e.g. `{ matmul: 'tiled' }` (see KERNEL_VARIANTS); forced ones are never timed. */
  kernels?: KernelVariants;
  /** Choices saved from engine.kernelChoices() (on this adapter) to reuse instead of timing again. */
  kernelChoices?: KernelChoices;
  /**
   * Use the adapter's `subgroups` feature where it has it (default true): the split-k step variant then
   * adds its partial sums with subgroupAdd. false: never request it (workgroup-memory sums only); can be
   * switched later with engine.subgroups.
   */
  subgroups?: boolean;
}

const NO_ADAPTER_HELP =
  'WebGPU found no adapter. In a browser, use one with WebGPU enabled (Chrome 113+; headless Chromium needs ' +
  '--enable-unsafe-webgpu). On Linux without a GPU, install a software Vulkan driver: Debian/Ubuntu ' +
  '`mesa-vulkan-drivers` (Mesa lavapipe; on Debian 12 take version 24+ from bookworm-backports, since Dawn ' +
  'rejects Mesa 22; in a checkout of webrnn itself, `npm run setup` does this).';

function detectHost(): Host {
  const g = globalThis as unknown as { Deno?: unknown; process?: { versions?: { node?: string } }; window?: unknown };
  if (g.Deno) return 'deno';
  if (g.process?.versions?.node && !g.window) return 'node';
  return 'browser';
}

/**
 * One Dawn instance per process, never released. Dawn's Node binding keeps polling an instance while
 * any of its async operations is pending (a map or a device-lost callback on a destroyed device can
 * stay pending for good); an instance garbage-collected in that state crashes or deadlocks the process.
 */
let dawnInstance: Promise<{ gpu: GPU; keepAlive: unknown }> | undefined;

function nodeGpu(): Promise<{ gpu: GPU; keepAlive: unknown }> {
  dawnInstance ??= createNodeGpu();
  // a failed load is not cached: the next call tries again (after `npm install webgpu`, say)
  dawnInstance.catch(() => (dawnInstance = undefined));
  return dawnInstance;
}

async function createNodeGpu(): Promise<{ gpu: GPU; keepAlive: unknown }> {
  // A variable specifier keeps bundlers for the browser and Deno from trying to include Dawn.
  const specifier = 'webgpu';
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (e) {
    throw new WebRnnError('NO_ADAPTER', `the npm package "webgpu" (Dawn for Node) could not be loaded: ${(e as Error).message}. Node needs it beside webrnn (an optional peer dependency): \`npm install webgpu\`.`);
  }
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(mod.globals)) if (g[k] === undefined) g[k] = v;
  const gpu = mod.create([]);
  return { gpu, keepAlive: gpu };
}

/** Gets a GPUDevice from navigator.gpu (browsers, Deno) or the `webgpu` npm package (Node). */
export async function acquireDevice(opts: DeviceOptions = {}): Promise<AcquiredDevice> {
  const host = detectHost();
  if (opts.device) {
    return { device: opts.device, adapter: undefined as unknown as GPUAdapter, host, keepAlive: undefined };
  }
  let gpu: GPU | undefined = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  let keepAlive: unknown;
  if (!gpu && host === 'node') ({ gpu, keepAlive } = await nodeGpu());
  if (!gpu) throw new WebRnnError('NO_ADAPTER', `navigator.gpu is missing: this ${host} has no WebGPU. ${NO_ADAPTER_HELP}`);
  const adapter = await gpu.requestAdapter(opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined);
  if (!adapter) throw new WebRnnError('NO_ADAPTER', NO_ADAPTER_HELP);
  // Ask for the adapter's full limits: the defaults (128 MiB bindings, 8 storage buffers per stage) are
  // lower than many adapters offer.
  const want = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX'] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of want) requiredLimits[k] = adapter.limits[k];
  // GPU timestamps let the tuner time kernel variants without the CPU's round trip (src/gpu/tuner.ts);
  // shader-f16 lets a recurrent layer run precision 'f16-weights' (shaders/pack_f16.wgsl).
  const requiredFeatures: GPUFeatureName[] = (['timestamp-query', 'shader-f16'] as const).filter((f) => adapter.features.has(f));
  // subgroups: the split-k step variant's sums (shaders/shared/split_k_sum.subgroups.wgsl)
  if (opts.subgroups !== false && adapter.features.has('subgroups' as GPUFeatureName)) requiredFeatures.push('subgroups' as GPUFeatureName);
  const device = await adapter.requestDevice({ label: 'webrnn', requiredLimits, requiredFeatures });
  return { device, adapter, host, keepAlive: keepAlive ?? gpu };
}
