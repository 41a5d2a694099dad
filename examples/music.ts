// A one-to-many "music" generator, as in the course's jazz improvisation example: an LSTM learns the
// next note of melodies over a small note vocabulary, then composes new ones from a single start
// token, each sampled note fed back as the next input (src/decode/generate.ts: sampling on the GPU,
// no readback until the end).
//
// The training melodies come from a little rule-based composer in C major: four 8-note phrases, mostly
// stepwise motion on the scale, an occasional chromatic passing note, phrases ending on C or G and a
// rest, the second phrase repeating the first (form A A B C). The report measures how well generated melodies follow
// those rules (against a random baseline), how often they keep the A A B C form, and that they
// are new melodies rather than copies.
//
//   node examples/run.mjs music               # 1500 steps, about 2 minutes on a CPU adapter
//   node examples/run.mjs music --quick       # a few steps (CI)
import { Adam, type Engine, Generator, Rng, SequenceModel } from 'webrnn';
import { exampleMain, num, trainingOptions, trainingValues, trainLoop } from './_shared.js';

// token 0: <START>; 1–10 the C-major scale C4…E5; 11–13 chromatic notes; 14 a rest
export const NOTES = ['<START>', 'C4', 'D4', 'E4', 'F4', 'G4', 'A4', 'B4', 'C5', 'D5', 'E5', 'F#4', 'Bb4', 'C#5', 'rest'];
const START = 0, REST = 14;
const SCALE = 10; // scale degrees 1..10
const CHROMATIC: Record<number, [number, number]> = { 11: [4, 5], 12: [6, 7], 13: [8, 9] }; // F#4 between F4 and G4, …
const PHRASE = 8;

/** One melody: 4 phrases of 7 notes and a rest (32 tokens). */
export function composeMelody(rng: Rng): number[] {
  const phrase = (): number[] => {
    const out: number[] = [];
    let d = rng.int(1, 8);
    for (let i = 0; i < PHRASE - 2; i++) {
      out.push(d);
      const r = rng.next();
      const step = r < 0.35 ? 1 : r < 0.7 ? -1 : r < 0.85 ? 2 : -2;
      let next = Math.min(SCALE, Math.max(1, d + step));
      if (next === d) next = d === 1 ? 2 : d - 1;
      // a chromatic passing note between two scale notes a whole tone apart
      for (const [c, [lo, hi]] of Object.entries(CHROMATIC)) {
        if (((d === lo && next === hi) || (d === hi && next === lo)) && rng.next() < 0.3 && out.length < PHRASE - 2) {
          out.push(Number(c));
          i++;
        }
      }
      d = next;
    }
    out.length = PHRASE - 2;
    out.push(rng.next() < 0.6 ? 1 : 5, REST); // ends on C or G, then a rest
    return out;
  };
  const a = phrase(), b = phrase(), d = phrase();
  return [...a, ...a, ...b, ...d];
}

/** Rule checks on a melody (tokens without <START>). */
export function melodyStats(m: readonly number[]): { inScale: number; smooth: number; cadences: number } {
  let inScale = 0, notes = 0, smooth = 0, moves = 0, cadences = 0, rests = 0;
  let prev = -1;
  m.forEach((t, i) => {
    if (t === REST) {
      rests++;
      if (i > 0 && (m[i - 1] === 1 || m[i - 1] === 5 || m[i - 1] === 8)) cadences++;
      prev = -1;
      return;
    }
    if (t === START) return;
    notes++;
    if (t >= 1 && t <= SCALE) inScale++;
    const pos = (x: number) => (x <= SCALE ? x : (CHROMATIC[x][0] + CHROMATIC[x][1]) / 2);
    if (prev > 0) {
      moves++;
      if (Math.abs(pos(t) - pos(prev)) <= 2) smooth++;
    }
    prev = t;
  });
  return { inScale: notes ? inScale / notes : 0, smooth: moves ? smooth / moves : 0, cadences: rests ? cadences / rests : 0 };
}

export interface MusicOptions {
  steps: number;
  batch: number;
  hidden: number;
  samples: number;
  temperature: number;
  lr: number;
  seed: number;
  progress: boolean;
}

export interface MusicResult {
  losses: number[];
  generated: string[][];
  stats: { inScale: number; smooth: number; cadences: number };
  baseline: { inScale: number; smooth: number; cadences: number };
  /** generated melodies that are not one of the training melodies */
  novel: number;
  /** generated melodies whose second phrase repeats the first (the composer's A A B C form) */
  repeats: number;
}

