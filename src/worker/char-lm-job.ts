/**
 * The character language model ({@link CharLm}) as a training job: what the browser demo trains in a
 * worker, and what any app can serve without writing its own job.
 */
import { Vocab } from '../data/vocab.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { CharLm, type CharLmSettings } from '../tasks/char-lm.js';
import type { TrainingJob, TrainingRun } from './training-job.js';

/** What the page sends to start a character language model. */
export interface CharLmJobSettings {
  /** the training text; its last `validShare` is held out for evaluation (bits per character) */
  text: string;
  /** share of the text held out (default 0.1; 0: evaluate() is unavailable) */
  validShare?: number;
  /** windows of held-out text per evaluation (default: all of it) */
  evaluateWindows?: number;
  /** the model and its training (CharLm's settings; all have defaults) */
  model?: Partial<CharLmSettings>;
}

/** What start() returns for a character language model: enough to rebuild it on the page. */
export interface CharLmJobInfo {
  /** the vocabulary (`Vocab.fromJSON(info.vocab)`): the whole text's characters */
  vocab: unknown;
  /** CharLm's settings, defaults filled in */
  settings: CharLmSettings;
  windowsPerEpoch: number;
  /** characters of training and held-out text */
  trainChars: number;
  validChars: number;
}

const KEYS = ['text', 'validShare', 'evaluateWindows', 'model'];

/**
 * Trains a {@link CharLm} on the settings' text: `step` is one truncated-BPTT window (B·T characters),
 * `evaluate` gives `{ bpc }` on the held-out text, `sample` generates text. The vocabulary covers the
 * whole text, so held-out characters are never unknown.
 *
 * @example
 * // lm-worker.ts (imports charLmJob and serveTraining from 'webrnn'):
 * serveTraining(charLmJob);
 *
 * // the page:
 * const trainer = new TrainingWorker<CharLmJobSettings, CharLmJobInfo>(new Worker(new URL('./lm-worker.ts', import.meta.url), { type: 'module' }));
 * trainer.on('progress', (p) => console.log(p.step, p.loss, p.metrics?.bpc));
 * const info = await trainer.start({ text, model: { cell: 'GRU', hidden: 128 } }, { evaluateEvery: 50 });
 * console.log(`${info.windowsPerEpoch} steps per epoch`);
 */
export const charLmJob: TrainingJob<CharLmJobSettings> = {
  create(engine: Engine, settings: CharLmJobSettings): TrainingRun {
    if (settings === null || typeof settings !== 'object') throw new WebRnnError('BAD_CONFIG', `language-model job settings must be an object, got ${String(settings)}`);
    for (const k of Object.keys(settings)) if (!KEYS.includes(k)) throw new WebRnnError('BAD_CONFIG', `unknown language-model job setting "${k}" (known: ${KEYS.join(', ')})`);
    const { text, validShare = 0.1, evaluateWindows = Infinity } = settings;
    if (typeof text !== 'string' || text.length === 0) throw new WebRnnError('BAD_CONFIG', 'language-model job: text must be a non-empty string');
    if (!(typeof validShare === 'number' && validShare >= 0 && validShare < 1)) throw new WebRnnError('BAD_CONFIG', `language-model job: validShare must be in [0, 1), got ${String(validShare)}`);
    if (!(evaluateWindows === Infinity || (Number.isInteger(evaluateWindows) && evaluateWindows >= 1))) {
      throw new WebRnnError('BAD_CONFIG', `language-model job: evaluateWindows must be an integer ≥ 1, got ${String(evaluateWindows)}`);
    }
    const cut = Math.floor(text.length * (1 - validShare));
    const vocab = Vocab.fromText(text, { level: 'char' });
    const train = vocab.encode(text.slice(0, cut));
    const valid = vocab.encode(text.slice(cut));
    const lm = new CharLm(engine, vocab, train, settings.model ?? {});
    const s = lm.settings;
    const prime = vocab.has('\n') ? '\n' : vocab.tokens[vocab.num_special]!;
    const info: CharLmJobInfo = { vocab: vocab.toJSON(), settings: s, windowsPerEpoch: lm.windowsPerEpoch, trainChars: train.length, validChars: valid.length };
    return {
      model: lm.model,
      info: info as unknown as Record<string, unknown>,
      async step() {
        const loss = await lm.trainStep();
        return { loss, items: s.batch * s.bptt, epoch: lm.position.epoch };
      },
      ...(valid.length > s.bptt + 1 ? { evaluate: async () => ({ bpc: await lm.evaluate(valid, evaluateWindows) }) } : {}),
      sample: (r) => lm.sample({ ...r, prime: r.prime ?? prime }),
      dispose: () => lm.dispose(),
    };
  },
};
