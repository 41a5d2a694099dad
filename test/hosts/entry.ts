// Bundled by test/hosts/bundle.mjs for Deno and for headless Chromium: gets an engine, runs the GPU
// cases, and reports a HostReport (host-side.ts says how).
import { createEngine, runGpuCases } from './cases-under-test.js';
import { adapterName, deno, host, log, report } from './host-side.js';

export type { HostReport } from './host-side.js';

function caseFilter(): string | undefined {
  if (deno) return deno.env.get('WEBRNN_CASES') || undefined;
  return new URLSearchParams(globalThis.location?.search ?? '').get('filter') || undefined;
}

async function main(): Promise<void> {
  let adapter = '';
  try {
    const engine = await createEngine();
    adapter = adapterName(engine);
    log(`webrnn host run: ${host}, adapter "${adapter}"`);
    const t0 = performance.now();
    const cases = await runGpuCases(engine, { filter: caseFilter(), log });
    report({ host, adapter, cases, ms: performance.now() - t0 });
  } catch (e) {
    report({ host, adapter, cases: [], ms: 0, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  }
}

await main();
