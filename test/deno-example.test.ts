/**
 * examples/deno: `node examples/deno/run.mjs` bundles char-lm.ts with the compiled library and runs it
 * in Deno (wgpu; Mesa lavapipe here). The example must train — the mean loss of its last 10 steps
 * below that of its first 10 — and print a non-empty sample. Needs `npm run build` (dist/) and the
 * deno binary from npm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe.skipIf(process.env.WEBRNN_SKIP_GPU === '1')('examples/deno/char-lm.ts', () => {
  it('trains in Deno: the loss falls and a sample is printed', () => {
    expect(existsSync(join(ROOT, 'dist', 'src', 'index.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const r = spawnSync(process.execPath, [join(ROOT, 'examples', 'deno', 'run.mjs')], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp' },
    });
    const where = `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    expect(r.status, where).toBe(0);
    expect(r.stdout, where).toMatch(/^webrnn in deno on /m);
    const losses = [...r.stdout.matchAll(/^step (\d+) {2}loss (\S+)$/gm)].map((m) => ({ step: Number(m[1]), loss: Number(m[2]) }));
    expect(losses.map((l) => l.step), where).toEqual([10, 20, 30, 40, 50, 60]);
    for (const l of losses) expect(Number.isFinite(l.loss), `step ${l.step}: loss ${l.loss}`).toBe(true);
    const first = losses[0].loss;
    const last = losses[losses.length - 1].loss;
    // ln(38) ≈ 3.6 nats is a uniform guess; 60 steps on the poem get well below the first 10 steps' mean.
    expect(last, where).toBeLessThan(first - 0.5);
    expect(r.stdout).toContain(`loss: ${first.toFixed(4)} -> ${last.toFixed(4)}`);
    const sample = /^--- sample ---\n([\s\S]*?)\n---$/m.exec(r.stdout)?.[1];
    expect(sample, where).toBeDefined();
    expect(sample!.startsWith('Twinkle'), sample).toBe(true);
    expect(sample!.length, sample).toBeGreaterThan('Twinkle'.length + 50);
  }, 180_000);
});
