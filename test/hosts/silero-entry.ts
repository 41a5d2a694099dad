// Bundled by test/hosts/bundle.mjs like entry.ts, for test/interop-silero-vad.test.ts: streams the
// recording through the three silero VAD models and compares every frame with onnxruntime-node's
// stream, chunk by chunk and in one pass (runStream, the final state compared), which the Node test
// wrote beside the models: audio.f32, and per model <file>,
// <file>.probs.f32, <file>.states.f32 (float32, little-endian). Deno reads them from
// $WEBRNN_SILERO_DIR; a browser fetches them from the page's directory. Two cases per model. The state
// tolerance (of its largest magnitude) is SILERO_STATE_TOL (1e-5) unless $WEBRNN_SILERO_STATE_TOL or
// the page's ?stateTol= says otherwise; probabilities are held to 1e-5 absolute.
import type { CaseResult } from './cases-under-test.js';
import { deno, log, runHost } from './host-side.js';
import { describeAgreement, onePassSilero, SILERO_MODELS, SILERO_STATE_TOL, streamSilero } from './silero-stream.js';

async function read(name: string): Promise<Uint8Array> {
  if (deno) return deno.readFile(`${deno.env.get('WEBRNN_SILERO_DIR')}/${name}`);
  const r = await fetch(name);
  if (!r.ok) throw new Error(`GET ${name}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);

function stateTol(): number {
  const v = deno ? deno.env.get('WEBRNN_SILERO_STATE_TOL') : new URLSearchParams(globalThis.location?.search ?? '').get('stateTol');
  return v ? Number(v) : SILERO_STATE_TOL;
}

await runHost('silero run', async (engine) => {
  const audio = f32(await read('audio.f32'));
  const cases: CaseResult[] = [];
  for (const spec of SILERO_MODELS) {
    const ref = { probs: f32(await read(`${spec.file}.probs.f32`)), states: f32(await read(`${spec.file}.states.f32`)) };
    const a = await streamSilero(engine, await read(spec.file), spec, audio, ref, 1e-5, stateTol());
    const line = a.failure ? `${spec.file}: ${a.failure}` : describeAgreement(spec, a);
    log(line);
    cases.push({ name: spec.file, pass: !a.failure, detail: line });
    const o = await onePassSilero(engine, await read(spec.file), spec, audio, ref, 1e-5, stateTol());
    const oline = o.failure ? `${spec.file}: ${o.failure}` : `one pass: ${describeAgreement(spec, o)}`;
    log(oline);
    cases.push({ name: `${spec.file} one pass`, pass: !o.failure, detail: oline });
  }
  return cases;
});
