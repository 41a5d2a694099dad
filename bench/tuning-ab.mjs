// Tuning on vs today's variants, interleaved: for each shape, cell and mode, one webrnn case on an
// engine with tuning 'auto' (after its measurements have ended) and one on an engine with tuning 'off'
// (register-blocked GEMMs, the persistentWins rule), timed call for call in alternation (A B B A A B …), so
// load from other processes falls on both alike — the "no regression" check of issue 13 on a shared
// machine, where bench/run.mjs's rows (one after the other) drift with the load. Also prints the
// tuner's choices, its time, and both GEMM variants' GFLOP/s at the S2 input projections.
//
//   node bench/tuning-ab.mjs [--shapes S1,S2] [--cells lstm,gru] [--calls 15] [--out FILE.json]
import { writeFileSync } from 'node:fs';
import * as W from '../dist/src/index.js';
import { Program } from '../dist/src/gpu/program.js';
import { Recorder } from '../dist/src/gpu/recorder.js';
import { measureGemm } from './lib/gemm.mjs';
import { CELLS, SHAPES, cellLabel } from './lib/shapes.mjs';
import { makeData, makeStateDict, rnnConfig } from './lib/weights.mjs';
import { webrnnCase } from './lib/webrnn-engine.mjs';
import { median } from './lib/timing.mjs';
import { gitCommit } from './lib/machine.mjs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const shapes = arg('--shapes', 'S1,S2').split(',');
const cells = arg('--cells', 'lstm,gru').split(',');
const calls = Number(arg('--calls', '15'));
const outFile = arg('--out', '');

const loadStart = loadavg()[0];
const auto = await W.createEngine({ tuning: 'auto' });
const off = await W.createEngine({ tuning: 'off' });
const rows = [];
for (const shape of shapes) {
  const s = /** @type {any} */ (SHAPES)[shape];
  for (const c of CELLS.filter((x) => cells.includes(x.cell) || cells.includes(cellLabel(x)))) {
    const config = rnnConfig(s, c);
    const sd = makeStateDict(W.parameterSpecs(/** @type {any} */ (config)), s.H);
    const data = makeData(s);
    const a = await webrnnCase(W, auto, s, c, config, sd, data);
    const b = await webrnnCase(W, off, s, c, config, sd, data);
    for (const mode of /** @type {const} */ (['forward', 'train'])) {
      /** @type {number[]} */ const ta = [];
      /** @type {number[]} */ const tb = [];
      for (let i = 0; i < calls + 1; i++) {
        // A B, B A, A B, …: neither side always runs right after the other's call
        const pair = /** @type {const} */ ([[a, ta], [b, tb]]);
        for (const [ec, into] of i % 2 ? [pair[1], pair[0]] : pair) {
          const t0 = performance.now();
          await ec[mode]();
          if (i > 0) into.push(performance.now() - t0); // call 0 warms up
        }
      }
      const row = {
        shape, cell: cellLabel(c), mode,
        tuned: { ms: +median(ta).toFixed(2), min_ms: +Math.min(...ta).toFixed(2), ...a.info() },
        off: { ms: +median(tb).toFixed(2), min_ms: +Math.min(...tb).toFixed(2), ...b.info() },
      };
      row.ratio = +(row.off.ms / row.tuned.ms).toFixed(3);
      // of the fastest calls: load only adds time, so this one moves less with it than the medians'
      row.min_ratio = +(row.off.min_ms / row.tuned.min_ms).toFixed(3);
      rows.push(row);
      console.log(`${shape} ${cellLabel(c)} ${mode}: tuned ${row.tuned.ms} ms (${row.tuned.kernel_variant} · ${row.tuned.matmul_variant}), off ${row.off.ms} ms (${row.off.kernel_variant} · ${row.off.matmul_variant}): off/tuned ${row.ratio} (fastest calls: ${row.min_ratio})`);
    }
    a.dispose();
    b.dispose();
  }
}
const report = auto.tuningReport();
console.log(`tuning: ${report.ms.toFixed(0)} ms in all (${report.method}, bound ${report.budgetMs} ms per engine), ${report.measured.length} classes measured, ${report.skipped} left at today's choice`);
console.log(JSON.stringify(auto.kernelChoices().choices));
const gemm = await measureGemm(off, { Recorder, Program }, { sizes: [{ M: 800, N: 512, K: 64 }, { M: 800, N: 384, K: 64 }], budgetMs: 2000 });
for (const g of gemm.sizes) console.log(`GEMM ${g.variant} ${g.M}×${g.N}×${g.K}: ${g.ms} ms, ${g.gflops} GFLOP/s`);
if (outFile) writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), commit: gitCommit(dirname(fileURLToPath(import.meta.url))), load_average: { start: loadStart, end: loadavg()[0] }, adapter: auto.adapterName, calls, rows, tuning: report, choices: auto.kernelChoices(), gemm: gemm.sizes }, null, 2)}\n`);
auto.dispose();
off.dispose();
