// Bundled by test/hosts/bundle.mjs for Deno and for headless Chromium: gets an engine, runs the GPU
// cases, and reports a HostReport — in Deno as one JSON line on stdout (progress on stderr), in a
// browser as `window.__webrnnReport` (progress on the console).
import { createEngine, runGpuCases, type CaseResult } from './cases-under-test.js';

/** What a host run reports; test/hosts/run-*.mjs read it back. */
export interface HostReport {
  host: 'deno' | 'browser';
  adapter: string;
  cases: CaseResult[];
  /** Wall time of the cases alone (engine creation excluded), in ms. */
  ms: number;
  /** Set when the run itself broke (no adapter, an exception outside a case). */
  error?: string;
}

interface DenoLike { env: { get(k: string): string | undefined } }
const deno = (globalThis as { Deno?: DenoLike }).Deno;
const host: HostReport['host'] = deno ? 'deno' : 'browser';

function caseFilter(): string | undefined {
  if (deno) return deno.env.get('WEBRNN_CASES') || undefined;
  return new URLSearchParams(globalThis.location?.search ?? '').get('filter') || undefined;
}

function adapterName(engine: unknown): string {
  const e = engine as { adapterName?: unknown; adapterInfo?: GPUAdapterInfo; adapter?: { info?: GPUAdapterInfo } };
  if (typeof e.adapterName === 'string') return e.adapterName;
  const info = e.adapterInfo ?? e.adapter?.info;
  return info ? `${info.vendor} ${info.description || info.architecture}`.trim() : '';
}

function report(r: HostReport): void {
  if (deno) console.log(JSON.stringify(r));
  else (globalThis as { __webrnnReport?: HostReport }).__webrnnReport = r;
}

async function main(): Promise<void> {
  const log = (s: string): void => (deno ? console.error(s) : console.log(s));
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
