// Speech-style recognition with CTC: a bidirectional GRU reads noisy feature frames of spoken digit
// strings — each digit lasts 1–3 frames, pauses come and go, nothing says where one digit ends — and
// learns to write the digits with the connectionist temporal classification loss (src/ctc), which sums
// over every alignment of the labels to the frames. Transcripts come from greedy decoding (best path:
// collapse repeats, drop blanks) and from prefix beam search.
//
//   node examples/run.mjs ctc-digits            # 600 steps
//   node examples/run.mjs ctc-digits --quick    # a few steps (CI)
import { Adam, ctcGreedyDecode, CtcLoss, ctcPrefixBeamSearch, Dense, type Engine, Recurrent, Rng } from 'webrnn';
import { exampleMain, num, trainingOptions, trainingValues, trainLoop } from './_shared.js';

export interface CtcDigitsOptions {
  steps: number;
  batch: number;
  hidden: number;
  noise: number;
  beam_width: number;
  lr: number;
  seed: number;
  progress: boolean;
  test_batches: number;
}

export interface CtcDigitsResult {
  losses: number[];
  greedy: { sequence_accuracy: number; label_error_rate: number };
  beam: { sequence_accuracy: number; label_error_rate: number };
  examples: { truth: string; greedy: string }[];
}

const T = 26, I = 12, C = 11; // frames, features, classes (0 blank, 1 + digit)

/** A batch of B digit strings (1–5 digits) as time-major (T, B, I) frames; see the file comment. */
function digitFrames(rng: Rng, B: number, prototypes: Float64Array[], noise: number) {
  const input = new Float32Array(T * B * I);
  const lengths: number[] = [];
  const targets: number[][] = [];
  for (let b = 0; b < B; b++) {
    const digits = Array.from({ length: rng.int(1, 5) }, () => rng.int(0, 9));
    const frames: (number | null)[] = [];
    for (let k = rng.int(0, 2); k > 0; k--) frames.push(null);
    digits.forEach((d, i) => {
      // equal neighbours are always separated by a pause (as a speaker would), others sometimes
      const gap = i > 0 && digits[i - 1] === d ? rng.int(1, 2) : i > 0 ? rng.int(0, 1) : 0;
      for (let k = 0; k < gap; k++) frames.push(null);
      for (let k = rng.int(1, 3); k > 0; k--) frames.push(d);
    });
    for (let k = rng.int(0, 2); k > 0 && frames.length < T; k--) frames.push(null);
    frames.length = Math.min(frames.length, T);
    frames.forEach((d, t) => {
      for (let i = 0; i < I; i++) input[(t * B + b) * I + i] = (d === null ? 0 : prototypes[d][i]) + noise * rng.normal();
    });
    lengths.push(frames.length);
    targets.push(digits.map((d) => d + 1));
  }
  return { input, lengths, targets };
}

function editDistance(a: readonly number[], b: readonly number[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}

export async function run(engine: Engine, o: CtcDigitsOptions, log: (s: string) => void = console.log): Promise<CtcDigitsResult> {
  const rng = new Rng(o.seed);
  const prototypes = Array.from({ length: 10 }, () => rng.normalArray(I));
  const rnn = new Recurrent(engine, { mode: 'GRU', input_size: I, hidden_size: o.hidden, bidirectional: true }, { seed: o.seed });
  const head = new Dense(engine, { in_features: 2 * o.hidden, out_features: C }, { seed: o.seed + 1 });
  const ctc = new CtcLoss(engine, { blank: 0 });
  const opt = new Adam(engine, [rnn.store, head.store], { lr: o.lr, clip_norm: 5 });
  const x = engine.empty([T, o.batch, I]);
  const forward = (batch: ReturnType<typeof digitFrames>) => {
    x.write(batch.input);
    return head.forward(rnn.forward(x, { lengths: batch.lengths }).output); // (T, B, C)
  };
  log(`CTC digits on ${engine.adapterName}: ${T} frames × ${I} features, BiGRU ${o.hidden}, noise ${o.noise}, ${o.steps} steps of ${o.batch}`);
  try {
    const losses = await trainLoop(o, log, async (step) => {
      const batch = digitFrames(rng, o.batch, prototypes, o.noise);
      const r = ctc.forward(forward(batch), batch.targets, { input_lengths: batch.lengths });
      rnn.backward({ grad_output: head.backward(r.grad_input).grad_input });
      await opt.stepChecked(step);
      return r.loss;
    }, 'CTC loss');

    const score = { greedy: { right: 0, errors: 0 }, beam: { right: 0, errors: 0 } };
    let n = 0, labels = 0;
    const examples: CtcDigitsResult['examples'] = [];
    for (let k = 0; k < o.test_batches; k++) {
      const batch = digitFrames(rng, o.batch, prototypes, o.noise);
      const logits = await forward(batch).read();
      const greedy = ctcGreedyDecode(logits, [T, o.batch, C], { input_lengths: batch.lengths });
      const beam = ctcPrefixBeamSearch(logits, [T, o.batch, C], { input_lengths: batch.lengths, beam_width: o.beam_width }).map((h) => h[0]?.labels ?? []);
      batch.targets.forEach((truth, b) => {
        n++;
        labels += truth.length;
        for (const [s, out] of [[score.greedy, greedy[b]], [score.beam, beam[b]]] as const) {
          s.errors += editDistance(out, truth);
          if (out.join() === truth.join()) s.right++;
        }
        if (examples.length < 5) examples.push({ truth: truth.map((c) => c - 1).join(''), greedy: greedy[b].map((c) => c - 1).join('') });
      });
    }
    const summary = (s: { right: number; errors: number }) => ({ sequence_accuracy: s.right / n, label_error_rate: s.errors / labels });
    const result: CtcDigitsResult = { losses, greedy: summary(score.greedy), beam: summary(score.beam), examples };
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    log(`held out (${n} strings): greedy ${pct(result.greedy.sequence_accuracy)} exact, label error rate ${pct(result.greedy.label_error_rate)}; prefix beam ${o.beam_width} ${pct(result.beam.sequence_accuracy)} exact, ${pct(result.beam.label_error_rate)}`);
    for (const e of examples) log(`  ${e.truth.padEnd(6)} → ${e.greedy}`);
    return result;
  } finally {
    for (const d of [rnn, head, ctc, opt, x]) d.dispose();
  }
}

export function main(args: string[]): Promise<void> {
  return exampleMain('ctc-digits', 'Trains a BiGRU with the CTC loss to transcribe noisy frames of digit strings; decodes greedily and with prefix beam search.', {
    ...trainingOptions({ steps: '600', batch: '32', rows: 'strings', hidden: '32', cell: 'GRU (per direction)', lr: '0.01' }),
    noise: { type: 'string', default: '0.5', help: 'std of the frame noise (digit prototypes have std 1)' },
    beam: { type: 'string', default: '8', help: 'prefix beam width' },
  }, args, (engine, v) => run(engine, { ...trainingValues(v), noise: num(v.noise, 'noise'), beam_width: num(v.beam, 'beam'), test_batches: v.quick ? 1 : 8 }));
}
