// A tiny "translation" task with an encoder–decoder: numbers written in digits → the same numbers in
// English words ("4021" → "four thousand twenty one"), generated data. The course's basic
// sequence-to-sequence model (Sutskever et al., Cho et al.): an LSTM encoder reads the digits, its
// final h and c start an LSTM decoder trained with teacher forcing; translations come from beam
// search over the decoder (src/decode/beam.ts, with the encoder's state as h0/c0) and are scored with
// BLEU (src/eval/bleu.ts) against the true words, next to greedy decoding (a beam of 1).
//
//   node examples/run.mjs number-words                 # about 1500 steps
//   node examples/run.mjs number-words --quick         # a few steps, a few sentences (CI)
import { Adam, BeamSearch, corpusBleu, CrossEntropyLoss, Dense, Embedding, type Engine, Recurrent, Rng } from 'webrnn';
import { exampleMain, num, trainingOptions, trainingValues, trainLoop } from './_shared.js';

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0 ≤ n ≤ 9999 in English words, without "and": 4021 → ['four', 'thousand', 'twenty', 'one']. */
export function numberToWords(n: number): string[] {
  if (n === 0) return ['zero'];
  const out: string[] = [];
  const th = Math.floor(n / 1000), h = Math.floor((n % 1000) / 100), r = n % 100;
  if (th) out.push(ONES[th], 'thousand');
  if (h) out.push(ONES[h], 'hundred');
  if (r >= 20) out.push(TENS[Math.floor(r / 10)], ...(r % 10 ? [ONES[r % 10]] : []));
  else if (r > 0) out.push(ONES[r]);
  return out;
}

// Source ids: 0 pad, 1 + digit. Target ids: 0 pad, 1 <BOS>, 2 <EOS>, 3… the words.
const WORDS = [...ONES, ...TENS.slice(2), 'hundred', 'thousand'];
const BOS = 1, EOS = 2;
const SRC_V = 11, TGT_V = 3 + WORDS.length;
const wordId = new Map(WORDS.map((w, i) => [w, 3 + i]));

/** A number with 1–4 digits, each digit count equally likely. */
function sampleNumber(rng: Rng): number {
  const d = rng.int(1, 4);
  return d === 1 ? rng.int(0, 9) : rng.int(10 ** (d - 1), 10 ** d - 1);
}

export interface NumberWordsOptions {
  steps: number;
  batch: number;
  hidden: number;
  beam_width: number;
  test_size: number;
  lr: number;
  seed: number;
  progress: boolean;
}

export interface NumberWordsResult {
  steps: number;
  losses: number[];
  greedy: { bleu: number; exact: number };
  beam: { bleu: number; exact: number };
  samples: { source: string; greedy: string; beam: string; reference: string }[];
}

/** The model's layers: source embedding → encoder LSTM; target embedding → decoder LSTM → head. */
interface Model {
  srcEmb: Embedding;
  enc: Recurrent;
  tgtEmb: Embedding;
  dec: Recurrent;
  out: Dense;
}

export async function run(engine: Engine, o: NumberWordsOptions, log: (s: string) => void = console.log): Promise<NumberWordsResult> {
  const E = 32, H = o.hidden;
  const m: Model = {
    srcEmb: new Embedding(engine, { num_embeddings: SRC_V, embedding_dim: E, padding_idx: 0 }, { seed: o.seed }),
    enc: new Recurrent(engine, { mode: 'LSTM', input_size: E, hidden_size: H }, { seed: o.seed + 1 }),
    tgtEmb: new Embedding(engine, { num_embeddings: TGT_V, embedding_dim: E, padding_idx: 0 }, { seed: o.seed + 2 }),
    dec: new Recurrent(engine, { mode: 'LSTM', input_size: E, hidden_size: H }, { seed: o.seed + 3 }),
    out: new Dense(engine, { in_features: H, out_features: TGT_V }, { seed: o.seed + 4 }),
  };
  const ce = new CrossEntropyLoss(engine);
  const opt = new Adam(engine, [m.srcEmb.store, m.enc.store, m.tgtEmb.store, m.dec.store, m.out.store], { lr: o.lr, clip_norm: 5 });
  const rng = new Rng(o.seed);
  log(`number → words encoder–decoder on ${engine.adapterName}: LSTM ${H}, ${TGT_V} target tokens, ${o.steps} steps of ${o.batch}`);
  try {
    // Held-out numbers are never trained on.
    const test = new Set<number>();
    while (test.size < o.test_size) test.add(sampleNumber(rng));
    const losses = await trainLoop(o, log, async (step) => {
      const nums: number[] = [];
      while (nums.length < o.batch) {
        const n = sampleNumber(rng);
        if (!test.has(n)) nums.push(n);
      }
      const b = encodeBatch(nums);
      const enc = encode(m, b);
      const yin = m.tgtEmb.forward(b.decIn, [b.Ty, b.B]);
      const dec = m.dec.forward(yin, { h0: enc.h_n, c0: enc.c_n!, lengths: b.tgtLens });
      const r = ce.forward(m.out.forward(dec.output), b.targets); // padded steps: ignore_index
      const gd = m.dec.backward({ grad_output: m.out.backward(r.grad_input).grad_input });
      m.tgtEmb.backward(gd.grad_input);
      m.srcEmb.backward(m.enc.backward({ grad_h_n: gd.grad_h0, grad_c_n: gd.grad_c0! }).grad_input);
      await opt.stepChecked(step);
      return r.loss;
    });

    const testNums = [...test];
    const greedy = await translate(engine, m, testNums, 1);
    const beam = await translate(engine, m, testNums, o.beam_width);
    const refs = testNums.map((n) => [numberToWords(n)]);
    const score = (hyps: string[][]) => ({
      bleu: corpusBleu(hyps, refs).bleu,
      exact: hyps.filter((h, i) => h.join(' ') === refs[i][0].join(' ')).length / hyps.length,
    });
    const result: NumberWordsResult = {
      steps: o.steps,
      losses,
      greedy: score(greedy),
      beam: score(beam),
      samples: testNums.slice(0, 6).map((n, i) => ({ source: String(n), greedy: greedy[i].join(' '), beam: beam[i].join(' '), reference: refs[i][0].join(' ') })),
    };
    log(`held out (${testNums.length} numbers): greedy BLEU ${(100 * result.greedy.bleu).toFixed(1)}, exact ${(100 * result.greedy.exact).toFixed(1)}%; beam ${o.beam_width} BLEU ${(100 * result.beam.bleu).toFixed(1)}, exact ${(100 * result.beam.exact).toFixed(1)}%`);
    for (const s of result.samples) log(`  ${s.source.padStart(4)} → ${s.beam}${s.beam === s.reference ? '' : `   (want: ${s.reference})`}`);
    return result;
  } finally {
    for (const x of [m.srcEmb, m.enc, m.tgtEmb, m.dec, m.out, ce, opt]) x.dispose();
  }
}