export async function run(engine: Engine, o: MusicOptions, log: (s: string) => void = console.log): Promise<MusicResult> {
  const rng = new Rng(o.seed);
  const V = NOTES.length;
  const T = 4 * PHRASE;
  const model = new SequenceModel(engine, {
    embedding: { num_embeddings: V, embedding_dim: 16 },
    rnn: { mode: 'LSTM', input_size: 16, hidden_size: o.hidden },
    linear: { in_features: o.hidden, out_features: V },
    loss: 'cross_entropy',
    target: 'all_steps',
  }, { seed: o.seed });
  const opt = new Adam(engine, model.blocks(), { lr: o.lr, clip_norm: 5 });
  const seen = new Set<string>();
  log(`music generator on ${engine.adapterName}: ${V} tokens, LSTM ${o.hidden}, ${o.steps} steps of ${o.batch} melodies`);
  try {
    const losses = await trainLoop(o, log, async (step) => {
      const tokens = new Int32Array(o.batch * T), targets = new Int32Array(o.batch * T);
      for (let b = 0; b < o.batch; b++) {
        const m = composeMelody(rng);
        seen.add(m.join(','));
        m.forEach((t, i) => {
          targets[b * T + i] = t;
          tokens[b * T + i] = i === 0 ? START : m[i - 1]; // x<1> = <START>, x<t> = y<t−1>
        });
      }
      const loss = model.lossAndGrad({ B: o.batch, T, tokens, targets });
      await opt.stepChecked(step);
      return loss;
    });

    const gen = new Generator(engine, { embedding: model.embedding!, recurrent: model.rnn, head: model.linear }, { batch: o.samples });
    let ids: Uint32Array;
    try {
      ids = await gen.generate({ prime: new Array<number>(o.samples).fill(START), steps: T, temperature: o.temperature, seed: o.seed });
    } finally {
      gen.dispose();
    }
    const melodies = Array.from({ length: o.samples }, (_, b) => Array.from({ length: T }, (_, t) => ids[t * o.samples + b]));
    const mean = (xs: { inScale: number; smooth: number; cadences: number }[]) => ({
      inScale: xs.reduce((a, x) => a + x.inScale, 0) / xs.length,
      smooth: xs.reduce((a, x) => a + x.smooth, 0) / xs.length,
      cadences: xs.reduce((a, x) => a + x.cadences, 0) / xs.length,
    });
    const stats = mean(melodies.map(melodyStats));
    const baseline = mean(Array.from({ length: 64 }, () => melodyStats(Array.from({ length: T }, () => rng.int(1, V - 1)))));
    const novel = melodies.filter((m) => !seen.has(m.join(','))).length / melodies.length;
    const repeats = melodies.filter((m) => m.slice(0, PHRASE).join() === m.slice(PHRASE, 2 * PHRASE).join()).length / melodies.length;
    const result: MusicResult = { losses, generated: melodies.map((m) => m.map((t) => NOTES[t])), stats, baseline, novel, repeats };
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    log(`generated (${o.samples} melodies, temperature ${o.temperature}): in scale ${pct(stats.inScale)} (random ${pct(baseline.inScale)}), steps ≤ a third ${pct(stats.smooth)} (random ${pct(baseline.smooth)}), rests after C/G ${pct(stats.cadences)} (random ${pct(baseline.cadences)}), second phrase = first ${pct(repeats)}, new melodies ${pct(novel)}`);
    for (const m of result.generated.slice(0, 3)) log(`  ${m.join(' ').replace(/ rest/g, ' |')}`);
    return result;
  } finally {
    opt.dispose();
    model.dispose();
  }
}

export function main(args: string[]): Promise<void> {
  return exampleMain('music', 'Trains an LSTM on rule-composed melodies and generates new ones from a single start token.', {
    ...trainingOptions({ steps: '1500', batch: '32', rows: 'melodies', hidden: '64', cell: 'LSTM', lr: '0.01' }),
    samples: { type: 'string', default: '16', help: 'melodies to generate' },
    temperature: { type: 'string', default: '0.8', help: 'sampling temperature' },
  }, args, (engine, v) => run(engine, { ...trainingValues(v), samples: num(v.samples, 'samples'), temperature: num(v.temperature, 'temperature') }));
}
