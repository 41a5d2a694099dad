import type { KernelName } from './shader-sources.gen.js';
import { applyLineEdits, type BindingInfo, type ReflectedKernel, type UniformScalar } from './kernel-reflection.js';
import { WebRnnError } from '../errors.js';

export type { KernelName } from './shader-sources.gen.js';

/** The limits a kernel checks its bindings against (Engine.limits). */
export interface BindingLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxUniformBufferBindingSize: number;
  readonly minStorageBufferOffsetAlignment: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

/** A buffer bound whole, or a window of one (offset and size in bytes). */
export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/** A uniform struct's byte size (rounded to 16) and its members' offsets and types. */
export interface UniformLayout {
  variable: string;
  size: number;
  members: Map<string, { offset: number; type: UniformScalar }>;
}

/** A kernel's descriptor: one export of shader-sources.gen.ts, imported by the code that dispatches it. */
export type KernelSource = ReflectedKernel<KernelName>;

/**
 * `source` when it is a kernel's descriptor. Untyped code (plain JS, a worker's message) may pass a
 * name where the descriptor goes: a BAD_STATE error naming it, never a TypeError deep inside.
 */
export function checkKernelSource(source: KernelSource): KernelSource {
  const s: unknown = source;
  if (typeof s !== 'object' || s === null || typeof (s as KernelSource).name !== 'string' || !Array.isArray((s as KernelSource).bindings)) {
    throw new WebRnnError('BAD_STATE', `no kernel named ${String(s)} in shaders/`);
  }
  return source;
}

/**
 * A kernel's WGSL: its own code, or for a twin its base's code with the twin's line edits; `subgroups`:
 * the form for a device with the `subgroups` feature (undefined where the kernel has none).
 */
export function kernelCode(r: ReflectedKernel, subgroups = false): string | undefined {
  const code = r.code ?? applyLineEdits(kernelCode(r.derived!.from)!, r.derived!.edits);
  if (!subgroups) return code;
  return r.subgroupEdits && applyLineEdits(code, r.subgroupEdits);
}

/** Bytes between per-step uniform slots (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
export const STEP_STRIDE = 256;

/**
 * One compute kernel: the WGSL file shaders/<name>.wgsl with entry point `<name>`. Its bind-group
 * layouts and uniform layouts were reflected from the WGSL at build time (scripts/gen-shaders.mjs),
 * so the TypeScript side cannot silently disagree with the shader and nothing parses WGSL at run
 * time. Pipelines are cached per constant set.
 */
export class Kernel {
  readonly name: KernelName;
  readonly workgroupSize: readonly [number, number, number];
  readonly bindings: readonly BindingInfo[];
  readonly params: UniformLayout | undefined;
  private readonly device: GPUDevice;
  private readonly module: GPUShaderModule;
  private readonly groupLayouts: GPUBindGroupLayout[];
  private readonly layout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly reflected: ReflectedKernel;
  private readonly uniforms = new Map<string, UniformLayout>();
  private readonly limits: BindingLimits;
  private bindGroups = 0;

  /** Whether this kernel runs its `subgroups` code (ReflectedKernel.subgroupEdits). */
  readonly subgroups: boolean;

