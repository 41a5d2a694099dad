// The GEMM kernel variants (shaders/matmul.wgsl register-blocked, shaders/matmul_tiled.wgsl tiled) on
// every flag and stride combination Recorder.matmul uses — A or Aᵀ, B or Bᵀ, offsets, row blocks of a
// bigger C, batches z with their strides, bias, accumulate — at sizes on and past the tile edges (64×64
// output tiles, K in tiles of 16), against a float64 product. Each variant is forced and run twice: the
// two runs must be bit-identical (a fixed choice is deterministic). Tolerance: TOL_FORWARD (check.ts).
import type { Engine } from '../../src/gpu/engine.js';
import { KERNEL_VARIANTS } from '../../src/gpu/kernel-variants.js';
import { Program } from '../../src/gpu/program.js';
import { Recorder, type MatmulParams } from '../../src/gpu/recorder.js';
import { Rng } from '../reference/random.js';
import { runCase, type CaseResult } from './check.js';

export interface MatmulCase {
  kind: 'matmul';
  name: string;
  M: number;
  N: number;
  K: number;
  z: number;
  /** A stored transposed (a_rs = 1), B stored transposed (b_cs = K·… : b_rs = 1) */
  at: boolean;
  bt: boolean;
  bias: boolean;
  accumulate: boolean;
  /** elements before each operand and extra columns in C's rows (a row block of a wider C) */
  pad: number;
  seed: number;
}

export function matmulCases(): MatmulCase[] {
  const out: MatmulCase[] = [];
  let seed = 900;
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [5, 3, 7, 1],
    [64, 64, 16, 1],
    [70, 67, 19, 2],
    [130, 33, 65, 1],
    [33, 130, 40, 3],
  ];
  for (const [M, N, K, z] of shapes) {
    for (const [at, bt] of [[false, false], [false, true], [true, false], [true, true]]) {
      const flags = [[false, false, 0], [true, true, 3]] as const;
      for (const [bias, accumulate, pad] of flags) {
        out.push({ kind: 'matmul', name: `matmul: ${at ? 'Aᵀ' : 'A'}·${bt ? 'Bᵀ' : 'B'} M ${M} N ${N} K ${K} z ${z}${bias ? ', bias' : ''}${accumulate ? ', accumulate' : ''}${pad ? `, offsets and row stride +${pad}` : ''}`, M, N, K, z, at, bt, bias, accumulate, pad, seed: seed++ });
      }
    }
  }
  return out;
}

export async function runMatmulCase(engine: Engine, c: MatmulCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const { M, N, K, z, pad } = c;
    const rng = new Rng(c.seed);
    const rand = (n: number) => new Float32Array(rng.uniformArray(n, -1, 1));
    const aLen = pad + z * M * K, bLen = pad + z * K * N, cRs = N + pad, cLen = pad + z * M * cRs, biasLen = pad + z * N;
    const a = rand(aLen), b = rand(bLen), bias = rand(biasLen), c0 = rand(cLen);
    const p: MatmulParams = {
      M, N, K,
      a_off: pad, a_zs: M * K, ...(c.at ? { a_rs: 1, a_cs: M } : { a_rs: K, a_cs: 1 }),
      b_off: pad, b_zs: K * N, ...(c.bt ? { b_rs: 1, b_cs: K } : { b_rs: N, b_cs: 1 }),
      c_off: pad, c_rs: cRs, c_zs: M * cRs,
      bias_off: pad, bias_zs: N, accumulate: c.accumulate ? 1 : 0,
    };
    // float64 reference, addressed as shaders/matmul.wgsl's header says
    const want = Float64Array.from(c0);
    for (let q = 0; q < z; q++) {
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[p.a_off! + q * p.a_zs! + m * p.a_rs! + k * p.a_cs!] * b[p.b_off! + q * p.b_zs! + k * p.b_rs! + n * p.b_cs!];
          if (c.bias) s += bias[p.bias_off! + q * p.bias_zs! + n];
          const ci = p.c_off! + q * p.c_zs! + m * cRs + n;
          want[ci] = s + (c.accumulate ? c0[ci] : 0);
        }
      }
    }
    for (const variant of KERNEL_VARIANTS.matmul) {
      const runs: Float32Array[] = [];
      for (let run = 0; run < 2; run++) {
        const rec = t.own(new Recorder(engine, `test:${variant}`));
        const buf = (data: Float32Array<ArrayBuffer>, label: string) => {
          const g = rec.buffer(data.length * 4, label);
          engine.writeBuffer(g, 0, data);
          return g;
        };
        const ga = buf(a, 'a'), gb = buf(b, 'b'), gbias = buf(bias, 'bias'), gc = buf(c0, 'c');
        const prog = new Program();
        await engine.tuner.withForced({ matmul: variant }, async () => rec.matmul(prog, c.name, p, ga, gb, gc, z, c.bias ? gbias : undefined));
        engine.run(prog);
        runs.push(await engine.readBuffer(gc, 0, cLen));
      }
      t.check(`${variant}: C`, runs[0], want, 'forward');
      t.expect(runs[0].every((v, i) => Object.is(v, runs[1][i])), `${variant}: two runs bit-identical`);
    }
  });
}
