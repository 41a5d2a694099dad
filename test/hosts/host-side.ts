// What the bundled host entries (entry.ts: the GPU cases; silero-entry.ts: silero VAD) share: which
// host they run in, and runHost, which gets an engine, runs the entry's cases and sends the HostReport
// back to the runner — in Deno as one JSON line on stdout (progress on stderr), in a browser as
// `window.__webrnnReport` (progress on the console).
import { createEngine, type CaseResult } from './cases-under-test.js';

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

export interface DenoLike {
  env: { get(k: string): string | undefined };
  readFile(path: string): Promise<Uint8Array>;
}
export const deno = (globalThis as { Deno?: DenoLike }).Deno;
export const host: HostReport['host'] = deno ? 'deno' : 'browser';

/** Progress lines: stderr in Deno (stdout carries the report), the console in a browser. */
export const log = (s: string): void => (deno ? console.error(s) : console.log(s));

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

/** Creates the engine, runs `cases` on it and reports them; a failure outside a case is the report's error. */
export async function runHost(what: string, cases: (engine: Awaited<ReturnType<typeof createEngine>>) => Promise<CaseResult[]>): Promise<void> {
  let adapter = '';
  try {
    const engine = await createEngine();
    adapter = adapterName(engine);
    log(`webrnn ${what}: ${host}, adapter "${adapter}"`);
    const t0 = performance.now();
    const results = await cases(engine);
    report({ host, adapter, cases: results, ms: performance.now() - t0 });
  } catch (e) {
    report({ host, adapter, cases: [], ms: 0, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
  }
}
