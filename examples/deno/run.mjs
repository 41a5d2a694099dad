#!/usr/bin/env node
// Bundles an example with the compiled webrnn library (dist/, from `npm run build`) into one ES
// module with esbuild and runs it with the Deno binary from npm (node_modules/@deno/<platform>/deno).
//   node examples/deno/run.mjs [example.ts]        (default: char-lm.ts)
// `webgpu` (Node's Dawn binding) stays external: webrnn imports it only when navigator.gpu is absent,
// which never happens in Deno. The bundle goes to a temporary folder, removed afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fail = (message) => {
  process.stderr.write(`examples/deno: ${message}\n`);
  process.exit(1);
};

const example = resolve(here, process.argv[2] ?? 'char-lm.ts');
if (!existsSync(example)) fail(`no example ${example}`);
const library = join(root, 'dist', 'src', 'index.js');
if (!existsSync(library)) fail('webrnn is not built: run `npm run build` first');
const target = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-glibc' : ''}`;
const deno = join(root, 'node_modules', '@deno', target, process.platform === 'win32' ? 'deno.exe' : 'deno');
if (!existsSync(deno)) fail(`the deno binary is missing (${deno}): run \`npm install\` (the npm package "deno")`);

const { build } = await import('esbuild');
const out = mkdtempSync(join(tmpdir(), 'webrnn-deno-example-'));
let status = 1;
try {
  const bundle = join(out, 'example.js');
  await build({
    entryPoints: [example],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['deno', 'import', 'default'],
    target: 'es2022',
    // `import … from 'webrnn'` is this repository's compiled library, as a user's would be from npm.
    alias: { webrnn: library },
    external: ['webgpu', 'node:*'],
    logLevel: 'warning',
  });
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || tmpdir() };
  // --no-config: the bundle is self-contained; keep Deno from reading the repository's package.json.
  const r = spawnSync(deno, ['run', '--no-config', '--allow-read', '--allow-env', bundle], { stdio: 'inherit', env });
  if (r.error) fail(`could not run deno: ${r.error.message}`);
  status = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(status);
