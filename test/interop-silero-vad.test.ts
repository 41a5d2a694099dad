// silero VAD (legacy = v4, v5, v6; the ONNX files @ricky0123/vad-web ships, read from the
// devDependency) against onnxruntime-node, streamed as vad-web streams it: 16 kHz audio in frames of
// 1536 samples (legacy) or 512 (v5/v6), `sr` fed as int64 of shape [1], the state outputs carried
// into the next call (each runtime carries its own, so differences may accumulate). onnxruntime-node's
// stream is computed once; webrnn's is compared with it in Node, Deno and headless Chromium
// (test/hosts/silero-stream.ts, silero-entry.ts).
// The recording is made here: Debian's espeak-ng (scripts/setup-system.sh installs it) speaks
// sentences, resampled from 22050 Hz to 16 kHz, with silences between them and seeded noise.
// Every frame, in every host: |speech probability − onnxruntime's| ≤ 1e-5, and the state within 1e-5 of
// its largest magnitude (SILERO_STATE_TOL: legacy's is 9.8e-6 at frame 92 — little room, see there).
// The kernels compute exp, σ and tanh from multiplies and adds (shaders/shared/exp_accurate.wgsl), the
// same on every host, so every host gives the same figures (SwiftShader's builtins once drifted
// legacy's state further).
// Each host also runs the whole recording in one pass (OnnxModel.runStream) against the same frames
// and onnxruntime's final state. onnxruntime's
// probabilities must also cross vad-web's thresholds both ways — some frame above its
// positiveSpeechThreshold 0.3, some below its negativeSpeechThreshold 0.25 — so the recording
// exercises speech and silence (v6 is the most conservative on espeak's voice: about 0.49 at most).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { engine, useEngine } from './helpers/gpu-test.js';
import { recording } from './helpers/silero-audio.js';
import { ortStream } from './helpers/silero-ort.js';
import { runInChromium } from './hosts/run-chromium.mjs';
import { runInDeno } from './hosts/run-deno.mjs';
import { describeAgreement, SILERO_MODELS, streamSilero, type SileroReference, type SileroSpec } from './hosts/silero-stream.js';

useEngine();

const DIST = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist');

const audio = recording(['The quick brown fox jumps over the lazy dog.', 'Voice activity detection runs chunk by chunk.']);
const refs = new Map<string, SileroReference>();
const bytesOf = (spec: SileroSpec) => new Uint8Array(readFileSync(join(DIST, spec.file)));
/** Where the host runs read the recording, the models and onnxruntime's streams. */
const DATA = join(import.meta.dirname, 'hosts', 'out', 'silero-data');
const DATA_FILES = ['audio.f32', ...SILERO_MODELS.flatMap((m) => [m.file, `${m.file}.probs.f32`, `${m.file}.states.f32`])];

beforeAll(async () => {
  mkdirSync(DATA, { recursive: true });
  writeFileSync(join(DATA, 'audio.f32'), new Uint8Array(audio.buffer));
  for (const spec of SILERO_MODELS) {
    const ref = await ortStream(bytesOf(spec), spec, audio);
    refs.set(spec.file, ref);
    copyFileSync(join(DIST, spec.file), join(DATA, spec.file));
    writeFileSync(join(DATA, `${spec.file}.probs.f32`), new Uint8Array(ref.probs.buffer));
    writeFileSync(join(DATA, `${spec.file}.states.f32`), new Uint8Array(ref.states.buffer));
  }
}, 300_000);

const stats: string[] = [];
afterAll(() => {
  if (stats.length) console.log(`silero VAD vs onnxruntime-node, chunk by chunk:\n  ${stats.join('\n  ')}`);
});

describe('silero VAD runs chunk by chunk as onnxruntime runs it', () => {
  for (const spec of SILERO_MODELS) {
    test(`${spec.file} (Node)`, async () => {
      const ref = refs.get(spec.file)!;
      // the recording crosses vad-web's thresholds both ways
      expect(Math.max(...ref.probs), 'the speech is found (vad-web positiveSpeechThreshold)').toBeGreaterThan(0.3);
      expect(Math.min(...ref.probs), 'the silences are found (vad-web negativeSpeechThreshold)').toBeLessThan(0.25);
      const a = await streamSilero(engine, bytesOf(spec), spec, audio, ref);
      stats.push(`Node: ${describeAgreement(spec, a)}, onnxruntime's probabilities ${Math.min(...ref.probs).toFixed(3)}–${Math.max(...ref.probs).toFixed(3)}`);
      expect(a.failure, `${spec.file}`).toBeUndefined();
    }, 600_000);
  }

  type HostRun = Awaited<ReturnType<typeof runInDeno>>;
  const checkHost = (name: string, run: HostRun) => {
    const { report, logs } = run;
    if (report.error || report.cases.some((c) => !c.pass)) console.log(`--- ${name} log ---\n${logs.join('\n')}`);
    expect(report.error, `${name} run broke`).toBeUndefined();
    for (const c of report.cases) stats.push(`${name} (${report.adapter}): ${c.detail}`);
    expect(report.cases.filter((c) => !c.pass).map((c) => c.detail), `${name}: failing models`).toEqual([]);
    expect(report.cases.map((c) => c.name)).toEqual(SILERO_MODELS.flatMap((m) => [m.file, `${m.file} one pass`]));
  };

  test('in Deno (navigator.gpu)', async () => {
    checkHost('deno', await runInDeno({ entry: 'silero-entry.ts', env: { WEBRNN_SILERO_DIR: DATA }, timeoutMs: 9 * 60_000 }));
  }, 10 * 60_000);

  test('in headless Chromium (SwiftShader)', async () => {
    const prepare = (dir: string) => { for (const f of DATA_FILES) copyFileSync(join(DATA, f), join(dir, f)); };
    checkHost('chromium', await runInChromium({ entry: 'silero-entry.ts', prepare, timeoutMs: 19 * 60_000 }));
  }, 20 * 60_000);
});
