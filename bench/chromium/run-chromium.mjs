// The benchmark's Chromium host: bundles bench/chromium/entry.mjs (webrnn from dist/, tfjs, the shared
// suite) with esbuild into a temporary directory, serves it on 127.0.0.1 with test/hosts's static
// server, and drives /usr/bin/chromium (puppeteer-core) with test/hosts's flags (SwiftShader WebGPU).
// Rows arrive as console lines "@@row {json}" while the page runs, so a timeout keeps what finished.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { chromiumArgs, chromiumPath } from '../../test/hosts/run-chromium.mjs';
import { serveStatic } from '../../test/hosts/static-server.mjs';
import { hostEnv } from '../../test/hosts/host-report.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @param {{ shapes: Record<string, any>, cells?: string[], engines: string[], reps: number, capMs: number, skip?: Record<string, string>,
 *   gemmSizes?: any[], timeoutMs: number, log: (l: string) => void, onRow: (r: any) => void, onGemm: (g: any) => void }} o
 */
export async function runChromium(o) {
  if (!existsSync(chromiumPath)) throw new Error(`chromium missing at ${chromiumPath} (npm run setup installs Debian's chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'webrnn-bench-page-'));
  const userDataDir = mkdtempSync(join(tmpdir(), 'webrnn-bench-chromium-'));
  /** @type {Awaited<ReturnType<typeof serveStatic>> | undefined} */
  let server;
  /** @type {import('puppeteer-core').Browser | undefined} */
  let browser;
  try {
    await build({
      entryPoints: [join(here, 'entry.mjs')],
      outfile: join(dir, 'entry.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      external: ['webgpu', 'node:*'],
      logLevel: 'warning',
    });
    copyFileSync(join(here, 'index.html'), join(dir, 'index.html'));
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ shapes: o.shapes, cells: o.cells, engines: o.engines, reps: o.reps, capMs: o.capMs, skip: o.skip, gemmSizes: o.gemmSizes }));
    server = await serveStatic(dir);
    browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, userDataDir, env: hostEnv(), protocolTimeout: o.timeoutMs + 60_000 });
    const page = await browser.newPage();
    /** @type {string[]} */
    const logs = [];
    page.on('console', (m) => {
      const text = m.text();
      const r = /^@@(\w+) (.*)$/s.exec(text);
      if (r?.[1] === 'row') o.onRow(JSON.parse(r[2]));
      else if (r?.[1] === 'gemm') o.onGemm(JSON.parse(r[2]));
      else if (r?.[1] === 'start') o.log(`chromium: ${JSON.parse(r[2])}`);
      else logs.push(text);
    });
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e instanceof Error ? e.message : String(e)}`));
    o.log(`chromium: ${server.url}`);
    await page.goto(server.url, { waitUntil: 'load', timeout: 120_000 });
    await page.waitForFunction(() => '__benchDone' in window, { timeout: o.timeoutMs, polling: 1000 });
    const done = await page.evaluate(() => /** @type {any} */ (window).__benchDone);
    if (!done.ok) throw new Error(`the page failed: ${done.error}\n${logs.slice(-20).join('\n')}`);
  } finally {
    await browser?.close().catch(() => browser?.process()?.kill('SIGKILL'));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