  /**
   * `reflected`: the kernel's descriptor (an export of shader-sources.gen.ts). `subgroups`: compile
   * its code for a device with the `subgroups` feature (its shared snippets' subgroups twins), which
   * must exist (ReflectedKernel.subgroupEdits) and the device must have.
   */
  constructor(device: GPUDevice, reflected: KernelSource, limits: BindingLimits = device.limits, subgroups = false) {
    const name = checkKernelSource(reflected).name;
    this.device = device;
    this.limits = limits;
    this.name = name;
    this.reflected = reflected;
    this.workgroupSize = reflected.workgroupSize;
    this.bindings = reflected.bindings;
    const P = this.bindings.find((b) => b.kind === 'uniform' && b.typeName === 'Params');
    this.params = P ? this.uniformLayout(P.name) : undefined;
    const code = kernelCode(reflected, subgroups);
    if (code === undefined) throw new WebRnnError('BAD_STATE', `kernel ${name} has no subgroups form`);
    this.subgroups = subgroups;
    this.module = device.createShaderModule({ label: subgroups ? `${name} (subgroups)` : name, code });
    const groups = Math.max(...this.bindings.map((b) => b.group)) + 1;
    this.groupLayouts = [];
    for (let g = 0; g < groups; g++) {
      const entries: GPUBindGroupLayoutEntry[] = this.bindings
        .filter((b) => b.group === g)
        .map((b) => ({
          binding: b.binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: b.kind, hasDynamicOffset: b.dynamic },
        }));
      this.groupLayouts.push(device.createBindGroupLayout({ label: `${name}/group${g}`, entries }));
    }
    this.layout = device.createPipelineLayout({ label: name, bindGroupLayouts: this.groupLayouts });
  }

  /** The compute pipeline for a set of `override` constants (cached). */
  pipeline(constants: Record<string, number> = {}): GPUComputePipeline {
    const key = JSON.stringify(constants);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline({
        label: this.name,
        layout: this.layout,
        compute: { module: this.module, entryPoint: this.name, constants },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Packs a `Params` value into the uniform's bytes; every member must be given, no others. */
  packParams(values: Record<string, number>): ArrayBuffer {
    if (!this.params) throw new WebRnnError('BAD_STATE', `${this.name} has no Params uniform`);
    return this.packUniform(this.params.variable, values);
  }

  /**
   * The layout of any uniform struct variable of this kernel (Params or another, e.g. per-step values
   * written before each submission), as reflected at build time.
   */
  uniformLayout(variable: string): UniformLayout {
    let l = this.uniforms.get(variable);
    if (!l) {
      const u = Object.hasOwn(this.reflected.uniforms, variable) ? this.reflected.uniforms[variable] : undefined;
      if (!u) throw new WebRnnError('BAD_STATE', `${this.name}: no uniform named ${variable}`);
      l = { variable, size: u.size, members: new Map(u.members.map(([m, offset, type]) => [m, { offset, type }])) };
      this.uniforms.set(variable, l);
    }
    return l;
  }

  /**
   * Packs a value of the uniform struct `variable` (every member given, no others; u32 members must
   * be integers in [0, 2³²)) with the offsets reflected from the WGSL.
   *
   * @example
   * device.queue.writeBuffer(buf, 0, engine.kernel(shaders.dropout).packUniform('C', { seed: 1, call: 2, enabled: 1 }));
   */
  packUniform(variable: string, values: Record<string, number>, into?: ArrayBuffer): ArrayBuffer {
    const l = this.uniformLayout(variable);
    const buf = into ?? new ArrayBuffer(l.size);
    const view = new DataView(buf);
    for (const [k, m] of l.members) {
      const v = values[k];
      if (v === undefined || !Number.isFinite(v)) throw new WebRnnError('BAD_STATE', `${this.name}: ${variable}.${k} missing or not finite (${v})`);
      if (m.type === 'u32') {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new WebRnnError('DEVICE_LIMIT', `${this.name}: ${variable}.${k} = ${v} does not fit a u32`);
        view.setUint32(m.offset, v, true);
      } else if (m.type === 'i32') view.setInt32(m.offset, v, true);
      else view.setFloat32(m.offset, v, true);
    }
    for (const k of Object.keys(values)) {
      if (!l.members.has(k)) throw new WebRnnError('BAD_STATE', `${this.name}: ${variable} has no member ${k}`);
    }
    return buf;
  }

  /**
   * A bind group for `group`, with buffers (or windows of buffers) given by WGSL variable name. The
   * `step` uniform is bound as a 16-byte window whose offset is chosen per dispatch. Every binding is
   * checked against the device's limits first: a storage binding beyond maxStorageBufferBindingSize is
   * a DEVICE_LIMIT error naming the kernel, the binding and both sizes (never a GPU validation error).
   */
  bindGroup(group: number, buffers: Record<string, BufferBinding>, label: string): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    for (const b of this.bindings.filter((x) => x.group === group)) {
      const given = buffers[b.name];
      if (!given) throw new WebRnnError('BAD_STATE', `${this.name}: no buffer given for binding ${b.name}`);
      if (b.dynamic) {
        entries.push({ binding: b.binding, resource: { buffer: given as GPUBuffer, offset: 0, size: 16 } });
        continue;
      }
      // A GPUBuffer has no `buffer` property; a window has one.
      const w = 'buffer' in given ? given : { buffer: given, offset: 0, size: given.size };
      this.checkBinding(b, w, label);
      entries.push({ binding: b.binding, resource: w.offset === 0 && w.size === w.buffer.size ? { buffer: w.buffer } : { buffer: w.buffer, offset: w.offset, size: w.size } });
    }
    const extra = Object.keys(buffers).filter((k) => !this.bindings.some((b) => b.name === k && b.group === group));
    if (extra.length) throw new WebRnnError('BAD_STATE', `${this.name}: group ${group} has no binding(s) ${extra.join(', ')}`);
    this.bindGroups++;
    return this.device.createBindGroup({ label: `${this.name}:${label}`, layout: this.groupLayouts[group], entries });
  }

  private checkBinding(b: BindingInfo, w: { buffer: GPUBuffer; offset: number; size: number }, label: string): void {
    const lim = this.limits;
    const uniform = b.kind === 'uniform';
    const max = uniform ? lim.maxUniformBufferBindingSize : lim.maxStorageBufferBindingSize;
    if (w.size > max) {
      const limit = uniform ? 'maxUniformBufferBindingSize' : 'maxStorageBufferBindingSize';
      throw new WebRnnError('DEVICE_LIMIT', `${this.name} (${label}): binding ${b.name} covers ${w.size} bytes, more than this device allows (${limit} = ${max}); use a smaller batch, shorter sequences or a smaller layer`);
    }
    // Windows are computed by webrnn itself: a bad one is a bug here, never the caller's mistake.
    if (w.offset % (uniform ? 256 : lim.minStorageBufferOffsetAlignment) !== 0 || w.size % 4 !== 0 || w.offset + w.size > w.buffer.size) {
      throw new WebRnnError('BAD_STATE', `${this.name} (${label}): window [${w.offset}, +${w.size}) of binding ${b.name} is misaligned or outside its ${w.buffer.size}-byte buffer`);
    }
  }

  /** The device's maxComputeWorkgroupsPerDimension. */
  get maxWorkgroups(): number {
    return this.limits.maxComputeWorkgroupsPerDimension;
  }

  /** Compute pipelines compiled so far (one per set of constants). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Bind groups created so far through this kernel. */
  get bindGroupsCreated(): number {
    return this.bindGroups;
  }

  /** Number of bind groups the kernel uses. */
  get groupCount(): number {
    return this.groupLayouts.length;
  }
}
