// What the browser-demo tests share: the demo built by vite and served by its preview server on
// 127.0.0.1 (a secure context, and the right MIME types), headless Chromium on SwiftShader with the
// flags of the GPU host tests, and a page's errors collected.
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build, preview, type PreviewServer } from 'vite';
import { hostEnv } from '../hosts/host-report.mjs';
import { chromiumArgs, chromiumPath } from '../hosts/run-chromium.mjs';

const configFile = fileURLToPath(new URL('../../demo/vite.config.ts', import.meta.url));

/**
 * Builds the demo for production into `outDir` (default demo/dist; tests that may run at the same time
 * build into folders of their own) and serves it; `url` ends in a slash.
 */
export async function serveDemo(outDir?: string): Promise<{ server: PreviewServer; url: string }> {
  const dirs = outDir ? { build: { outDir, emptyOutDir: true } } : {};
  // Vitest sets NODE_ENV=test, which vite would take for a development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile, mode: 'production', logLevel: 'warn', ...dirs });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const server = await preview({ configFile, ...dirs, preview: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' });
  return { server, url: server.resolvedUrls?.local[0] ?? '' };
}

/** Headless Chromium (/usr/bin/chromium, SwiftShader's WebGPU) with the host tests' flags and `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return puppeteer.launch({ executablePath: chromiumPath, headless: true, args: [...chromiumArgs, ...extraArgs], env: hostEnv() });
}

/** The page's uncaught exceptions, failed requests and console errors, as they happen. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
  return errors;
}
