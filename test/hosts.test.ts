// The GPU cases (test/hosts/cases-under-test.ts) in the two non-Node hosts: Deno (navigator.gpu on
// lavapipe) and headless Chromium (SwiftShader). Each must pass every case and run as many cases as
// Node does, so a case that silently disappears in one host is caught. Node's own run of the cases,
// with full detail, is test/gpu.test.ts. WEBRNN_CASES=substring narrows all three to matching cases.
import { describe, expect, test } from 'vitest';
import { createEngine, runGpuCases } from './hosts/cases-under-test.js';
import { runInDeno } from './hosts/run-deno.mjs';
import { runInChromium } from './hosts/run-chromium.mjs';

const filter = process.env.WEBRNN_CASES || undefined;
const minutes = 60_000;

let nodeCount: Promise<number> | undefined;
/** How many cases the same module yields in Node (run once, shared by both host tests). */
function casesInNode(): Promise<number> {
  nodeCount ??= (async () => {
    const engine = await createEngine();
    try {
      return (await runGpuCases(engine, { filter })).length;
    } finally {
      (engine as { dispose?: () => void }).dispose?.();
    }
  })();
  return nodeCount;
}

type HostRun = Awaited<ReturnType<typeof runInDeno>>;

async function checkHost(name: string, run: (opts: { filter?: string; onLog: (l: string) => void }) => Promise<HostRun>): Promise<void> {
  const { report, logs, bundleMs, totalMs } = await run({
    filter,
    // Console errors and page errors reach the test output as they happen; the rest only on failure.
    onLog: (l) => { if (/^\[(error|pageerror|requestfailed)\]|panicked|error:/i.test(l)) console.error(`[${name}] ${l}`); },
  });
  const bad = report.cases.filter((c) => !c.pass);
  console.log(`${name}: adapter "${report.adapter}", ${report.cases.length - bad.length}/${report.cases.length} cases passed, ` +
    `cases ${(report.ms / 1000).toFixed(1)} s, total ${(totalMs / 1000).toFixed(1)} s (bundle ${bundleMs.toFixed(0)} ms)`);
  if (report.error || bad.length) console.log(`--- ${name} log ---\n${logs.join('\n')}`);
  expect(report.error, `${name} run broke`).toBeUndefined();
  expect(bad.map((c) => `${c.name}: ${c.detail}`), `${name}: failing cases`).toEqual([]);
  expect(report.cases.length, `${name}: no cases ran`).toBeGreaterThan(0);
  expect(report.cases.length, `${name}: case count differs from Node's`).toBe(await casesInNode());
}

describe('GPU cases in other hosts', () => {
  test('deno (navigator.gpu)', () => checkHost('deno', (o) => runInDeno({ ...o, timeoutMs: 14 * minutes })), 15 * minutes);
  test('chromium (headless, SwiftShader)', () => checkHost('chromium', (o) => runInChromium({ ...o, timeoutMs: 39 * minutes })), 40 * minutes);
});
