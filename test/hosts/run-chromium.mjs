// Runs the GPU cases in headless Chromium (WebGPU on SwiftShader): bundles entry.ts, serves it on
// 127.0.0.1, drives /usr/bin/chromium with puppeteer-core, and reads back window.__webrnnReport.
// Standalone: node test/hosts/run.mjs chromium
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { bundleFor } from './bundle.mjs';
import { asHostReport, hostEnv } from './host-report.mjs';
import { serveStatic } from './static-server.mjs';

export const chromiumPath = process.env.WEBRNN_CHROMIUM || '/usr/bin/chromium';

// puppeteer adds --headless=new (headless: true) and merges --enable-features with its own.
// SwiftShader is chosen explicitly so results do not depend on the machine's GPU.
export const chromiumArgs = [
  '--no-sandbox', // CI runs as root, where Chromium's sandbox refuses to start
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * @param {{ filter?: string, timeoutMs?: number, onLog?: (line: string) => void, entry?: string, prepare?: (dir: string) => void, query?: Record<string, string> }} [opts]
 *   entry: the file of test/hosts/ to bundle and run (default entry.ts); prepare: puts files the page
 *   fetches into the served directory; query: more parameters of the page's URL
 * @returns {Promise<import('./host-report.mjs').HostRun>}
 */
export async function runInChromium(opts = {}) {
  const t0 = performance.now();
  if (!existsSync(chromiumPath)) throw new Error(`chromium missing at ${chromiumPath} (run npm run setup)`);
  const timeoutMs = opts.timeoutMs ?? 40 * 60_000;
  const { dir, ms: bundleMs } = await bundleFor('browser', opts.entry);
  opts.prepare?.(dir);
  /** @type {string[]} */
  const logs = [];
  const log = (/** @type {string} */ l) => { logs.push(l); opts.onLog?.(l); };
  const userDataDir = mkdtempSync(join(tmpdir(), 'webrnn-chromium-'));
  /** @type {Awaited<ReturnType<typeof serveStatic>> | undefined} */
  let server;
  /** @type {import('puppeteer-core').Browser | undefined} */
  let browser;
  try {
    server = await serveStatic(dir);
    browser = await puppeteer.launch({
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      userDataDir,
      env: hostEnv(),
      protocolTimeout: timeoutMs,
    });
    const page = await browser.newPage();
    page.on('console', (m) => log(`${m.type() === 'log' ? '' : `[${m.type()}] `}${m.text()}`));
    page.on('pageerror', (e) => log(`[pageerror] ${e instanceof Error ? e.stack ?? e.message : String(e)}`));
    page.on('requestfailed', (r) => log(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
    const search = new URLSearchParams({ ...(opts.filter ? { filter: opts.filter } : {}), ...opts.query }).toString();
    const url = server.url + (search ? `?${search}` : '');
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    // A crashed page or browser never reports: fail at once instead of at the timeout.
    const crashed = new Promise((_, fail) => {
      page.once('error', (e) => fail(new Error(`page crashed: ${e.message}`)));
      browser?.once('disconnected', () => fail(new Error('chromium exited')));
    });
    crashed.catch(() => {}); // it also fires when the browser is closed after a normal run
    // Polling (not rAF): a headless page that is not being painted may never run animation frames.
    await Promise.race([page.waitForFunction(() => '__webrnnReport' in window, { timeout: timeoutMs, polling: 500 }), crashed]);
    const report = asHostReport(await page.evaluate(() => /** @type {any} */ (window).__webrnnReport));
    return { report, logs, bundleMs, totalMs: performance.now() - t0 };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`chromium run failed: ${msg}\n--- page log (last 30 lines) ---\n${logs.slice(-30).join('\n')}`);
  } finally {
    await browser?.close().catch(() => browser?.process()?.kill('SIGKILL'));
    await server?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
