// Interleaved timing of the recurrent step variants that matter for small grids — per-step, split-k with
// subgroupAdd sums (where the adapter has `subgroups`) and split-k with the workgroup-memory sums, plus
// `off` (tuning off: today's fixed rule) — at S1 and S2, LSTM and GRU, forward and forward+BPTT. Each
// variant runs on an engine of its own (forced, tuning off, so nothing is timed in the background);
// rounds alternate the variants, so a machine whose load drifts biases none of them. Median of the
// rounds, ms. Run: node bench/split-k-ab.mjs [--shape S1,S2] [--rounds 7] (after npm run build).
import { createEngine, Recurrent } from '../dist/src/index.js';

const SHAPES = {
  S1: { B: 1, T: 100, I: 32, H: 64 },
  S2: { B: 16, T: 50, I: 64, H: 128 },
};
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const only = arg('--shape', 'S1,S2').split(',');
const rounds = Number(arg('--rounds', '7'));
const STEP = ['lstm_step_fwd', 'gru_step_fwd', 'rnn_step_fwd'];
const forced = (v) => Object.fromEntries(STEP.map((k) => [k, v]));
const VARIANTS = {
  off: { tuning: 'off' },
  'per-step': { tuning: 'off', kernels: forced('per-step') },
  'split-k (subgroup sums)': { tuning: 'off', kernels: forced('split-k') },
  'split-k (workgroup sums)': { tuning: 'off', kernels: forced('split-k'), subgroups: false },
};
const engines = {};
for (const [name, opts] of Object.entries(VARIANTS)) engines[name] = await createEngine(opts);
const sub = engines['split-k (subgroup sums)'];
if (!sub.subgroups) delete engines['split-k (subgroup sums)']; // the adapter has no subgroups: same as workgroup
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const shape of only) {
  const s = SHAPES[shape];
  for (const mode of ['LSTM', 'GRU']) {
    const cases = Object.entries(engines).map(([name, engine]) => {
      const rnn = new Recurrent(engine, { mode, input_size: s.I, hidden_size: s.H }, { seed: 1 });
      const x = engine.tensor(new Float32Array(s.T * s.B * s.I).map((_, i) => Math.sin(i)), [s.T, s.B, s.I]);
      const go = engine.tensor(new Float32Array(s.T * s.B * s.H).fill(1e-3), [s.T, s.B, s.H]);
      return {
        name, rnn,
        forward: async () => { await rnn.forward(x).h_n.read(); },
        train: async () => { rnn.forward(x); await rnn.backward({ grad_output: go }).grad_h0.read(); },
        dispose: () => { rnn.dispose(); x.dispose(); go.dispose(); },
      };
    });
    for (const what of ['forward', 'train']) {
      const ts = Object.fromEntries(cases.map((c) => [c.name, []]));
      for (const c of cases) for (let i = 0; i < 2; i++) await c[what](); // compile, plan, warm
      for (let r = 0; r < rounds; r++) {
        for (const c of r % 2 ? [...cases].reverse() : cases) {
          const t0 = performance.now();
          await c[what]();
          ts[c.name].push(performance.now() - t0);
        }
      }
      for (const c of cases) {
        const v = c.rnn.kernelVariants();
        rows.push({ shape, cell: mode.toLowerCase(), mode: what, variant: c.name, ran: `${v.schedule}${v.reduction ? ` ${v.reduction}` : ''}`, ms: +median(ts[c.name]).toFixed(2) });
      }
    }
    for (const c of cases) c.dispose();
  }
}
const adapter = Object.values(engines)[0].adapterName;
console.log(`| shape | cell | mode | variant | ran | median ms |\n|---|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.shape} | ${r.cell} | ${r.mode} | ${r.variant} | ${r.ran} | ${r.ms} |`);
console.log(`adapter: ${adapter}; ${rounds} interleaved rounds; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(JSON.stringify(rows));
for (const e of Object.values(engines)) e.dispose();
