// What bounds S2 on an adapter, measured (issue 13's "where an emulator's arithmetic caps it"): the
// adapter's best GEMM rate (webrnn's two GEMM kernels, each forced, bench/lib/gemm.mjs), the cost of one
// dispatch in a chain of dependent dispatches (a 1×1×1 GEMM, so the kernel does nothing), the cost of one
// recurrent product per step in such a chain (a B × G·H × H GEMM per dispatch, each reading the last one's
// output: what any per-step engine does T times), and from them the shortest S2 time any engine could
// reach on this adapter — compared with tfjs-webgpu's S2 time from a benchmark run, so the note can say
// whether "≥ 10× tfjs-webgpu" is reachable here at all. Host-agnostic: Node (bench/adapter-limits.mjs)
// and the Chromium page (bench/chromium/limits-entry.mjs) call measureLimits with the engine's internals.
//
// The bounds, per S2 cell and mode (FLOPs as the benchmark counts them, matrix products only):
//   arithmetic  = FLOPs / best GEMM GFLOP/s   (no engine multiplies faster than the adapter's best GEMM)
//   sequential  = steps · one dependent dispatch   (T steps forward, 2·T for a training step: forward and
//                 BPTT; each step needs the last one's h, so they cannot overlap)
//   floor       = max(arithmetic, sequential): a lower bound for any engine on this adapter
//   per-step    = the input-projection GEMMs at the best rate + steps · one chained recurrent product
//                 (an estimate of a per-step engine's best, gates and state updates not counted)
import { median } from './timing.mjs';
import { measureGemm, GEMM_SIZES } from './gemm.mjs';

const VARIANTS = ['register-blocked', 'tiled'];

/**
 * Time per link of a chain of `n` dependent GEMMs C = A·Bᵀ, alternating (a → c) and (c → a), recorded into
 * one program and run in one submission (as webrnn's per-step schedule runs its T steps), timed from
 * submit to readback. The per-link cost is the slope between a short and a long chain, so the submission
 * and readback costs drop out. Each link reads the first K columns of the last link's M × N output (N ≥ K).
 * @param {any} engine
 * @param {{ Recorder: any, Program: any }} gpu
 * @param {{ M: number, N: number, K: number, variant: string, n: number, reps?: number }} o
 */
async function chainMs(engine, gpu, o) {
  const { M, N, K, variant, n } = o;
  const rec = new gpu.Recorder(engine, 'bench-chain');
  try {
    const a = rec.buffer(M * N * 4, 'a');
    const b = rec.buffer(N * K * 4, 'b');
    const c = rec.buffer(M * N * 4, 'c');
    const p = { M, N, K, a_rs: N, a_cs: 1, b_rs: 1, b_cs: K, c_rs: N };
    const link = new gpu.Program();
    await engine.tuner.withForced({ matmul: variant }, async () => {
      rec.matmul(link, 'chain-even', p, a, b, c);
      rec.matmul(link, 'chain-odd', p, c, b, a);
    });
    const chain = (/** @type {number} */ links) => {
      const prog = new gpu.Program();
      for (let i = 0; i < links / 2; i++) prog.append(link);
      return prog;
    };
    const sync = () => engine.readBuffer(a, 0, 1);
    const short = chain(2);
    const long = chain(n);
    const time = async (/** @type {any} */ prog) => {
      const t = performance.now();
      engine.run(prog);
      await sync();
      return performance.now() - t;
    };
    await time(short); // compiles
    await time(long);
    /** @type {number[]} */ const slopes = [];
    for (let r = 0; r < (o.reps ?? 5); r++) {
      const ts = await time(short);
      const tl = await time(long);
      slopes.push((tl - ts) / (n - 2));
    }
    return +median(slopes).toPrecision(3);
  } finally {
    rec.dispose();
  }
}

/**
 * @typedef {{ B: number, T: number, I: number, H: number }} Shape
 * @typedef {{ cell: string, G: number }} Cell
 */

/**
 * @param {any} engine a webrnn Engine created with tuning 'off' (each measurement forces its variant)
 * @param {{ Recorder: any, Program: any }} gpu webrnn's internal Recorder and Program classes
 * @param {{ shape: Shape, cells: Cell[], tfjs?: Record<string, number>, chain?: number }} o
 *   tfjs: tfjs-webgpu's ms per "cell mode" key (e.g. "lstm forward") from a benchmark run on this adapter
 */
