// Times webrnn's shipped kernels alone (no anchors): forward and forward+backward of one recurrent layer
// stack at the benchmark shapes, with GFLOP/s, dispatches per call and the adapter. The side-by-side
// comparison with tfjs and PyTorch is a separate benchmark; this one is quick (seconds) and is what
// the engine's closing notes quote. Run: npm run bench:engine [-- --shape S2] (after npm run setup).
//
// FLOPs counted: the matrix products only, 2·T·B·G·H·(I_l + H) per layer and direction for the forward;
// the backward does twice that (dX and dW_ih from the input product, dh and dW_hh from the recurrent one).
import { createEngine, Recurrent } from '../dist/src/index.js';

const SHAPES = {
  S1: { B: 1, T: 100, I: 32, H: 64, L: 1, bidirectional: false },
  S2: { B: 16, T: 50, I: 64, H: 128, L: 1, bidirectional: false },
  S3: { B: 64, T: 100, I: 256, H: 512, L: 2, bidirectional: true },
};
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const only = arg('--shape', 'S1,S2').split(',');
const reps = Number(arg('--reps', '7'));
const schedule = arg('--schedule', 'auto'); // auto, per-step or persistent

const engine = await createEngine();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const shape of only) {
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown shape ${shape} (known: ${Object.keys(SHAPES).join(', ')})`);
  for (const mode of ['LSTM', 'GRU']) {
    const G = mode === 'LSTM' ? 4 : 3;
    const D = s.bidirectional ? 2 : 1;
    let flops = 0;
    for (let l = 0; l < s.L; l++) flops += 2 * s.T * s.B * G * s.H * ((l === 0 ? s.I : D * s.H) + s.H) * D;
    const rnn = new Recurrent(engine, { mode, input_size: s.I, hidden_size: s.H, num_layers: s.L, bidirectional: s.bidirectional }, { schedule });
    const x = engine.tensor(new Float32Array(s.T * s.B * s.I).map((_, i) => Math.sin(i)), [s.T, s.B, s.I]);
    const go = engine.tensor(new Float32Array(s.T * s.B * D * s.H).fill(1e-3), [s.T, s.B, D * s.H]);
    const fwd = async () => { await rnn.forward(x).h_n.read(); };
    const train = async () => { rnn.forward(x); await rnn.backward({ grad_output: go }).grad_h0.read(); };
    for (const [name, fn, f] of [['forward', fwd, flops], ['train', train, 3 * flops]]) {
      for (let i = 0; i < 2; i++) await fn();
      const ts = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await fn();
        ts.push(performance.now() - t0);
      }
      const ms = median(ts);
      const counts = rnn.dispatchCounts();
      rows.push({ shape, cell: mode.toLowerCase(), mode: name, engine: 'webrnn', host: 'node', ms: +ms.toFixed(2), gflops: +(f / ms / 1e6).toFixed(2), dispatches: name === 'forward' ? counts.forward : counts.forward + counts.backward, adapter: engine.adapterName });
    }
    rnn.dispose();
    x.dispose();
    go.dispose();
  }
}
console.log('| shape | cell | mode | ms | GFLOP/s | dispatches |\n|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.shape} | ${r.cell} | ${r.mode} | ${r.ms} | ${r.gflops} | ${r.dispatches} |`);
console.log(`adapter: ${engine.adapterName}`);
console.log(JSON.stringify(rows));
engine.dispose();
