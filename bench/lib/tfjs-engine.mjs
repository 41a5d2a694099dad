// tfjs's side of a row (either backend): tf.layers.lstm / tf.layers.gru with returnSequences, stacked,
// wrapped in tf.layers.bidirectional (mergeMode concat) when the shape is bidirectional, loaded with
// the shared weights. Keras' defaults differ from PyTorch's: recurrentActivation is hardSigmoid, so it
// is set to sigmoid here (otherwise the two would not compute the same function). tfjs's GRU is the
// reset-before form only. Host-agnostic: the caller passes the tf namespace with its backend set.
import { swap01, toTfjs } from './weights.mjs';

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */

/**
 * @param {any} tf @param {Shape} s @param {CellVariant} c
 * @param {Record<string, Float32Array>} sd weights by PyTorch name
 * @param {{ x: Float32Array, target: Float32Array }} data time-major (converted to batch-first here)
 */
export function tfjsCase(tf, s, c, sd, data) {
  if (c.variant === 'reset_after') throw new Error('tfjs has no reset-after GRU');
  const D = s.bidirectional ? 2 : 1;
  const model = tf.sequential();
  for (let l = 0; l < s.L; l++) {
    const args = {
      units: s.H,
      returnSequences: true,
      recurrentActivation: 'sigmoid',
      // The weights are overwritten below: skip Keras' initializers (the orthogonal one runs a
      // Gram–Schmidt of the (H, G·H) recurrent kernel, minutes on a software adapter at S3).
      kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros',
      ...(l === 0 && !s.bidirectional ? { inputShape: [s.T, s.I] } : {}),
    };
    const rnn = c.cell === 'lstm' ? tf.layers.lstm(args) : tf.layers.gru(args);
    model.add(s.bidirectional ? tf.layers.bidirectional({ layer: rnn, mergeMode: 'concat', ...(l === 0 ? { inputShape: [s.T, s.I] } : {}) }) : rnn);
  }
  const weights = toTfjs(sd, s, c);
  const current = model.getWeights();
  if (current.length !== weights.length || current.some((w, i) => w.shape.join() !== weights[i].shape.join())) {
    throw new Error(`tfjs weight layout [${current.map((w) => w.shape.join('×')).join(', ')}] is not the converted one [${weights.map((w) => w.shape.join('×')).join(', ')}]`);
  }
  const wt = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(wt);
  tf.dispose(wt); // getWeights() returns the variables themselves: they stay
  const x = tf.tensor(swap01(data.x, s.T, s.B, s.I), [s.B, s.T, s.I]);
  const target = tf.tensor(swap01(data.target, s.T, s.B, D * s.H), [s.B, s.T, D * s.H]);
  /** @type {any} */
  let opt;
  const step = () => {
    opt ??= tf.train.adam(1e-3, 0.9, 0.999, 1e-8); // torch's defaults (tfjs's epsilon would be 1e-7)
    return opt.minimize(() => tf.losses.meanSquaredError(target, model.apply(x, { training: true })), true);
  };
  return {
    /** Forward; resolves with the output, converted to time-major (T, B, D·H). */
    async forward() {
      const y = model.predict(x);
      const v = await y.data();
      y.dispose();
      return swap01(v, s.B, s.T, D * s.H);
    },
    /** One training step (forward, MSE, backward, Adam); resolves with the loss. */
    async train() {
      const loss = step();
      const v = (await loss.data())[0];
      loss.dispose();
      return v;
    },
    /**
     * tfjs's own memory report of one call: tf.profile's peakBytes (all live tensor bytes at the
     * high-water mark, weights and optimizer state included). Not timed.
     * @param {'forward' | 'train'} mode
     */
    async peakBytes(mode) {
      const info = await tf.profile(async () => {
        if (mode === 'forward') { const y = model.predict(x); await y.data(); y.dispose(); }
        else { const l = step(); await l.data(); l.dispose(); }
      });
      return info.peakBytes;
    },
    dispose() {
      opt?.dispose();
      model.dispose();
      tf.dispose([x, target]);
    },
  };
}