interface Batch {
  B: number;
  Tx: number;
  Ty: number;
  src: Int32Array; // (Tx, B)
  srcLens: number[];
  decIn: Int32Array; // (Ty, B): <BOS>, y0, …
  targets: Int32Array; // (Ty, B): y0, …, <EOS>, −100 past the end
  tgtLens: number[];
}

function encodeBatch(nums: number[]): Batch {
  const B = nums.length;
  const digits = nums.map((n) => Array.from(String(n), (c) => 1 + Number(c)));
  const words = nums.map((n) => [...numberToWords(n).map((w) => wordId.get(w)!), EOS]);
  const Tx = Math.max(...digits.map((d) => d.length));
  const Ty = Math.max(...words.map((w) => w.length));
  const src = new Int32Array(Tx * B), decIn = new Int32Array(Ty * B), targets = new Int32Array(Ty * B).fill(-100);
  for (let b = 0; b < B; b++) {
    digits[b].forEach((d, t) => (src[t * B + b] = d));
    words[b].forEach((w, t) => {
      targets[t * B + b] = w;
      decIn[t * B + b] = t === 0 ? BOS : words[b][t - 1];
    });
  }
  return { B, Tx, Ty, src, srcLens: digits.map((d) => d.length), decIn, targets, tgtLens: words.map((w) => w.length) };
}

function encode(m: Model, b: Pick<Batch, 'B' | 'Tx' | 'src' | 'srcLens'>) {
  return m.enc.forward(m.srcEmb.forward(b.src, [b.Tx, b.B]), { lengths: b.srcLens });
}

/** Beam search (width 1 = greedy) from each number's encoder state; the words without <EOS>. */
async function translate(engine: Engine, m: Model, nums: number[], width: number): Promise<string[][]> {
  const b = encodeBatch(nums);
  const enc = encode(m, b);
  const H = m.enc.config.hidden_size;
  const [h, c] = [await enc.h_n.read(), await enc.c_n!.read()]; // (1, B, H)
  const search = new BeamSearch(engine, { embedding: m.tgtEmb, recurrent: m.dec, head: m.out }, { beam_width: width });
  const out: string[][] = [];
  try {
    for (let i = 0; i < nums.length; i++) {
      const h0 = engine.tensor(h.subarray(i * H, (i + 1) * H), [1, 1, H]);
      const c0 = engine.tensor(c.subarray(i * H, (i + 1) * H), [1, 1, H]);
      const [best] = await search.search({ prime: [BOS], max_length: 8, eos: EOS, alpha: 0.7, h0, c0 });
      out.push((best?.tokens ?? []).filter((t) => t !== EOS).map((t) => WORDS[t - 3] ?? '?'));
      h0.dispose();
      c0.dispose();
    }
  } finally {
    search.dispose();
  }
  return out;
}

export function main(args: string[]): Promise<void> {
  return exampleMain('number-words', 'Trains an LSTM encoder–decoder to write numbers (0–9999) in English words; scores greedy and beam search with BLEU.', {
    ...trainingOptions({ steps: '1500', batch: '64', rows: 'numbers', hidden: '128', cell: 'LSTM', lr: '0.005', quick: '30 steps, 20 test numbers (a smoke test)' }),
    beam: { type: 'string', default: '4', help: 'beam width' },
    test: { type: 'string', default: '200', help: 'held-out numbers to translate' },
  }, args, (engine, v) => run(engine, { ...trainingValues(v, 30), beam_width: num(v.beam, 'beam'), test_size: v.quick ? 20 : num(v.test, 'test') }));
}
