#!/usr/bin/env node
// Voice activity detection: the speech segments of a WAV file, found by silero VAD (the ONNX files
// @ricky0123/vad-web ships) running on webrnn, with vad-web's default thresholds and hysteresis.
//
//   npm run build                                   # once: `webrnn` below is this package's dist/
//   node examples/vad/run.mjs speech.wav [--model v5|legacy|v6] [--json]
//
// Reads a 16-bit PCM WAV (any rate, mono or stereo), brings it to 16 kHz as vad-web does, runs the
// model frame by frame on WebGPU (Node: the `webgpu` package) and prints the segments (start–end
// seconds), the time taken and the real-time factor. --json prints one JSON object instead (segments
// in ms, as vad-web gives them, and each frame's speech probability). The work itself is in silero-vad.mjs, shared with the demo.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

// Imported here rather than at the top so that a checkout without dist/ gets a sentence, not a stack.
let webrnn, interop, vad;
try {
  [webrnn, interop, vad] = await Promise.all([import('webrnn'), import('webrnn/interop'), import('./silero-vad.mjs')]);
} catch (e) {
  if (!(e instanceof Error && 'code' in e && e.code === 'ERR_MODULE_NOT_FOUND' && /webrnn|dist/.test(e.message))) throw e;
  process.stderr.write(`examples/vad: webrnn is not built (${e.message.split('\n')[0]}): run \`npm run build\` first\n`);
  process.exit(1);
}
const { createEngine, WebRnnError } = webrnn;
const { OnnxModel } = interop;
const { readWav, SILERO_VAD_MODELS, sileroRun, speechSegments, toFrames16k, VAD_RATE } = vad;

const USAGE = `usage: node examples/vad/run.mjs FILE.wav [--model v5|legacy|v6] [--json]
  FILE.wav      16-bit PCM WAV, any sample rate, mono or stereo
  --model       which silero VAD file of @ricky0123/vad-web to run (default v5)
  --json        print {model, rate, channels, seconds, frames, segments: [{startMs, endMs, audioStartMs}], ms, rtf, probs}
`;

/** @param {string} message */
function usage(message) {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { model: { type: 'string', default: 'v5' }, json: { type: 'boolean' }, help: { type: 'boolean' } }, allowPositionals: true });
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
  if (args.values.help) return void process.stdout.write(USAGE);
  if (args.positionals.length !== 1) return usage(args.positionals.length ? 'give one WAV file' : 'no WAV file given');
  const name = /** @type {keyof typeof SILERO_VAD_MODELS} */ (args.values.model);
  const spec = SILERO_VAD_MODELS[name];
  if (!Object.hasOwn(SILERO_VAD_MODELS, name)) return usage(`--model must be one of ${Object.keys(SILERO_VAD_MODELS).join(', ')}, got ${JSON.stringify(name)}`);
  const file = args.positionals[0];
  let bytes;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new WebRnnError('BAD_FILE', `cannot read ${file}: ${e instanceof Error ? e.message : e}`);
  }
  const wav = readWav(bytes, file);
  const frames = toFrames16k(wav.samples, wav.rate, spec.frameSamples);
  const dist = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist');
  const model = await OnnxModel.load(readFileSync(join(dist, spec.file)), spec.file);
  const engine = await createEngine();
  try {
    const t0 = performance.now();
    const { probs } = await sileroRun(engine, model, spec, frames);
    const ms = performance.now() - t0;
    const segments = speechSegments(probs, spec.frameSamples);
    const seconds = wav.samples.length / wav.rate;
    const rtf = ms / 1000 / (frames.length / VAD_RATE);
    if (args.values.json) {
      process.stdout.write(`${JSON.stringify({ model: name, rate: wav.rate, channels: wav.channels, seconds, frames: probs.length, segments, ms, rtf, probs: Array.from(probs) })}\n`);
      return;
    }
    const s = (/** @type {number} */ v) => (v / 1000).toFixed(3);
    process.stdout.write(`${file}: ${seconds.toFixed(2)} s, ${wav.rate} Hz, ${wav.channels} channel(s); silero VAD ${name} (${spec.file}), ${probs.length} frames of ${spec.frameSamples} samples at 16 kHz\n`);
    process.stdout.write(segments.length ? `speech segments (start–end, seconds):\n${segments.map((g) => `  ${s(g.startMs)} – ${s(g.endMs)}`).join('\n')}\n` : 'no speech found\n');
    process.stdout.write(`time ${(ms / 1000).toFixed(2)} s (${(ms / probs.length).toFixed(1)} ms a frame), real-time factor ${rtf.toFixed(3)} (${engine.adapterName})\n`);
  } finally {
    model.dispose();
    engine.dispose();
  }
}

let status = 0;
try {
  await main();
} catch (e) {
  process.stderr.write(`${e instanceof WebRnnError ? `examples/vad: ${e.message}` : e instanceof Error ? e.stack : String(e)}\n`);
  status = 1;
}
// A WebGPU instance can keep the event loop alive after the engine is disposed: exit once the output is flushed.
const flush = (/** @type {NodeJS.WriteStream} */ s) => new Promise((done) => s.write('', done));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(status);
