// The examples in examples/ run briefly (tiny settings, a few steps) so that CI notices when one
// breaks; their full runs (README numbers) take minutes. Each is called through its run() in this
// process, and one through the one-command runner (node examples/run.mjs … --quick) as a user would.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { run as ctcDigits } from '../examples/ctc-digits.js';
import { run as genreClassifier } from '../examples/genre-classifier.js';
import { composeMelody, melodyStats, run as music } from '../examples/music.js';
import { numberToWords, run as numberWords } from '../examples/number-words.js';
import { run as triggerWord } from '../examples/trigger-word.js';
import { run as wordVectors } from '../examples/word-vectors.js';
import { Rng } from '../src/random.js';
import { engine, scoped, useEngine } from './helpers/gpu-test.js';

useEngine();
const quiet = () => {};
const finite = (xs: number[]) => xs.length > 0 && xs.every(Number.isFinite);

describe('examples run (short settings)', () => {
  test('number-words: encoder–decoder, beam search and BLEU', async () => {
    expect(numberToWords(0)).toEqual(['zero']);
    expect(numberToWords(4021)).toEqual(['four', 'thousand', 'twenty', 'one']);
    expect(numberToWords(7777).join(' ')).toBe('seven thousand seven hundred seventy seven');
    expect(numberToWords(110).join(' ')).toBe('one hundred ten');
    const r = await scoped(() => numberWords(engine, { steps: 25, batch: 32, hidden: 32, beam_width: 3, test_size: 8, lr: 0.01, seed: 1, progress: false }, quiet));
    expect(finite(r.losses)).toBe(true);
    for (const s of [r.greedy, r.beam]) {
      expect(s.bleu).toBeGreaterThanOrEqual(0);
      expect(s.bleu).toBeLessThanOrEqual(1);
    }
    expect(r.samples.length).toBe(6);
  });

  test('trigger-word: many-to-many labels after the trigger', async () => {
    const r = await scoped(() => triggerWord(engine, { steps: 10, batch: 16, T: 60, F: 8, hidden: 16, label_frames: 6, noise: 0.8, lr: 0.01, seed: 1, progress: false, test_batches: 1 }, quiet));
    expect(finite(r.losses)).toBe(true);
    expect(r.frame_accuracy).toBeGreaterThan(0.5); // mostly 0 labels: even an untrained detector gets most frames
    expect(r.clips).toBe(16);
  });

  test('music: one-to-many generation over a note vocabulary', async () => {
    const m = composeMelody(new Rng(3));
    expect(m.length).toBe(32);
    const s = melodyStats(m);
    expect(s.cadences).toBe(1); // every training phrase ends on C or G before its rest
    expect(s.inScale).toBeGreaterThan(0.8);
    const r = await scoped(() => music(engine, { steps: 10, batch: 8, hidden: 16, samples: 4, temperature: 1, lr: 0.01, seed: 1, progress: false }, quiet));
    expect(finite(r.losses)).toBe(true);
    expect(r.generated.length).toBe(4);
    expect(r.generated.every((g) => g.length === 32)).toBe(true);
  });

  test('word-vectors: skip-gram and GloVe on a slice of Brown, neighbours and analogies', async () => {
    for (const method of ['skip-gram', 'glove'] as const) {
      const r = await scoped(() => wordVectors(engine, { method, dim: 16, epochs: 1, min_count: 5, every_nth_document: 25, max_steps: 8, seed: 1, progress: false, query: ['man', 'city'] }, quiet));
      expect(r.steps).toBe(8);
      expect(r.vectors.dim).toBe(16);
      expect(Object.keys(r.neighbours).length).toBeGreaterThan(0);
    }
  });

  test('genre-classifier: a GRU over frozen pretrained vectors (given in word2vec text format)', async () => {
    // tiny pretrained vectors as a file would hold them
    const rng = new Rng(1);
    const words = ['the', 'of', 'and', 'said', 'he', 'she', 'state', 'government', 'was'];
    const text = `${words.length} 8\n${words.map((w) => `${w} ${Array.from({ length: 8 }, () => rng.normal().toFixed(4)).join(' ')}`).join('\n')}\n`;
    const r = await scoped(() => genreClassifier(engine, { steps: 5, batch: 16, hidden: 16, lr: 0.003, seed: 1, vectors: text, pretrain_steps: 0, embedding_dim: 8, fine_tune: false, every_nth_document: 20, progress: false }, quiet));
    expect(finite(r.losses)).toBe(true);
    expect(r.test_passages).toBeGreaterThan(0);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(r.test_passages);
  });

  test('ctc-digits: BiGRU + CTC, greedy and prefix beam decoding', async () => {
    const r = await scoped(() => ctcDigits(engine, { steps: 8, batch: 8, hidden: 8, noise: 0.5, beam_width: 4, lr: 0.01, seed: 1, progress: false, test_batches: 1 }, quiet));
    expect(finite(r.losses)).toBe(true);
    for (const s of [r.greedy, r.beam]) expect(s.label_error_rate).toBeGreaterThanOrEqual(0);
    expect(r.examples.length).toBe(5);
  });

  test('one command: node examples/run.mjs music --quick', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const r = spawnSync(process.execPath, ['examples/run.mjs', 'music', '--quick', '--steps', '5'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/generated \(16 melodies/);
    const list = spawnSync(process.execPath, ['examples/run.mjs', '--list'], { cwd: root, encoding: 'utf8' });
    expect(list.stdout).toMatch(/ctc-digits, genre-classifier, music, number-words, scale-out, trigger-word, word-vectors/);
  });
});
