// What bounds S2 on an adapter, measured (issue 13's "where an emulator's arithmetic caps it"): the
// adapter's best GEMM rate (webrnn's two GEMM kernels, each forced, bench/lib/gemm.mjs), the cost of one
// dispatch in a chain of dependent dispatches (a 1×1×1 GEMM, so the kernel does nothing), the cost of one
// recurrent product per step in such a chain (a B × G·H × H GEMM per dispatch, each reading the last one's
// output: what any per-step engine does T times), and from them the shortest S2 time any engine could
// reach on this adapter — against webrnn's (tuned) and tfjs-webgpu's S2 calls, timed in the same rounds
// as the best GEMM (one of each per round, in turn, the fastest of the rounds counting), so the load of a
// shared machine falls on all alike and the note can say whether "≥ 10× tfjs-webgpu" is reachable here at
// all. Host-agnostic: Node (bench/adapter-limits.mjs) and the Chromium page (bench/chromium/limits-entry.mjs)
// call measureLimits with the engine's internals and the calls (s2Calls).
//
// The bounds, per S2 cell and mode (FLOPs as the benchmark counts them, matrix products only):
//   best rate   = the best GEMM's GFLOP/s in the rounds, or an engine call's own rate where that is higher
//                 (the floor must hold for every engine)
//   arithmetic  = FLOPs / best rate
//   sequential  = steps · one dependent dispatch   (T steps forward, 2·T for a training step: forward and
//                 BPTT; each step needs the last one's h, so they cannot overlap)
//   floor       = max(arithmetic, sequential): a lower bound for any engine on this adapter
//   per-step    = the input-projection GEMMs at the best rate + steps · one chained recurrent product
//                 (an estimate of a per-step engine's best, gates and state updates not counted)
import { measureGemm, GEMM_SIZES } from './gemm.mjs';
import { CELLS } from './shapes.mjs';
import { makeData, makeStateDict, rnnConfig } from './weights.mjs';
import { webrnnCase } from './webrnn-engine.mjs';
import { tfjsCase } from './tfjs-engine.mjs';

/** The cells measured: LSTM and GRU in its reset-before form (tfjs's), each with its gate count G. */
export const LIMIT_CELLS = [{ cell: 'lstm', G: 4, of: CELLS[0] }, { cell: 'gru', G: 3, of: CELLS[2] }];

/**
 * The S2 calls measureLimits times beside the GEMM: webrnn (tuned, after its tuning) and tfjs-webgpu
 * (tf with its webgpu backend set), forward and training step, on the benchmark's weights and data.
 * @param {any} W webrnn's module @param {any} engine @param {any} tf @param {Shape} s
 */
export async function s2Calls(W, engine, tf, s) {
  /** @type {Record<string, () => Promise<unknown>>} */
  const calls = {};
  for (const { cell, of: c } of LIMIT_CELLS) {
    const config = rnnConfig(s, c);
    const sd = makeStateDict(W.parameterSpecs(/** @type {any} */ (config)), s.H);
    const data = makeData(s);
    const w = await webrnnCase(W, engine, s, c, config, sd, data);
    const t = tfjsCase(tf, s, c, sd, data);
    // the same function first (as the benchmark's guard checks, within 1e-4 relative)
    const [a, b] = [await w.forward(), await t.forward()];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(a[i])));
    if (!(worst < 1e-4)) throw new Error(`tfjs-webgpu's ${cell} output differs from webrnn's (relative ${worst})`);
    for (const mode of /** @type {const} */ (['forward', 'train'])) {
      calls[`webrnn ${cell} ${mode}`] = () => w[mode]();
      calls[`tfjs-webgpu ${cell} ${mode}`] = () => t[mode]();
    }
  }
  return calls;
}

const VARIANTS = ['register-blocked', 'tiled'];

/**
 * Time per link of a chain of `n` dependent GEMMs C = A·Bᵀ, alternating (a → c) and (c → a), recorded into
 * one program and run in one submission (as webrnn's per-step schedule runs its T steps), timed from
 * submit to readback. The per-link cost is the slope between a short and a long chain (the fastest of
 * several runs of each), so the submission and readback costs drop out. Each link reads the first K columns of the last link's M × N output (N ≥ K).
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
    // the fastest of several runs of each (what the adapter can do; other processes only slow runs down)
    let ts = Infinity;
    let tl = Infinity;
    for (let r = 0; r < (o.reps ?? 7); r++) {
      ts = Math.min(ts, await time(short));
      tl = Math.min(tl, await time(long));
    }
    return +Math.max(0, (tl - ts) / (n - 2)).toPrecision(3);
  } finally {
    rec.dispose();
  }
}

/**
 * One GEMM size and variant, ready to time: `n` dispatches in one submission; run() returns GFLOP/s.
 * @param {any} engine @param {{ Recorder: any, Program: any }} gpu
 * @param {{ M: number, N: number, K: number, variant: string }} g
 */
