// The README's performance tables from benchmark results: per host, one row per webrnn variant (the
// tuned engine, then each forced variant of a --variants run, in the order the results name them, so a
// variant added later gets its row without a change here) and one per peer engine; one column per S1/S2
// shape and cell, each "forward / train" median ms. Then the issue-13 target ratios measured in the same
// run: S2 tuned webrnn vs tfjs-webgpu (≥ 10×), and in Chromium S1/S2 forward vs onnxruntime-web's WebGPU
// EP (≥ 5×), judged on the tuned row (what an app gets) and also given against the fastest webrnn row (the
// fastest of several noisy rows is biased low on a loaded machine); and which peers are faster than tuned webrnn.
//
//   node bench/variant-table.mjs [bench/results/latest.json bench/results/latest-chromium.json ...]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, cellLabel } from './lib/shapes.mjs';
import { KERNEL_VARIANTS } from './lib/webrnn-engine.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2).length ? process.argv.slice(2) : ['latest.json', 'latest-chromium.json'].map((f) => join(here, 'results', f));

const SHORT = { lstm: 'LSTM', 'gru (reset-after)': 'GRU r-after', 'gru (reset-before)': 'GRU r-before' };
const fmt = (/** @type {number | undefined} */ ms) => (ms === undefined ? '–' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const ratio = (/** @type {number} */ x) => `${x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2)}×`;

for (const file of files.filter((f) => existsSync(f))) {
  /** @type {any[]} */
  const rows = JSON.parse(readFileSync(file, 'utf8')).filter((r) => r.shape === 'S1' || r.shape === 'S2');
  const meta = existsSync(file.replace(/\.json$/, '.meta.json')) ? JSON.parse(readFileSync(file.replace(/\.json$/, '.meta.json'), 'utf8')) : {};
  for (const host of [...new Set(rows.map((r) => r.host))]) {
    const mine = rows.filter((r) => r.host === host);
    const cols = [...new Set(mine.map((r) => `${r.shape} ${cellLabel(r)}`))];
    const label = (/** @type {any} */ r) => (r.engine === 'webrnn' ? (r.forced_variant ? `webrnn ${r.forced_variant}` : 'webrnn tuned') : r.engine);
    // tuned first, then the forced variants this file knows in its order (off = today's choices), then any
    // other forced variant (one added since) by name, then the peers in the benchmark's engine order
    const order = (/** @type {string} */ l) => {
      if (l === 'webrnn tuned') return [0, 0, l];
      const v = l.startsWith('webrnn ') ? l.slice(7) : undefined;
      if (v !== undefined) return KERNEL_VARIANTS.includes(/** @type {any} */ (v)) ? [1, KERNEL_VARIANTS.indexOf(/** @type {any} */ (v)), l] : [2, 0, l];
      return [3, ENGINES.indexOf(/** @type {any} */ (l)), l];
    };
    const labels = [...new Set(mine.map(label))].sort((a, b) => {
      const [x, y] = [order(a), order(b)];
      return Number(x[0]) - Number(y[0]) || Number(x[1]) - Number(y[1]) || String(x[2]).localeCompare(String(y[2]));
    });
    const get = (/** @type {string} */ l, /** @type {string} */ col, /** @type {string} */ mode) => mine.find((r) => label(r) === l && `${r.shape} ${cellLabel(r)}` === col && r.mode === mode);
    const cell = (/** @type {string} */ l, /** @type {string} */ col) => {
      const f = get(l, col, 'forward');
      const t = get(l, col, 'train');
      if (!f && !t) return '';
      const ms = [f, t].map((r) => (r && typeof r.ms === 'number' ? fmt(r.ms) : r ? 'skip' : '–'));
      const chose = l === 'webrnn tuned' && f?.kernel_variant ? ` (${f.kernel_variant}${f.matmul_variant && f.matmul_variant !== 'register-blocked' ? `, ${f.matmul_variant} GEMMs` : ''})` : '';
      return `${ms.join(' / ')}${chose}`;
    };
    const adapter = mine.find((r) => r.engine === 'webrnn')?.adapter ?? '';
    console.log(`\n${host}, ${adapter} — ${file.replace(`${join(here, '..')}/`, '')} (${meta.date ?? ''}, commit ${meta.commit ?? '?'}, load ${meta.load_average ? `${meta.load_average.start.toFixed(1)}–${meta.load_average.end.toFixed(1)}` : '?'}); ms forward / train, median:\n`);
    console.log(`| engine / variant | ${cols.map((c) => c.replace(/^(S\d) (.*)$/, (_, s, c) => `${s} ${SHORT[/** @type {'lstm'} */ (c)] ?? c}`)).join(' | ')} |`);
    console.log(`|---|${cols.map(() => '---:').join('|')}|`);
    for (const l of labels) console.log(`| ${l} | ${cols.map((c) => cell(l, c)).join(' | ')} |`);
    const tuningMs = mine.filter((r) => label(r) === 'webrnn tuned' && r.mode === 'forward').map((r) => `${r.shape} ${SHORT[/** @type {'lstm'} */ (cellLabel(r))]} ${r.tuning_ms}`);
    if (tuningMs.length) console.log(`\nTuning time per case (ms, the tuned engine's measurements this case caused): ${tuningMs.join(', ')}.`);
    // the targets, in this run
    const webrnn = (/** @type {any} */ r) => r.engine === 'webrnn' && typeof r.ms === 'number';
    const lines = [];
    for (const [peer, shapes, modes, want] of /** @type {const} */ ([['tfjs-webgpu', ['S2'], ['forward', 'train'], 10], ['onnxruntime-web-webgpu', ['S1', 'S2'], ['forward'], 5]])) {
      for (const p of mine.filter((r) => r.engine === peer && shapes.includes(r.shape) && modes.includes(r.mode) && typeof r.ms === 'number')) {
        const same = mine.filter((r) => webrnn(r) && r.shape === p.shape && cellLabel(r) === cellLabel(p) && r.mode === p.mode);
        const tuned = same.find((r) => !r.forced_variant);
        const best = same.reduce((a, b) => (b.ms < a.ms ? b : a), same[0]);
        if (!tuned) continue;
        lines.push(`${p.shape} ${cellLabel(p)} ${p.mode} vs ${peer} (≥ ${want}×): tuned ${ratio(p.ms / tuned.ms)} (${fmt(tuned.ms)} vs ${fmt(p.ms)} ms)${best !== tuned ? `, fastest variant (${best.forced_variant}) ${ratio(p.ms / best.ms)}` : ''} — ${p.ms / tuned.ms >= want ? 'met' : 'not met'} (tuned)`);
      }
    }
    const faster = mine.filter((r) => r.engine !== 'webrnn' && typeof r.ms === 'number').filter((p) => {
      const tuned = mine.find((r) => webrnn(r) && !r.forced_variant && r.shape === p.shape && cellLabel(r) === cellLabel(p) && r.mode === p.mode);
      return tuned && p.ms < tuned.ms;
    });
    if (lines.length) console.log(`\nTargets in this run:\n${lines.map((l) => `- ${l}`).join('\n')}`);
    if (faster.length) console.log(`\nFaster than tuned webrnn: ${faster.map((p) => `${p.engine} ${p.shape} ${SHORT[/** @type {'lstm'} */ (cellLabel(p))]} ${p.mode}`).join('; ')}.`);
  }
}
