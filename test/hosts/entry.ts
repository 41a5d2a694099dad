// Bundled by test/hosts/bundle.mjs for Deno and for headless Chromium: gets an engine, runs the GPU
// cases, and reports a HostReport (host-side.ts says how).
import { runGpuCases } from './cases-under-test.js';
import { deno, log, runHost } from './host-side.js';

export type { HostReport } from './host-side.js';

function caseFilter(): string | undefined {
  if (deno) return deno.env.get('WEBRNN_CASES') || undefined;
  return new URLSearchParams(globalThis.location?.search ?? '').get('filter') || undefined;
}

await runHost('host run', (engine) => runGpuCases(engine, { filter: caseFilter(), log }));