async function gemmBurst(engine, gpu, g) {
  const { M, N, K } = g;
  const rec = new gpu.Recorder(engine, 'bench-gemm-burst');
  const a = rec.buffer(M * K * 4, 'A');
  const b = rec.buffer(N * K * 4, 'B');
  const c = rec.buffer(M * N * 4, 'C');
  const one = new gpu.Program();
  await engine.tuner.withForced({ matmul: g.variant }, async () => rec.matmul(one, 'gemm', { M, N, K, a_rs: K, a_cs: 1, b_rs: 1, b_cs: K, c_rs: N }, a, b, c));
  const n = 8;
  const prog = new gpu.Program();
  for (let i = 0; i < n; i++) prog.append(one);
  return {
    async run() {
      const t = performance.now();
      engine.run(prog);
      await engine.readBuffer(c, 0, 1);
      return (2 * M * N * K * n) / (performance.now() - t) / 1e6;
    },
    dispose: () => rec.dispose(),
  };
}

/**
 * @typedef {{ B: number, T: number, I: number, H: number }} Shape
 * @typedef {{ cell: string, G: number }} Cell
 */

/**
 * @param {any} engine a webrnn Engine created with tuning 'off' (each measurement forces its variant)
 * @param {{ Recorder: any, Program: any }} gpu webrnn's internal Recorder and Program classes
 * @param {{ shape: Shape, cells: Cell[], calls?: Record<string, () => Promise<unknown>>, rounds?: number, chain?: number, log?: (l: string) => void }} o
 *   calls: S2 calls to time in the same rounds as the best GEMM, keyed "<engine> <cell> <mode>" (e.g.
 *   "tfjs-webgpu lstm forward", "webrnn lstm train"): each round runs the GEMM and every call once, in
 *   turn, so load from other processes falls on all alike; the fastest of the rounds counts for each
 */
export async function measureLimits(engine, gpu, o) {
  const { shape: s } = o;
  const n = o.chain ?? 2 * s.T;
  const log = o.log ?? (() => {});
  log('GEMM variants');
  const gemm = await measureGemm(engine, gpu, { sizes: [GEMM_SIZES[2], GEMM_SIZES[3], ...o.cells.map((c) => ({ M: s.T * s.B, N: c.G * s.H, K: s.I }))] });
  // the best size and variant, then timed again in rounds beside the engines' calls
  const top = gemm.sizes.reduce((x, y) => (y.gflops > x.gflops ? y : x));
  const burst = await gemmBurst(engine, gpu, top);
  let best = 0;
  /** @type {Record<string, number>} */
  const fastest = {};
  try {
    await burst.run();
    for (const f of Object.values(o.calls ?? {})) await f(); // warm
    for (let r = 0; r < (o.rounds ?? 5); r++) {
      log(`round ${r + 1} of ${o.rounds ?? 5}`);
      best = Math.max(best, await burst.run(), await burst.run());
      for (const [k, f] of Object.entries(o.calls ?? {})) {
        const t = performance.now();
        await f();
        fastest[k] = Math.min(fastest[k] ?? Infinity, performance.now() - t);
      }
    }
  } finally {
    burst.dispose();
  }
  best = Math.max(best, gemm.best);
  // An engine's call may run faster than the GEMM did in the same rounds (the load moves between them):
  // the floor must hold for every engine, so the arithmetic bound takes the best rate any of them showed.
  const flopsOf = (/** @type {string} */ key) => {
    const [, cell, mode] = key.split(' ');
    const c = o.cells.find((x) => x.cell === cell);
    return c ? 2 * s.T * s.B * c.G * s.H * (s.I + s.H) * (mode === 'train' ? 3 : 1) : 0;
  };
  let rateSource = `${top.variant} GEMM ${top.M}×${top.N}×${top.K}`;
  for (const [k, ms] of Object.entries(fastest)) {
    const rate = flopsOf(k) / ms / 1e6;
    if (rate > best) {
      best = rate;
      rateSource = `${k} (its own call, faster than the GEMM in these rounds)`;
    }
  }
  best = +best.toPrecision(3);
  log('dependent dispatches');
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
      const tfjs = fastest[`tfjs-webgpu ${c.cell} ${mode}`] === undefined ? undefined : +fastest[`tfjs-webgpu ${c.cell} ${mode}`].toPrecision(4);
      const webrnn = fastest[`webrnn ${c.cell} ${mode}`];
      rows.push({
        cell: c.cell, mode, mflop: +(flops / 1e6).toPrecision(4), steps,
        arithmetic_ms: +arithmeticMs.toPrecision(3), sequential_ms: +sequentialMs.toPrecision(3), floor_ms: +floorMs.toPrecision(3),
        step_product_ms: step, per_step_estimate_ms: +perStepMs.toPrecision(3),
        ...(webrnn !== undefined ? { webrnn_ms: +webrnn.toPrecision(4), webrnn_over_floor: +(webrnn / floorMs).toPrecision(3) } : {}),
        ...(tfjs ? { tfjs_webgpu_ms: tfjs, max_speedup_vs_tfjs: +(tfjs / floorMs).toPrecision(3), per_step_speedup_vs_tfjs: +(tfjs / perStepMs).toPrecision(3), tenx_needs_gflops: +((flops * 10) / tfjs / 1e6).toPrecision(3) } : {}),
      });
    }
  }
  return { adapter: engine.adapterName, shape: s, gemm, best_gemm: top, best_gflops: best, best_rate_source: rateSource, rounds: o.rounds ?? 5, dispatch_ms: dispatch, chain_links: n, rows };
}

