// Bundles test/hosts/entry.ts (engine + GPU cases) — or another entry, e.g. silero-entry.ts — into one
// ES module per host with esbuild:
//   browser -> test/hosts/out/browser/entry.js (+ index.html), served to headless Chromium
//   deno    -> test/hosts/out/deno/entry.js, run with `deno run`
// (another entry goes to out/<host>-<entry name>/entry.js)
// `webgpu` (Node's Dawn binding) stays external: the engine imports it dynamically only when
// navigator.gpu is absent, which never happens in these hosts. `node:*` stays external for the same
// reason (Node-only code paths behind dynamic imports); a static import of either fails at load time.
// CLI: node test/hosts/bundle.mjs [browser|deno]...   (default: both)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const outRoot = join(here, 'out');

/** @typedef {'browser' | 'deno'} BundleHost */

/**
 * esbuild options for a host: one ES module per entry point (a page, its workers, a Deno script).
 * @param {BundleHost} host
 * @returns {import('esbuild').BuildOptions}
 */
export function buildOptions(host) {
  return {
    bundle: true,
    format: 'esm',
    platform: host === 'browser' ? 'browser' : 'neutral',
    // platform 'neutral' resolves no package fields by default; these match what Deno and browsers read.
    mainFields: host === 'browser' ? ['browser', 'module', 'main'] : ['module', 'main'],
    conditions: host === 'browser' ? ['browser', 'import', 'default'] : ['deno', 'import', 'default'],
    target: 'es2022',
    external: ['webgpu', 'node:*'],
    // Kernels and fixtures imported by the cases are embedded: no host reads files at run time.
    loader: { '.wgsl': 'text', '.bin': 'binary', '.safetensors': 'binary' },
    logLevel: 'warning',
  };
}

/**
 * Builds the bundle for one host and returns its directory and entry file.
 * @param {BundleHost} host
 * @param {string} [entry] a file of test/hosts/ (default entry.ts)
 * @returns {Promise<{ dir: string, file: string, ms: number }>}
 */
export async function bundleFor(host, entry = 'entry.ts') {
  const t0 = performance.now();
  const dir = join(outRoot, entry === 'entry.ts' ? host : `${host}-${entry.replace(/\.ts$/, '')}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'entry.js');
  await build({ ...buildOptions(host), entryPoints: [join(here, entry)], outfile: file, sourcemap: 'inline' });
  if (host === 'browser') copyFileSync(join(here, 'index.html'), join(dir, 'index.html'));
  return { dir, file, ms: performance.now() - t0 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  /** @type {BundleHost[]} */
  const hosts = process.argv.length > 2 ? /** @type {BundleHost[]} */ (process.argv.slice(2)) : ['browser', 'deno'];
  for (const h of hosts) {
    const { file, ms } = await bundleFor(h);
    console.log(`bundled ${h}: ${file} (${ms.toFixed(0)} ms)`);
  }
}
