import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { WebRnnError } from '../errors.js';
import { shaderSources } from '../gpu/shader-sources.gen.js';

type Member = { offset: number; type: 'u32' | 'i32' | 'f32' };
const layouts = new Map<string, { size: number; members: Map<string, Member> }>();

/**
 * Packs a value of a kernel's second uniform struct (not its `Params`, which Kernel.packParams packs)
 * with the member offsets and size reflected from the WGSL, so the TypeScript cannot disagree with the
 * shader. Every member must be given, and no others; u32 members must be integers in [0, 2³²).
 *
 * @example
 * packUniform('sample_logits', 'S', { seed: 1, greedy: 0, top_k: 0, temperature: 1, top_p: 1 });
 */
export function packUniform(kernel: string, variable: string, values: Record<string, number>): ArrayBuffer {
  const key = `${kernel}/${variable}`;
  let layout = layouts.get(key);
  if (!layout) {
    const source = shaderSources[kernel];
    if (source === undefined) throw new WebRnnError('BAD_STATE', `no kernel named ${kernel} in shaders/`);
    const u = new WgslReflect(source).uniforms.find((x) => x.name === variable);
    if (!u) throw new WebRnnError('BAD_STATE', `${kernel}: no uniform named ${variable}`);
    const members = new Map<string, Member>();
    for (const m of (u as unknown as { members: { name: string; offset: number; type: { name: string } }[] }).members) {
      const t = m.type.name;
      if (t !== 'u32' && t !== 'i32' && t !== 'f32') throw new WebRnnError('BAD_STATE', `${key}.${m.name} has type ${t}; only u32/i32/f32 are packed`);
      members.set(m.name, { offset: m.offset, type: t });
    }
    layout = { size: u.size, members };
    layouts.set(key, layout);
  }
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(layout.size / 16) * 16));
  const view = new DataView(buf);
  for (const [k, m] of layout.members) {
    const v = values[k];
    if (v === undefined || !Number.isFinite(v)) throw new WebRnnError('BAD_STATE', `${key}.${k} missing or not finite (${v})`);
    if (m.type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new WebRnnError('BAD_VALUE', `${key}.${k} = ${v} is not a u32`);
      view.setUint32(m.offset, v, true);
    } else if (m.type === 'i32') view.setInt32(m.offset, v, true);
    else view.setFloat32(m.offset, v, true);
  }
  for (const k of Object.keys(values)) if (!layout.members.has(k)) throw new WebRnnError('BAD_STATE', `${key} has no member ${k}`);
  return buf;
}