/** The result as markdown: the measurements and one row per cell and mode. */
export function limitsMarkdown(/** @type {any} */ r, /** @type {string} */ host) {
  const g = (/** @type {string} */ v) => r.gemm.sizes.filter((x) => x.variant === v).map((x) => `${x.M}×${x.N}×${x.K} ${x.gflops}`).join(', ');
  const lines = [
    `Adapter (${host}): ${r.adapter}. Shape: B ${r.shape.B}, T ${r.shape.T}, I ${r.shape.I}, H ${r.shape.H}.`,
    '',
    `- GEMM GFLOP/s (median of 3), register-blocked: ${g('register-blocked')}; tiled: ${g('tiled')}. Best rate seen in ${r.rounds} rounds (the best GEMM, ${r.best_gemm.variant} ${r.best_gemm.M}×${r.best_gemm.N}×${r.best_gemm.K}, in turn with the calls below; or a call's own rate where higher): **${r.best_gflops}** GFLOP/s, from ${r.best_rate_source}.`,
    `- One dependent dispatch (a 1×1×1 GEMM in a chain of ${r.chain_links}, one submission): register-blocked ${r.dispatch_ms['register-blocked']} ms, tiled ${r.dispatch_ms.tiled} ms.`,
    '',
    '| cell | mode | MFLOP | steps | arithmetic bound ms | sequential bound ms | floor ms | one step\'s product ms (reg / tiled) | per-step estimate ms | webrnn ms (÷ floor) | tfjs-webgpu ms | max speed-up vs tfjs (floor) | per-step estimate vs tfjs | GFLOP/s 10× tfjs needs |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.cell} | ${x.mode} | ${x.mflop} | ${x.steps} | ${x.arithmetic_ms} | ${x.sequential_ms} | ${x.floor_ms} | ${x.step_product_ms['register-blocked']} / ${x.step_product_ms.tiled} | ${x.per_step_estimate_ms} | ${x.webrnn_ms ? `${x.webrnn_ms} (${x.webrnn_over_floor}×)` : ''} | ${x.tfjs_webgpu_ms ?? ''} | ${x.max_speedup_vs_tfjs ? `${x.max_speedup_vs_tfjs}×` : ''} | ${x.per_step_speedup_vs_tfjs ? `${x.per_step_speedup_vs_tfjs}×` : ''} | ${x.tenx_needs_gflops ?? ''} |`),
    '',
    'Every ms is the fastest of the rounds (webrnn tuned and tfjs-webgpu: one call each per round, in turn with the GEMM; GRU in its reset-before form, the one tfjs has). arithmetic = FLOPs / best rate; sequential = steps × one dependent dispatch; floor = the larger (no engine on this adapter is faster); per-step estimate = input-projection FLOPs at the best rate + steps × one chained B × G·H × H product (gates not counted). "GFLOP/s 10× tfjs needs" = the rate at which the FLOPs alone would take a tenth of tfjs-webgpu\'s time.',
  ];
  return lines.join('\n');
}
