// The training worker in a real browser: test/worker/page.ts trains a character model in a dedicated
// Worker (headless Chromium, WebGPU on SwiftShader, the flags of the GPU host tests), gets its weights
// back by transfer, loads them into a model on the page's main thread and compares both models' samples
// and held-out bits per character; errors must arrive as WebRnnError with the worker's code. The page
// and the worker are bundled with esbuild as the host tests' page is (test/hosts/bundle.mjs).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildOptions } from './hosts/bundle.mjs';
import { hostEnv } from './hosts/host-report.mjs';
import { chromiumArgs, chromiumPath } from './hosts/run-chromium.mjs';
import { serveStatic } from './hosts/static-server.mjs';
import type { WorkerReport } from './worker/page.ts';

const here = fileURLToPath(new URL('./worker/', import.meta.url));
const out = fileURLToPath(new URL('./hosts/out/worker/', import.meta.url));
const seconds = 1000;

let server: Awaited<ReturnType<typeof serveStatic>> | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({ ...buildOptions('browser'), entryPoints: [join(here, 'page.ts'), join(here, 'lm-worker.ts')], outdir: out });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  server = await serveStatic(out);
  browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, env: hostEnv() });
}, 60 * seconds);

afterAll(async () => {
  await browser?.close().catch(() => browser?.process()?.kill('SIGKILL'));
  await server?.close();
});

describe('training worker in headless Chromium (a dedicated Worker, SwiftShader)', () => {
  test('trains in the worker; weights come back by transfer and give a main-thread model the same samples and bpc', async () => {
    const page = await browser!.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e instanceof Error ? e.message : String(e)}`));
    await page.goto(server!.url, { waitUntil: 'load', timeout: 30 * seconds });
    await page.waitForFunction(() => '__workerReport' in window, { timeout: 150 * seconds, polling: 250 });
    const raw = (await page.evaluate(() => (window as { __workerReport?: unknown }).__workerReport)) as WorkerReport | { failed: string };
    if ('failed' in raw) throw new Error(`the page failed: ${raw.failed}\n${logs.join('\n')}`);
    const r = raw;
    const p = r.progress;
    console.log(`worker (Chromium): ${r.result.step} steps, loss ${p[0]!.loss.toFixed(3)} → ${r.result.loss.toFixed(3)} nats/char, ` +
      `${Math.round(p[p.length - 1]!.itemsPerSecond)} chars/s; bpc worker ${r.workerBpc.toFixed(6)} vs page ${r.pageBpc.toFixed(6)}; ` +
      `sample ${JSON.stringify(r.workerSample.slice(0, 60))}`);

    // Training progressed in the worker: every step reported, the loss fell, evaluations came.
    expect(p.map((x) => x.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(r.result).toMatchObject({ reason: 'steps', step: 12 });
    const mean = (xs: typeof p) => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
    expect(mean(p.slice(-3))).toBeLessThan(mean(p.slice(0, 3)));
    expect(p.filter((x) => x.metrics).map((x) => x.step)).toEqual([1, 6, 12]);

    // The weights: every parameter, as Float32Array, loaded into the page's model: the same output.
    expect(r.weights.map((w) => w.name).sort()).toEqual([...r.pageNames].sort());
    expect(r.weights.every((w) => w.float32 && w.length > 0)).toBe(true);
    expect(r.workerSample.length).toBeGreaterThan(50);
    expect(r.pageSample).toBe(r.workerSample);
    expect(Math.abs(r.pageBpc - r.workerBpc)).toBeLessThanOrEqual(1e-6 * r.workerBpc);
    // loadWeights transferred the page's arrays (detached here) and the worker holds exactly them.
    expect(r.sentLengths.every((n) => n === 0)).toBe(true);
    expect(r.roundTrip).toBe(true);

    // Errors arrive as WebRnnError with the worker's code; after terminate(), DISPOSED.
    expect(r.errors.map((e) => [e.instance, e.code])).toEqual([[true, 'BAD_SHAPE'], [true, 'BAD_CONFIG'], [true, 'BAD_STATE'], [true, 'DISPOSED']]);
    expect(r.errors[0]!.message).toMatch(/missing parameter/);
    expect(r.errors[1]!.message).toMatch(/num_layers|layers/);
    expect(logs.filter((l) => l.startsWith('[pageerror]') || l.startsWith('[error]'))).toEqual([]);
    await page.close();
  }, 180 * seconds);
});
