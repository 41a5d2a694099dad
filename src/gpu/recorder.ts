import type { Engine } from './engine.js';
import { STEP_STRIDE, type BufferBinding, type Kernel } from './kernel.js';
import { Program } from './program.js';
import type { Candidate } from './tuner.js';
import * as shaders from './shader-sources.gen.js';

const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Parameters of the matmul kernel (shaders/matmul.wgsl); offsets, strides and flags default to 0. */
export type MatmulParams = { M: number; N: number; K: number } & Partial<
  Record<'a_off' | 'a_rs' | 'a_cs' | 'a_zs' | 'b_off' | 'b_rs' | 'b_cs' | 'b_zs' | 'c_off' | 'c_rs' | 'c_zs' | 'bias_off' | 'bias_zs' | 'accumulate', number>
>;

/** Parameters of the sum_rows kernel (shaders/sum_rows.wgsl); offsets, strides and flags default to 0. */
export type SumRowsParams = { M: number; N: number; a_rs: number } & Partial<Record<'a_off' | 'a_zs' | 'out_off' | 'out_zs' | 'accumulate', number>>;

/** Each matmul variant's kernel, and its f16 twin (f16 B operand). */
const MATMUL_KERNELS = { 'register-blocked': [shaders.matmul, shaders.matmul_f16], tiled: [shaders.matmul_tiled, shaders.matmul_tiled_f16] } as const;

/** Workgroups of a matmul variant: 32×32 (register-blocked, 8×8 invocations of 4×4) or 64×64 (tiled) of C each. */
function matmulGrid(variant: keyof typeof MATMUL_KERNELS, p: MatmulParams, z: number): [number, number, number] {
  const tile = variant === 'tiled' ? 64 : 32;
  return [ceil(p.N, tile), ceil(p.M, tile), z];
}

const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * A matmul's shape class for the tuner: M·z, N and K rounded up to powers of two, and which axis of A and
 * of B has unit stride (what decides which loads coalesce). E.g. "A·B 1024x512x64".
 */
export function matmulShapeClass(p: MatmulParams, z: number): string {
  const at = p.a_cs === 1 ? 'A' : 'Aᵀ';
  const bt = p.b_cs === 1 ? 'B' : 'Bᵀ';
  return `${at}·${bt} ${pow2(p.M * z)}x${pow2(p.N)}x${pow2(p.K)}`;
}

/**
 * Both matmul variants on scratch operands of this shape (A and B laid out with the same unit-stride
 * axes as `p`), for the tuner to time.
 */
function matmulCandidates(engine: Engine, p: MatmulParams, z: number, hasBias: boolean): Record<string, Candidate> {
  const { M, N, K } = p;
  const rec = new Recorder(engine, 'tuner');
  let a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, bias: GPUBuffer | undefined;
  try {
    a = rec.buffer(z * M * K * 4, 'A');
    b = rec.buffer(z * K * N * 4, 'B');
    c = rec.buffer(z * M * N * 4, 'C');
    bias = hasBias ? rec.buffer(z * N * 4, 'bias') : undefined;
  } catch (e) {
    rec.dispose(); // e.g. a DEVICE_LIMIT: what was allocated is freed, the measurement dropped
    throw e;
  }
  const q: MatmulParams = {
    M, N, K,
    ...(p.a_cs === 1 ? { a_rs: K, a_cs: 1 } : { a_rs: 1, a_cs: M }), a_zs: M * K,
    ...(p.b_cs === 1 ? { b_rs: N, b_cs: 1 } : { b_rs: 1, b_cs: K }), b_zs: K * N,
    c_rs: N, c_zs: M * N, bias_zs: N, accumulate: p.accumulate ?? 0,
  };
  let left = 2;
  const out: Record<string, Candidate> = {};
  for (const v of ['register-blocked', 'tiled'] as const) {
    const prog = new Program();
    const k = engine.kernel(MATMUL_KERNELS[v][0]);
    prog.dispatch(k, [rec.bind(k, { a_off: 0, b_off: 0, c_off: 0, bias_off: 0, ...q, has_bias: +hasBias } as Record<string, number>, { a, b, bias: bias ?? b, c }, v)], matmulGrid(v, q, z));
    out[v] = { programs: [prog], dispose: () => { if (--left === 0) rec.dispose(); } };
  }
  return out;
}

/**
 * Builds the GPU objects a layer's recorded programs need — workspace buffers, Params uniforms
 * (written once), bind groups — and owns them, so one dispose() frees them all. The shared kernels
 * (matmul, sum_rows, transpose_strided) are recorded through here so no layer repeats their set-up.
 */
export class Recorder {
  private readonly owned: GPUBuffer[] = [];

  constructor(
    readonly engine: Engine,
    private readonly prefix: string,
  ) {}

  /**
   * A zeroed storage buffer owned by this recorder; `windowed` ones may exceed one binding (the
   * caller binds windows of them, see Kernel.bindGroup).
   */
  buffer(bytes: number, label: string, windowed = false): GPUBuffer {
    const b = this.engine.createBuffer(bytes, `${this.prefix}:${label}`, undefined, { windowed });
    this.owned.push(b);
    return b;
  }

