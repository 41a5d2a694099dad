import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { shaderSources } from './shader-sources.gen.js';
import { WebRnnError } from '../errors.js';

/** How a binding is declared in WGSL, as wgsl_reflect reads it. */
interface BindingInfo {
  name: string;
  group: number;
  binding: number;
  kind: 'uniform' | 'storage' | 'read-only-storage';
  /** A uniform named `step`: bound with a dynamic offset, one 256-byte slot per time step. */
  dynamic: boolean;
  /** WGSL type name of the variable (the uniform whose type is `Params` holds the kernel's parameters). */
  typeName: string;
}

/** A uniform struct's byte size (rounded to 16) and its members' offsets and types. */
export interface UniformLayout {
  variable: string;
  size: number;
  members: Map<string, { offset: number; type: 'u32' | 'i32' | 'f32' }>;
}

/** Bytes between per-step uniform slots (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
export const STEP_STRIDE = 256;

/**
 * One compute kernel: the WGSL file shaders/<name>.wgsl with entry point `<name>`. Its bind-group
 * layouts and its `Params` uniform layout are read from the WGSL source with wgsl_reflect, so the
 * TypeScript side cannot silently disagree with the shader. Pipelines are cached per constant set.
 */
export class Kernel {
  readonly name: string;
  readonly workgroupSize: [number, number, number];
  readonly bindings: BindingInfo[];
  readonly params: UniformLayout | undefined;
  private readonly device: GPUDevice;
  private readonly module: GPUShaderModule;
  private readonly groupLayouts: GPUBindGroupLayout[];
  private readonly layout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly reflect: WgslReflect;
  private readonly uniforms = new Map<string, UniformLayout>();

  constructor(device: GPUDevice, name: string) {
    const source = shaderSources[name];
    if (source === undefined) throw new WebRnnError('BAD_STATE', `no kernel named ${name} in shaders/`);
    this.device = device;
    this.name = name;
    const reflect = (this.reflect = new WgslReflect(source));
    const entry = reflect.entry.compute.find((e) => e.name === name);
    if (!entry) throw new WebRnnError('BAD_STATE', `shaders/${name}.wgsl has no @compute fn ${name}`);
    const ws = entry.workgroupSize as unknown as number[] | undefined;
    this.workgroupSize = [ws?.[0] ?? 1, ws?.[1] ?? 1, ws?.[2] ?? 1];
    this.bindings = entry.resources.map((r) => {
      const kind = r.resourceType === 0 ? 'uniform' : r.access === 'read' ? 'read-only-storage' : 'storage';
      return { name: r.name, group: r.group, binding: r.binding, kind, dynamic: kind === 'uniform' && r.name === 'step', typeName: r.type.name };
    });
    const P = this.bindings.find((b) => b.kind === 'uniform' && b.typeName === 'Params');
    this.params = P ? this.uniformLayout(P.name) : undefined;
    this.module = device.createShaderModule({ label: name, code: source });
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
   * written before each submission), as wgsl_reflect reads it.
   */
  uniformLayout(variable: string): UniformLayout {
    let l = this.uniforms.get(variable);
    if (!l) {
      const u = this.reflect.uniforms.find((x) => x.name === variable);
      if (!u) throw new WebRnnError('BAD_STATE', `${this.name}: no uniform named ${variable}`);
      const members = new Map<string, { offset: number; type: 'u32' | 'i32' | 'f32' }>();
      for (const m of (u as unknown as { members: { name: string; offset: number; type: { name: string } }[] }).members) {
        const t = m.type.name;
        if (t !== 'u32' && t !== 'i32' && t !== 'f32') throw new WebRnnError('BAD_STATE', `${this.name}: ${variable}.${m.name} has type ${t}; only u32/i32/f32 are packed`);
        members.set(m.name, { offset: m.offset, type: t });
      }
      l = { variable, size: Math.max(16, Math.ceil(u.size / 16) * 16), members };
      this.uniforms.set(variable, l);
    }
    return l;
  }

  /**
   * Packs a value of the uniform struct `variable` (every member given, no others; u32 members must
   * be integers in [0, 2³²)) with the offsets reflected from the WGSL.
   *
   * @example
   * device.queue.writeBuffer(buf, 0, engine.kernel('dropout').packUniform('C', { seed: 1, call: 2, enabled: 1 }));
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
   * A bind group for `group`, with buffers given by WGSL variable name. The `step` uniform is bound
   * as a 16-byte window whose offset is chosen per dispatch.
   */
  bindGroup(group: number, buffers: Record<string, GPUBuffer>, label: string): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    for (const b of this.bindings.filter((x) => x.group === group)) {
      const buffer = buffers[b.name];
      if (!buffer) throw new WebRnnError('BAD_STATE', `${this.name}: no buffer given for binding ${b.name}`);
      entries.push({ binding: b.binding, resource: b.dynamic ? { buffer, offset: 0, size: 16 } : { buffer } });
    }
    const extra = Object.keys(buffers).filter((k) => !this.bindings.some((b) => b.name === k && b.group === group));
    if (extra.length) throw new WebRnnError('BAD_STATE', `${this.name}: group ${group} has no binding(s) ${extra.join(', ')}`);
    return this.device.createBindGroup({ label: `${this.name}:${label}`, layout: this.groupLayouts[group], entries });
  }

  /** The device's maxComputeWorkgroupsPerDimension. */
  get maxWorkgroups(): number {
    return this.device.limits.maxComputeWorkgroupsPerDimension;
  }

  /** Number of bind groups the kernel uses. */
  get groupCount(): number {
    return this.groupLayouts.length;
  }
}
