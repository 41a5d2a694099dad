// The adapter's roofline as this benchmark defines it: the best GFLOP/s of webrnn's own GEMM kernels
// (both variants, shaders/matmul.wgsl register-blocked and shaders/matmul_tiled.wgsl, each forced and
// recorded through src/gpu/recorder.ts's Recorder.matmul — the shipped kernels, not copies) at a few
// sizes, in the layout webrnn uses for its input projection: C = A·Bᵀ with A (M, K) row-major and B
// (N, K) row-major (X·W_ihᵀ); two of the sizes are S2's input projections (LSTM and GRU). Each size runs
// `reps` dispatches in one submission, timed from submit to readback, so per-dispatch overhead is amortised.
import { median } from './timing.mjs';

/** Square sizes plus one tall-skinny (a T·B × G·H × I projection). */
export const GEMM_SIZES = [
  { M: 256, N: 256, K: 256 },
  { M: 512, N: 512, K: 512 },
  { M: 1024, N: 1024, K: 1024 },
  { M: 3200, N: 512, K: 128 },
  { M: 800, N: 512, K: 64 },
  { M: 800, N: 384, K: 64 },
];

/** The GEMM variants timed (src/gpu/kernel-variants.ts). */
const VARIANTS = ['register-blocked', 'tiled'];

/**
 * @param {any} engine webrnn Engine
 * @param {{ Recorder: any, Program: any }} gpu webrnn's internal Recorder and Program classes
 * @param {{ sizes?: typeof GEMM_SIZES, budgetMs?: number }} [o]
 * @returns {Promise<{ best: number, sizes: { M: number, N: number, K: number, variant: string, ms: number, gflops: number }[] }>}
 */
export async function measureGemm(engine, gpu, o = {}) {
  const sizes = o.sizes ?? GEMM_SIZES;
  const budgetMs = o.budgetMs ?? 4000;
  const out = [];
  for (const variant of VARIANTS) for (const { M, N, K } of sizes) {
    const rec = new gpu.Recorder(engine, 'bench-gemm');
    try {
      const a = rec.buffer(M * K * 4, 'A');
      const b = rec.buffer(N * K * 4, 'B');
      const c = rec.buffer(M * N * 4, 'C');
      const flops = 2 * M * N * K;
      const one = new gpu.Program();
      await engine.tuner.withForced({ matmul: variant }, async () => rec.matmul(one, 'gemm', { M, N, K, a_rs: K, a_cs: 1, b_rs: 1, b_cs: K, c_rs: N }, a, b, c));
      const sync = () => engine.readBuffer(c, 0, 1);
      // First call compiles; the second sizes the batch so one timed submission takes about budget/4.
      engine.run(one);
      await sync();
      let t = performance.now();
      engine.run(one);
      await sync();
      const single = performance.now() - t;
      const n = Math.max(1, Math.min(64, Math.round(budgetMs / 4 / Math.max(single, 0.01))));
      const prog = new gpu.Program();
      for (let i = 0; i < n; i++) prog.append(one);
      const samples = [];
      for (let r = 0; r < 3; r++) {
        t = performance.now();
        engine.run(prog);
        await sync();
        samples.push((performance.now() - t) / n);
      }
      const ms = median(samples);
      out.push({ M, N, K, variant, ms: +ms.toPrecision(4), gflops: +(flops / ms / 1e6).toPrecision(3) });
    } finally {
      rec.dispose();
    }
  }
  return { best: Math.max(...out.map((s) => s.gflops)), sizes: out };
}
