// Trigger-word detection, the course's many-to-many (Tx = Ty) example, on synthetic "audio": each
// clip is T frames of noisy F-dimensional features (a stand-in for spectrogram columns) in which a few
// "words" are spoken — short feature patterns of random duration, one of them the trigger word
// ("activate"). The label y<t> is 1 for the `label_frames` frames right after each trigger ends and 0
// elsewhere, so the model must say "now!" just after hearing it. A unidirectional GRU (it has to run
// as the audio streams in) and a time-distributed Dense with a sigmoid (BCE-with-logits) per frame.
//
//   node examples/run.mjs trigger-word               # about 600 steps
//   node examples/run.mjs trigger-word --quick       # a few steps (CI)
import { Adam, type Engine, Rng, type SequenceBatch, SequenceModel } from 'webrnn';
import { exampleMain, num, trainingOptions, trainingValues, trainLoop } from './_shared.js';

export interface TriggerWordOptions {
  steps: number;
  batch: number;
  T: number;
  F: number;
  hidden: number;
  label_frames: number;
  noise: number;
  lr: number;
  seed: number;
  progress: boolean;
  test_batches: number;
}

export interface TriggerWordResult {
  losses: number[];
  /** frames classified right (threshold 0.5) */
  frame_accuracy: number;
  /** triggers with at least one positive prediction inside their label window */
  recall: number;
  /** runs of positive predictions that overlap no label window, per clip */
  false_alarms_per_clip: number;
  /** clips in the held-out set */
  clips: number;
  example: { truth: string; predicted: string };
}

/** Word patterns: W word types of 3 feature vectors each (onset, middle, end), stretched to a duration. */
function makeWords(rng: Rng, W: number, F: number): Float64Array[][] {
  return Array.from({ length: W }, () => Array.from({ length: 3 }, () => rng.normalArray(F)));
}

/** One batch of clips, batch-first (B, T, F), with per-frame 0/1 targets (B, T, 1). */
function makeBatch(rng: Rng, words: Float64Array[][], o: Pick<TriggerWordOptions, 'batch' | 'T' | 'F' | 'label_frames' | 'noise'>): { batch: SequenceBatch & { targets: Float32Array }; triggers: number[][] } {
  const { batch: B, T, F } = o;
  const input = new Float32Array(B * T * F);
  const targets = new Float32Array(B * T);
  const triggers: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T * F; i++) input[b * T * F + i] = o.noise * rng.normal();
    const ends: number[] = [];
    // up to 4 words at increasing positions, each 6–10 frames, gaps of at least 3 frames
    let t = rng.int(0, 8);
    for (let k = rng.int(0, 4); k > 0; k--) {
      const dur = rng.int(6, 10);
      if (t + dur + o.label_frames >= T) break;
      const w = rng.next() < 0.4 ? 0 : rng.int(1, words.length - 1); // word 0 is the trigger
      for (let f = 0; f < dur; f++) {
        const pat = words[w][Math.min(2, Math.floor((3 * f) / dur))];
        for (let d = 0; d < F; d++) input[(b * T + t + f) * F + d] += pat[d];
      }
      if (w === 0) {
        ends.push(t + dur);
        for (let f = t + dur; f < Math.min(T, t + dur + o.label_frames); f++) targets[b * T + f] = 1;
      }
      t += dur + rng.int(3, 12);
    }
    triggers.push(ends);
  }
  return { batch: { B, T, input, targets }, triggers };
}

export async function run(engine: Engine, o: TriggerWordOptions, log: (s: string) => void = console.log): Promise<TriggerWordResult> {
  const rng = new Rng(o.seed);
  const words = makeWords(rng, 6, o.F);
  const model = new SequenceModel(engine, {
    embedding: null,
    rnn: { mode: 'GRU', input_size: o.F, hidden_size: o.hidden },
    linear: { in_features: o.hidden, out_features: 1 },
    loss: 'bce_with_logits',
    target: 'all_steps',
  }, { seed: o.seed });
  const opt = new Adam(engine, model.blocks(), { lr: o.lr, clip_norm: 5 });
  log(`trigger word on ${engine.adapterName}: clips of ${o.T} frames × ${o.F} features, GRU ${o.hidden}, ${o.steps} steps of ${o.batch}`);
  try {
    const losses = await trainLoop(o, log, async (step) => {
      const loss = model.lossAndGrad(makeBatch(rng, words, o).batch);
      await opt.stepChecked(step);
      return loss;
    });

    let right = 0, frames = 0, found = 0, triggers = 0, alarms = 0, clips = 0;
    let example = { truth: '', predicted: '' };
    for (let k = 0; k < o.test_batches; k++) {
      const { batch, triggers: ends } = makeBatch(rng, words, o);
      const logits = await model.predict(batch).read(); // (T, B, 1) time-major
      for (let b = 0; b < o.batch; b++) {
        clips++;
        const pred = Array.from({ length: o.T }, (_, t) => (logits[t * o.batch + b] > 0 ? 1 : 0));
        const truth = Array.from({ length: o.T }, (_, t) => batch.targets[b * o.T + t]);
        pred.forEach((p, t) => (right += +(p === truth[t])));
        frames += o.T;
        for (const end of ends[b]) {
          triggers++;
          if (pred.slice(end, end + o.label_frames).some((p) => p === 1)) found++;
        }
        // runs of 1s that touch no labelled frame are false alarms
        for (let t = 0; t < o.T; t++) {
          if (pred[t] === 1 && (t === 0 || pred[t - 1] === 0)) {
            let e = t;
            while (e < o.T && pred[e] === 1) e++;
            if (!truth.slice(t, e).some((y) => y === 1)) alarms++;
          }
        }
        if (k === 0 && ends[b].length > 0 && example.truth === '') {
          example = { truth: truth.map((y) => (y ? '█' : '·')).join(''), predicted: pred.map((p) => (p ? '█' : '·')).join('') };
        }
      }
    }
    const result: TriggerWordResult = {
      losses,
      frame_accuracy: right / frames,
      recall: triggers ? found / triggers : 1,
      false_alarms_per_clip: alarms / clips,
      clips,
      example,
    };
    log(`held out (${clips} clips, ${triggers} triggers): frame accuracy ${(100 * result.frame_accuracy).toFixed(1)}%, triggers detected ${(100 * result.recall).toFixed(1)}%, false alarms ${result.false_alarms_per_clip.toFixed(3)} per clip`);
    log(`  labels     ${example.truth}\n  predicted  ${example.predicted}`);
    return result;
  } finally {
    opt.dispose();
    model.dispose();
  }
}

export function main(args: string[]): Promise<void> {
  return exampleMain('trigger-word', 'Trains a GRU to mark the frames right after a trigger word in noisy synthetic feature sequences.', {
    ...trainingOptions({ steps: '600', batch: '32', rows: 'clips', hidden: '48', cell: 'GRU', lr: '0.005' }),
    frames: { type: 'string', default: '100', help: 'frames per clip (T)' },
    noise: { type: 'string', default: '0.8', help: 'std of the background noise (word patterns have std 1)' },
  }, args, (engine, v) => run(engine, {
    ...trainingValues(v),
    T: num(v.frames, 'frames'),
    F: 12,
    label_frames: 8,
    noise: num(v.noise, 'noise'),
    test_batches: v.quick ? 1 : 8,
  }));
}
