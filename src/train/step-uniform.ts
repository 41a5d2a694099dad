import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { Recorder } from '../gpu/recorder.js';
import { shaderSources } from '../gpu/shader-sources.gen.js';
import { WebRnnError } from '../errors.js';

type Member = { offset: number; type: 'u32' | 'i32' | 'f32' };

/**
 * @internal A small uniform a kernel reads besides its Params — values that change every optimizer
 * step (lr, bias corrections, a ring slot). Its layout is read from the kernel's WGSL with wgsl_reflect
 * (Kernel packs only the `Params` struct), and it is written with queue.writeBuffer before the step's
 * submission, never between the dispatches of one.
 */
export class StepUniform {
  readonly buffer: GPUBuffer;
  private readonly members: Map<string, Member>;
  private readonly bytes: ArrayBuffer;

  constructor(
    private readonly rec: Recorder,
    private readonly kernel: string,
    variable: string,
  ) {
    const source = shaderSources[kernel];
    if (source === undefined) throw new WebRnnError('BAD_STATE', `no kernel named ${kernel} in shaders/`);
    const u = new WgslReflect(source).uniforms.find((x) => x.name === variable);
    if (!u) throw new WebRnnError('BAD_STATE', `${kernel}: no uniform named ${variable}`);
    this.members = new Map();
    for (const m of (u as unknown as { members: { name: string; offset: number; type: { name: string } }[] }).members) {
      const t = m.type.name;
      if (t !== 'u32' && t !== 'i32' && t !== 'f32') throw new WebRnnError('BAD_STATE', `${kernel}: ${variable}.${m.name} has type ${t}; only u32/i32/f32 are packed`);
      this.members.set(m.name, { offset: m.offset, type: t });
    }
    this.bytes = new ArrayBuffer(Math.max(16, Math.ceil(u.size / 16) * 16));
    this.buffer = rec.uniform(this.bytes, `${kernel}:${variable}`);
  }

  /** Packs every member (all must be given, no others) and queues the write. */
  write(values: Record<string, number>): void {
    const view = new DataView(this.bytes);
    for (const [k, m] of this.members) {
      const v = values[k];
      if (v === undefined || !Number.isFinite(v)) throw new WebRnnError('BAD_STATE', `${this.kernel}: ${k} missing or not finite (${v})`);
      if (m.type === 'u32') view.setUint32(m.offset, v, true);
      else if (m.type === 'i32') view.setInt32(m.offset, v, true);
      else view.setFloat32(m.offset, v, true);
    }
    for (const k of Object.keys(values)) {
      if (!this.members.has(k)) throw new WebRnnError('BAD_STATE', `${this.kernel}: no member ${k}`);
    }
    this.rec.engine.device.queue.writeBuffer(this.buffer, 0, this.bytes);
  }
}
