// Runs the GPU cases in one or more hosts from the command line and prints each case and the time:
//   node test/hosts/run.mjs [deno|chromium]... [--filter SUBSTRING]
// (vitest's test/hosts.test.ts does the same with assertions; this is for looking at one host.)
import { runInDeno } from './run-deno.mjs';
import { runInChromium } from './run-chromium.mjs';

const argv = process.argv.slice(2);
const fi = argv.indexOf('--filter');
const filter = fi >= 0 ? argv.splice(fi, 2)[1] : process.env.WEBRNN_CASES;
const hosts = argv.length ? argv : ['deno', 'chromium'];
const runners = { deno: runInDeno, chromium: runInChromium };
let failed = 0;
for (const h of hosts) {
  const run = runners[/** @type {keyof typeof runners} */ (h)];
  if (!run) { console.error(`unknown host ${h} (deno, chromium)`); process.exit(2); }
  const { report, bundleMs, totalMs } = await run({ filter, onLog: (l) => console.log(`  [${h}] ${l}`) });
  const bad = report.cases.filter((c) => !c.pass);
  failed += bad.length + (report.error ? 1 : 0);
  console.log(`${h}: adapter "${report.adapter}", ${report.cases.length - bad.length}/${report.cases.length} passed; ` +
    `cases ${(report.ms / 1000).toFixed(1)} s, total ${(totalMs / 1000).toFixed(1)} s (bundle ${bundleMs.toFixed(0)} ms)`);
  if (report.error) console.log(`  error: ${report.error}`);
  for (const c of bad) console.log(`  FAIL ${c.name}: ${c.detail}`);
}
process.exit(failed ? 1 : 0);