export async function measureLimits(engine, gpu, o) {
  const { shape: s } = o;
  const n = o.chain ?? 2 * s.T;
  const gemm = await measureGemm(engine, gpu, { sizes: [GEMM_SIZES[2], GEMM_SIZES[3], ...o.cells.map((c) => ({ M: s.T * s.B, N: c.G * s.H, K: s.I }))] });
  const best = gemm.best;
  const dispatch = {};
  for (const v of VARIANTS) dispatch[v] = await chainMs(engine, gpu, { M: 1, N: 1, K: 1, variant: v, n });
  const dispatchMs = Math.min(...Object.values(dispatch));
  const rows = [];
  for (const c of o.cells) {
    // one step's recurrent product, h<t-1>·W_hhᵀ (B × G·H × H), each reading B × H of the last one's output
    const step = {};
    for (const v of VARIANTS) step[v] = await chainMs(engine, gpu, { M: s.B, N: c.G * s.H, K: s.H, variant: v, n });
    const stepMs = Math.min(...Object.values(step));
    const projMs = (2 * s.T * s.B * c.G * s.H * s.I) / best / 1e6;
    for (const mode of ['forward', 'train']) {
      const fwdFlops = 2 * s.T * s.B * c.G * s.H * (s.I + s.H);
      const flops = mode === 'forward' ? fwdFlops : 3 * fwdFlops;
      const steps = mode === 'forward' ? s.T : 2 * s.T;
      const arithmeticMs = flops / best / 1e6;
      const sequentialMs = steps * dispatchMs;
      const floorMs = Math.max(arithmeticMs, sequentialMs);
      const perStepMs = (mode === 'forward' ? projMs : 3 * projMs) + steps * stepMs;
      const tfjs = o.tfjs?.[`${c.cell} ${mode}`];
      rows.push({
        cell: c.cell, mode, mflop: +(flops / 1e6).toPrecision(4), steps,
        arithmetic_ms: +arithmeticMs.toPrecision(3), sequential_ms: +sequentialMs.toPrecision(3), floor_ms: +floorMs.toPrecision(3),
        step_product_ms: step, per_step_estimate_ms: +perStepMs.toPrecision(3),
        ...(tfjs ? { tfjs_webgpu_ms: tfjs, max_speedup_vs_tfjs: +(tfjs / floorMs).toPrecision(3), per_step_speedup_vs_tfjs: +(tfjs / perStepMs).toPrecision(3), tenx_needs_gflops: +((flops * 10) / tfjs / 1e6).toPrecision(3) } : {}),
      });
    }
  }
  return { adapter: engine.adapterName, shape: s, gemm, best_gflops: best, dispatch_ms: dispatch, chain_links: n, rows };
}

/** The result as markdown: the measurements and one row per cell and mode. */
export function limitsMarkdown(/** @type {any} */ r, /** @type {string} */ host) {
  const g = (/** @type {string} */ v) => r.gemm.sizes.filter((x) => x.variant === v).map((x) => `${x.M}×${x.N}×${x.K} ${x.gflops}`).join(', ');
  const lines = [
    `Adapter (${host}): ${r.adapter}. Shape: B ${r.shape.B}, T ${r.shape.T}, I ${r.shape.I}, H ${r.shape.H}.`,
    '',
    `- GEMM GFLOP/s, register-blocked: ${g('register-blocked')}; tiled: ${g('tiled')}; best **${r.best_gflops}**.`,
    `- One dependent dispatch (a 1×1×1 GEMM in a chain of ${r.chain_links}, one submission): register-blocked ${r.dispatch_ms['register-blocked']} ms, tiled ${r.dispatch_ms.tiled} ms.`,
    '',
    '| cell | mode | MFLOP | steps | arithmetic bound ms | sequential bound ms | floor ms | one step\'s product ms (reg / tiled) | per-step estimate ms | tfjs-webgpu ms | max speed-up vs tfjs (floor) | per-step estimate vs tfjs | GFLOP/s 10× tfjs needs |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.cell} | ${x.mode} | ${x.mflop} | ${x.steps} | ${x.arithmetic_ms} | ${x.sequential_ms} | ${x.floor_ms} | ${x.step_product_ms['register-blocked']} / ${x.step_product_ms.tiled} | ${x.per_step_estimate_ms} | ${x.tfjs_webgpu_ms ?? ''} | ${x.max_speedup_vs_tfjs ? `${x.max_speedup_vs_tfjs}×` : ''} | ${x.per_step_speedup_vs_tfjs ? `${x.per_step_speedup_vs_tfjs}×` : ''} | ${x.tenx_needs_gflops ?? ''} |`),
    '',
    'arithmetic = FLOPs / best GEMM rate; sequential = steps × one dependent dispatch; floor = the larger (no engine on this adapter is faster); per-step estimate = input-projection FLOPs at the best rate + steps × one chained B × G·H × H product (gates not counted). "GFLOP/s 10× tfjs needs" = the rate at which the FLOPs alone would take a tenth of tfjs-webgpu\'s time.',
  ];
  return lines.join('\n');
}
