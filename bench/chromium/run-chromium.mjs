// The benchmark's Chromium host: bundles bench/chromium/entry.mjs (webrnn from dist/, tfjs, the shared
// suite) with esbuild into a temporary directory, links the wasm engines' shipped files into it
// (vendor/onnxruntime-web/ and vendor/tfjs-backend-wasm/), serves it on 127.0.0.1 with test/hosts's
// static server, and drives /usr/bin/chromium (puppeteer-core, WEBRNN_CHROMIUM for another binary).
// Adapter 'swiftshader' (default): test/hosts's flags (SwiftShader WebGPU) plus SwiftShader WebGL;
// 'hardware': the same without the SwiftShader choices, so Chromium takes the machine's GPU.
// The page must be cross-origin isolated for the wasm engines' threads: the static server sends no
// COOP/COEP headers (nor a JavaScript type for .mjs, a wasm type for .wasm), so they are added to each
// response through the DevTools protocol (Fetch domain, response stage).
// Rows arrive as console lines "@@row {json}" while the page runs, so a timeout keeps what finished;
// WEBRNN_BENCH_PAGE_LOG=1 prints the page's other console lines to stderr.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import puppeteer from 'puppeteer-core';
import { chromiumArgs, chromiumPath } from '../../test/hosts/run-chromium.mjs';
import { serveStatic } from '../../test/hosts/static-server.mjs';
import { hostEnv } from '../../test/hosts/host-report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');

/** The shipped files each wasm engine loads at run time: page route → package folder. */
const VENDOR = {
  'onnxruntime-web': 'node_modules/onnxruntime-web/dist',
  'tfjs-backend-wasm': 'node_modules/@tensorflow/tfjs-backend-wasm/dist',
};

const SWIFTSHADER_ONLY = ['--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];
/** Chromium's flags for each adapter choice. */
export const ADAPTER_ARGS = {
  // WebGL (tfjs-webgl) on SwiftShader too: newer Chromium no longer falls back to it unasked.
  swiftshader: [...chromiumArgs, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  hardware: [...chromiumArgs.filter((a) => !SWIFTSHADER_ONLY.includes(a)), '--ignore-gpu-blocklist'],
};

const ISOLATION_HEADERS = [
  { name: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { name: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
];
const TYPES = { '.mjs': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };

/**
 * Adds the isolation headers (and the types the static server lacks) to every response of the page.
 * The response is fulfilled again with its own body: Chromium ignores COOP/COEP given to
 * Fetch.continueResponse, but honours them in Fetch.fulfillRequest.
 * @param {import('puppeteer-core').Page} page
 */
async function isolate(page) {
  const cdp = await page.createCDPSession();
  cdp.on('Fetch.requestPaused', async (e) => {
    try {
      const type = TYPES[/** @type {keyof typeof TYPES} */ (extname(new URL(e.request.url).pathname))];
      const drop = new Set(['transfer-encoding', ...(type ? ['content-type'] : [])]);
      const headers = (e.responseHeaders ?? []).filter((h) => !drop.has(h.name.toLowerCase()));
      const { body } = await cdp.send('Fetch.getResponseBody', { requestId: e.requestId });
      await cdp.send('Fetch.fulfillRequest', {
        requestId: e.requestId, responseCode: e.responseStatusCode ?? 200, body,
        responseHeaders: [...headers, ...ISOLATION_HEADERS, ...(type ? [{ name: 'Content-Type', value: type }] : [])],
      });
    } catch {
      await cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => {}); // the page or browser went away
    }
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Response' }] });
}

/**
 * @param {{ shapes?: Record<string, any>, cells?: string[], engines?: string[], reps?: number, capMs?: number, skip?: Record<string, string>,
 *   variants?: boolean | string[], adapter?: keyof typeof ADAPTER_ARGS, gemmSizes?: any[], timeoutMs: number,
 *   log: (l: string) => void, onRow: (r: any) => void, onGemm: (g: any) => void, onNote?: (n: string) => void,
 *   entry?: string, job?: Record<string, unknown>, prepare?: (dir: string) => void }} o
 *   entry, job, prepare: another page of this folder (default entry.mjs), its job.json (default the
 *   suite's fields above), and files to put beside it (the VAD page, bench/lib/vad-run.mjs)
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
      entryPoints: [join(here, o.entry ?? 'entry.mjs')],
      outfile: join(dir, 'entry.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      external: ['webgpu', 'node:*'],
      logLevel: 'warning',
    });
    copyFileSync(join(here, 'index.html'), join(dir, 'index.html'));
    mkdirSync(join(dir, 'vendor'));
    for (const [route, folder] of Object.entries(VENDOR)) symlinkSync(join(root, folder), join(dir, 'vendor', route), 'dir');
    writeFileSync(join(dir, 'job.json'), JSON.stringify(o.job ?? { shapes: o.shapes, cells: o.cells, engines: o.engines, reps: o.reps, capMs: o.capMs, skip: o.skip, variants: o.variants, gemmSizes: o.gemmSizes }));
    o.prepare?.(dir);
    server = await serveStatic(dir);
    const args = ADAPTER_ARGS[o.adapter ?? 'swiftshader'];
    browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args, userDataDir, env: hostEnv(), protocolTimeout: o.timeoutMs + 60_000 });
    o.onNote?.(`Chromium: ${await browser.version()}, adapter choice '${o.adapter ?? 'swiftshader'}' (flags: ${args.join(' ')}).`);
    const page = await browser.newPage();
    await isolate(page);
    /** @type {string[]} */
    const logs = [];
    page.on('console', (m) => {
      const text = m.text();
      const r = /^@@(\w+) (.*)$/s.exec(text);
      if (r?.[1] === 'row') o.onRow(JSON.parse(r[2]));
      else if (r?.[1] === 'gemm') o.onGemm(JSON.parse(r[2]));
      else if (r?.[1] === 'note') o.onNote?.(JSON.parse(r[2]));
      else if (r?.[1] === 'start') o.log(`chromium: ${JSON.parse(r[2])}`);
      else {
        logs.push(text);
        if (process.env.WEBRNN_BENCH_PAGE_LOG) process.stderr.write(`[page] ${text}\n`);
      }
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