  /** The size {@link buffer} would allocate, or the DEVICE_LIMIT error it would throw, building nothing. */
  checkBuffer(bytes: number, label: string, windowed = false): number {
    return this.engine.checkBufferSize(bytes, `${this.prefix}:${label}`, undefined, { windowed });
  }

  /** A uniform buffer written once with `data`, owned by this recorder. */
  uniform(data: ArrayBufferView<ArrayBuffer> | ArrayBuffer, label: string): GPUBuffer {
    const bytes = data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const u = this.engine.uniform(bytes, `${this.prefix}:${label}`);
    this.owned.push(u);
    return u;
  }

  /**
   * The step-index uniform of per-step dispatches: slot i (at byte i·STEP_STRIDE) holds i, for i in
   * 0..count−1. Written in chunks, so a long sequence never needs one host array of count·STEP_STRIDE
   * bytes.
   */
  steps(count: number, label: string): GPUBuffer {
    const u = this.engine.createBuffer(count * STEP_STRIDE, `${this.prefix}:${label}`, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.owned.push(u);
    const CHUNK = 4096;
    const data = new Uint32Array((Math.min(count, CHUNK) * STEP_STRIDE) / 4);
    for (let first = 0; first < count; first += CHUNK) {
      const n = Math.min(CHUNK, count - first);
      for (let i = 0; i < n; i++) data[(i * STEP_STRIDE) / 4] = first + i;
      this.engine.device.queue.writeBuffer(u, first * STEP_STRIDE, data, 0, (n * STEP_STRIDE) / 4);
    }
    return u;
  }

  /** Group 0 of a kernel: its Params uniform (packed from `params`) plus the named storage buffers. */
  bind(k: Kernel, params: Record<string, number>, buffers: Record<string, BufferBinding>, label: string): GPUBindGroup {
    const u = this.uniform(k.packParams(params), `${k.name}:${label}:params`);
    return k.bindGroup(0, { [k.params!.variable]: u, ...buffers }, `${this.prefix}:${label}`);
  }

  /**
   * C = A·B (+ bias) (+ C) over `z` batches; see shaders/matmul.wgsl for the strided addressing. The
   * variant (register-blocked matmul.wgsl or tiled matmul_tiled.wgsl) is the engine tuner's for this
   * shape class; while it is being measured both are recorded and the winner is read at encode time.
   * `f16`: b is an f16 copy (shaders/pack_f16.wgsl), read by the variant's `_f16` twin (f32 accumulation).
   */
  matmul(prog: Program, label: string, p: MatmulParams, a: BufferBinding, b: BufferBinding, c: BufferBinding, z = 1, bias?: BufferBinding, f16 = false): void {
    const cell = this.engine.tuner.cell('matmul', matmulShapeClass(p, z), 'register-blocked', () => matmulCandidates(this.engine, p, z, bias !== undefined));
    const full: Record<string, number> = {
      a_off: 0, a_rs: 0, a_cs: 0, a_zs: 0, b_off: 0, b_rs: 0, b_cs: 0, b_zs: 0,
      c_off: 0, c_rs: 0, c_zs: 0, bias_off: 0, bias_zs: 0, accumulate: 0,
      ...p, has_bias: bias ? 1 : 0,
    };
    // one Params uniform for both variants (the same struct, reflected from each file)
    const u = this.uniform(this.engine.kernel(shaders.matmul).packParams(full), `matmul:${label}:params`);
    const buffers = { a, b, bias: bias ?? b, c };
    const names = cell.pending ? (['register-blocked', 'tiled'] as const) : [cell.value as 'register-blocked' | 'tiled'];
    const variants = Object.fromEntries(names.map((v) => {
      const k = this.engine.kernel(MATMUL_KERNELS[v][f16 ? 1 : 0]);
      return [v, { kernel: k, groups: [k.bindGroup(0, { [k.params!.variable]: u, ...buffers }, `${this.prefix}:${label}`)], workgroups: matmulGrid(v, p, z) }];
    }));
    if (cell.pending) prog.dispatchVariant(cell, variants);
    else {
      const v = variants[cell.value];
      prog.dispatch(v.kernel, v.groups, v.workgroups);
    }
  }

  /** out (+)= column sums of A over `z` batches; see shaders/sum_rows.wgsl. */
  sumRows(prog: Program, label: string, p: SumRowsParams, a: BufferBinding, out: BufferBinding, z = 1): void {
    const k = this.engine.kernel(shaders.sum_rows);
    const full = { a_off: 0, a_zs: 0, out_off: 0, out_zs: 0, accumulate: 0, ...p };
    prog.dispatch(k, [this.bind(k, full, { a, out }, label)], [ceil(p.N, 64), z, 1]);
  }

  /** (P0, P1, F) → (P1, P0, F); see shaders/transpose_strided.wgsl (one block: Z = 1, no offset). */
  transpose(prog: Program, label: string, P0: number, P1: number, F: number, a: GPUBuffer, out: GPUBuffer): void {
    const k = this.engine.kernel(shaders.transpose_strided);
    prog.dispatch(k, [this.bind(k, { Rows: P0, C: P1, F, a_off: 0, a_zs: 0 }, { a, out }, label)], [ceil(P0 * F, 64), P1, 1]);
  }

  dispose(): void {
    for (const b of this.owned) this.engine.releaseBuffer(b);
    this.owned.length = 0;
  }
}
