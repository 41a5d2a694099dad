// The shader build (scripts/gen-shaders.mjs): the descriptors src/gpu/kernel.ts reads instead of parsing
// WGSL at run time must say what wgsl_reflect reads from the very code that is compiled; includes
// resolve once per kernel, bad ones fail the build naming the file; comments never reach the bundle.
// (That every kernel compiles on a device is test/api.test.ts's "every shader in shaders/ compiles".)
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { buildKernels, buildShaderModule, stripComments } from '../scripts/gen-shaders.mjs';
import { Kernel, kernelCode, type KernelName, type KernelSource } from '../src/gpu/kernel.js';
import { kernels } from '../src/gpu/kernel-table.js';
import { WebRnnError } from '../src/errors.js';

const root = join(import.meta.dirname, '..');
const shadersDir = join(root, 'shaders');

describe('the generated kernel tables', () => {
  const names = Object.keys(kernels) as (keyof typeof kernels)[];

  test('one entry per shaders/*.wgsl plus an f16 twin of each that includes shared/weight_type.wgsl, and the module is what the generator makes now', () => {
    const files = readdirSync(shadersDir).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5)).sort();
    const twins = files.filter((f) => kernelCode(kernels[f as KernelName])!.split('\n').includes('alias weight = f32;')).map((f) => `${f}_f16`);
    expect(twins).toContain('lstm_step_fwd_f16');
    expect(twins).toContain('matmul_f16');
    expect(names).toEqual([...files, ...twins].sort());
    // a twin is its kernel with f16 weights: the same code but for three lines
    for (const t of twins) {
      const base = kernelCode(kernels[t.slice(0, -4) as KernelName])!;
      const name = t.slice(0, -4);
      expect(kernelCode(kernels[t as KernelName]), t).toBe(`enable f16;\n${base.replace('alias weight = f32;', 'alias weight = f16;').replace(`fn ${name}(`, `fn ${t}(`)}`);
    }
    // a stale generated file (shaders edited, build not rerun) would test old code below
    const fresh = readFileSync(join(root, 'src', 'gpu', 'shader-sources.gen.ts'), 'utf8') === buildShaderModule(shadersDir);
    expect(fresh, 'src/gpu/shader-sources.gen.ts is not what shaders/ builds now: run npm run build').toBe(true);
  });

  test('the module stores each text once (twins and subgroups forms as line edits), and kernelCode rebuilds every code the build made', () => {
    const built = buildKernels(shadersDir) as { name: KernelName; code: string; codeSubgroups?: string; twinOf?: string }[];
    expect(built.map((k) => k.name)).toEqual(names);
    expect(built.filter((k) => k.twinOf).length).toBeGreaterThan(10);
    for (const k of built) {
      expect(kernelCode(kernels[k.name]), k.name).toBe(k.code);
      expect(kernelCode(kernels[k.name], true), `${k.name} (subgroups)`).toBe(k.codeSubgroups);
      // a twin carries edits, not a second copy of its base's code
      if (k.twinOf) expect(kernels[k.name].code, k.name).toBeUndefined();
      // …and references its base's descriptor itself (no name looked up in a table)
      if (k.twinOf) expect(kernels[k.name].derived!.from, k.name).toBe(kernels[k.twinOf as KernelName]);
      else expect(kernels[k.name].code, k.name).toBe(k.code);
    }
  });

  test.each(names)('%s: workgroup size, bindings and uniform layouts are what wgsl_reflect reads from its code', (name) => {
    const k = kernels[name];
    expect(k.name).toBe(name);
    const r = new WgslReflect(kernelCode(k)!);
    const entry = r.entry.compute.find((e) => e.name === name);
    expect(entry, `fn ${name}`).toBeDefined();
    const ws = (entry!.workgroupSize ?? []) as unknown as number[];
    expect(k.workgroupSize).toEqual([ws[0] ?? 1, ws[1] ?? 1, ws[2] ?? 1]);
    expect(k.bindings).toEqual(
      entry!.resources.map((res) => {
        const kind = res.resourceType === 0 ? 'uniform' : res.access === 'read' ? 'read-only-storage' : 'storage';
        return { name: res.name, group: res.group, binding: res.binding, kind, dynamic: kind === 'uniform' && res.name === 'step', typeName: res.type.name };
      }),
    );
    const uniforms: Record<string, { size: number; members: [string, number, string][] }> = {};
    for (const u of r.uniforms) {
      const members = (u as unknown as { members: { name: string; offset: number; type: { name: string } }[] }).members;
      uniforms[u.name] = { size: Math.max(16, Math.ceil(u.size / 16) * 16), members: members.map((m) => [m.name, m.offset, m.type.name]) };
    }
    expect(k.uniforms).toEqual(uniforms);
  });

  test('each kernel is its own export: a bundle that dispatches a twin carries it and its base, no other kernel', async () => {
    const { build } = await import('esbuild');
    const gen = join(root, 'src', 'gpu', 'shader-sources.gen.ts');
    const stdin = { contents: `import * as shaders from ${JSON.stringify(gen)};\nexport const used = shaders.matmul_f16;\n`, resolveDir: root, loader: 'ts' as const };
    const r = await build({ stdin, bundle: true, write: false, format: 'esm', logLevel: 'silent' });
    const out = r.outputFiles[0].text;
    const present = names.filter((n) => new RegExp(`\\bfn ${n}\\(|name: "${n}"`).test(out));
    expect(present).toEqual(['matmul', 'matmul_f16']);
  });

  test('nothing under src/ imports wgsl_reflect (a devDependency: it must stay out of user bundles)', () => {
    const ts = (readdirSync(join(root, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    expect(ts.length).toBeGreaterThan(20);
    for (const f of ts) expect(readFileSync(join(root, 'src', f), 'utf8'), f).not.toMatch(/['"]wgsl_reflect(\/[^'"]*)?['"]/);
  });

  test('a name (or anything else) from untyped code where a kernel descriptor goes is a BAD_STATE error', () => {
    for (const name of ['no_such', 'constructor', 'matmul', undefined, null, {}]) {
      const make = () => new Kernel({} as GPUDevice, name as unknown as KernelSource);
      expect(make).toThrow(WebRnnError);
      expect(make).toThrow(`no kernel named ${String(name)} in shaders/`);
    }
  });

  test.each(names)('%s: its code has no comments, includes or blank lines', (name) => {
    const code = kernelCode(kernels[name])!;
    expect(code).not.toMatch(/\/\/|\/\*|\*\//);
    expect(code).not.toMatch(/\n\s*\n/);
    expect(code).toMatch(new RegExp(`@compute[^\\n]*\\nfn ${name}\\(`));
  });
});

describe('shaders/shared', () => {
  const wgsl = (dir: string) => readdirSync(join(shadersDir, dir)).filter((f) => f.endsWith('.wgsl')).map((f) => (dir ? `${dir}/${f}` : f));
  const files = [...wgsl(''), ...wgsl('shared')];
  const text = (f: string) => readFileSync(join(shadersDir, f), 'utf8');

  test('every snippet opens with a header naming it and every file that includes it', () => {
    const includers = new Map<string, string[]>();
    for (const f of files) {
      for (const m of text(f).matchAll(/^\s*\/\/!include "([^"]+)"/gm)) includers.set(m[1], [...(includers.get(m[1]) ?? []), f]);
    }
    for (const snippet of wgsl('shared')) {
      const header = text(snippet).split('\n').filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//') && !x.startsWith('//!'))).join('\n');
      expect(header, snippet).toMatch(new RegExp(`^// ${snippet.slice(7, -5)}: `));
      for (const f of includers.get(snippet) ?? []) expect(header, `${snippet} names ${f}`).toContain(f.startsWith('shared/') ? f : f.slice(0, -5));
    }
  });

  test('no function is written twice: identical fn text in two files belongs in a snippet', () => {
    const seen = new Map<string, string>();
    for (const f of files) {
      const code = stripComments(text(f));
      // a top-level fn runs to its line "}" (or ends on its own line)
      for (const m of code.matchAll(/^fn (\w+)\((?:[^\n]*\}\n|[^]*?\n\}\n)/gm)) {
        const body = m[0].replace(/\s+/g, ' ');
        expect(seen.get(body), `fn ${m[1]} of ${f}`).toBeUndefined();
        seen.set(body, f);
      }
    }
    expect(seen.size).toBeGreaterThan(50);
  });
});

describe('the generator', () => {
  let dir: string;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
  /** A shaders/ folder holding `files` (path relative to it → text). */
  const tree = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'webrnn-shaders-'));
    mkdirSync(join(dir, 'shared'));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };
  const kernel = (name: string, body: string, params = 'struct Params { n: u32, x: f32 }') =>
    `// ${name}: a test kernel\n${params}\n@group(0) @binding(0) var<uniform> P: Params;\n` +
    `@group(0) @binding(1) var<storage, read_write> y: array<f32>;\n${body}\n` +
    `@compute @workgroup_size(8, 2)\nfn ${name}(@builtin(global_invocation_id) g: vec3<u32>) { y[g.x] = f(P.x); }\n`;

  test('includes resolve in place, recursively, each snippet once; layouts come out of the final code', () => {
    const d = tree({
      'shared/twice.wgsl': '// twice: doubles\n//!include "shared/one.wgsl"\nfn twice(x: f32) -> f32 { return 2.0 * one(x); }\n',
      'shared/one.wgsl': '/* one /* nested */ still a comment */ fn one(x: f32) -> f32 { return x; } // trailing\n',
      'k.wgsl': kernel('k', '//!include "shared/twice.wgsl"\n  //!include "shared/one.wgsl"\nfn f(x: f32) -> f32 { return twice(x); }'),
    });
    const [k] = buildKernels(d);
    expect(k.name).toBe('k');
    expect(k.code.match(/fn one\(/g)).toHaveLength(1);
    expect(k.code).toBe(
      'struct Params { n: u32, x: f32 }\n@group(0) @binding(0) var<uniform> P: Params;\n@group(0) @binding(1) var<storage, read_write> y: array<f32>;\n' +
        'fn one(x: f32) -> f32 { return x; }\nfn twice(x: f32) -> f32 { return 2.0 * one(x); }\nfn f(x: f32) -> f32 { return twice(x); }\n' +
        '@compute @workgroup_size(8, 2)\nfn k(@builtin(global_invocation_id) g: vec3<u32>) { y[g.x] = f(P.x); }\n',
    );
    expect(k.workgroupSize).toEqual([8, 2, 1]);
    expect(k.bindings.map((b: { name: string; kind: string }) => `${b.name}:${b.kind}`)).toEqual(['y:storage', 'P:uniform']); // wgsl_reflect's order: first use
    expect(k.uniforms).toEqual({ P: { size: 16, members: [['n', 0, 'u32'], ['x', 4, 'f32']] } });
  });

  test("a snippet's subgroups twin gives its includers a second code, with `enable subgroups;` and the twin in place", () => {
    const d = tree({
      'shared/sum.wgsl': '// sum: plain\nfn sum(x: f32) -> f32 { return x; }\n',
      'shared/sum.subgroups.wgsl': '// sum.subgroups: its twin\nfn sum(x: f32) -> f32 { return subgroupAdd(x); }\n',
      'k.wgsl': kernel('k', '//!include "shared/sum.wgsl"\nfn f(x: f32) -> f32 { return sum(x); }'),
      'plain.wgsl': kernel('plain', 'fn f(x: f32) -> f32 { return x; }'),
    });
    const [k, plain] = buildKernels(d) as { code: string; codeSubgroups?: string }[];
    expect(k.code).toContain('fn sum(x: f32) -> f32 { return x; }');
    expect(k.codeSubgroups).toBe(k.code.replace('return x;', 'return subgroupAdd(x);').replace(/^/, 'enable subgroups;\n'));
    expect(plain.codeSubgroups).toBeUndefined();
    expect(() => buildKernels(tree({ 'shared/s.wgsl': 'fn s() {}\n', 'shared/s.subgroups.wgsl': 'fn s() {}\n', 'k.wgsl': kernel('k', '//!include "shared/s.subgroups.wgsl"\nfn f(x: f32) -> f32 { return x; }') }))).toThrow(/shaders\/k\.wgsl:5: include "shared\/s\.subgroups\.wgsl" names a subgroups twin/);
    // the step kernels that sum split-K partials have one; the rest do not
    expect(Object.entries(kernels).filter(([, r]) => r.subgroupEdits).map(([n]) => n).sort()).toEqual(['gru_step_bwd', 'gru_step_fwd', 'lstm_step_bwd', 'lstm_step_fwd', 'rnn_step_bwd', 'rnn_step_fwd']);
  });

  test('a bad include, directive, entry point or uniform fails with the file (and line)', () => {
    const fails = (files: Record<string, string>, re: RegExp) => expect(() => buildKernels(tree(files))).toThrow(re);
    fails({ 'k.wgsl': kernel('k', '//!include "shared/nope.wgsl"\nfn f(x: f32) -> f32 { return x; }') }, /shaders\/k\.wgsl:5: include "shared\/nope\.wgsl" not found/);
    fails({ 'k.wgsl': kernel('k', '//!include "../k.wgsl"\nfn f(x: f32) -> f32 { return x; }') }, /shaders\/k\.wgsl:5: include "\.\.\/k\.wgsl" is not a \.wgsl snippet in shaders\/shared\//);
    fails({ 'k.wgsl': kernel('k', '//!inclde "shared/a.wgsl"\nfn f(x: f32) -> f32 { return x; }') }, /shaders\/k\.wgsl:5: unknown directive/);
    fails(
      {
        'shared/a.wgsl': '//!include "shared/b.wgsl"\n',
        'shared/b.wgsl': '\n//!include "shared/a.wgsl"\n',
        'k.wgsl': kernel('k', '//!include "shared/a.wgsl"\nfn f(x: f32) -> f32 { return x; }'),
      },
      /shaders\/shared\/b\.wgsl:2: cyclic include k\.wgsl -> shared\/a\.wgsl -> shared\/b\.wgsl -> shared\/a\.wgsl/,
    );
    fails({ 'shared/unused.wgsl': 'fn u() {}\n', 'k.wgsl': kernel('k', 'fn f(x: f32) -> f32 { return x; }') }, /shaders\/shared\/unused\.wgsl is included by no kernel/);
    fails({ 'k.wgsl': kernel('other', 'fn f(x: f32) -> f32 { return x; }') }, /shaders\/k\.wgsl has no @compute fn k/);
    fails({ 'k.wgsl': kernel('k', 'fn f(x: f32) -> f32 { return x; }', 'struct Params { n: u32, x: vec2<f32> }').replace('f(P.x)', 'f(P.x.x)') }, /shaders\/k\.wgsl: P\.x has type vec2; only u32\/i32\/f32 are packed/);
    fails({ 'k.wgsl': kernel('k', '/* open /* nested */ fn f(x: f32) -> f32 { return x; }') }, /shaders\/k\.wgsl: unterminated \/\* comment/);
  });

  test('shared/weight_type.wgsl makes an f16 twin; a weight read without f32(…) or a name taken by a twin fails the build', () => {
    const weights = '// weight_type: test\nalias weight = f32;\n';
    const body = (read: string) => `//!include "shared/weight_type.wgsl"\n@group(0) @binding(2) var<storage, read> w: array<weight>;\nfn f(x: f32) -> f32 { return x * ${read}; }`;
    const ks = buildKernels(tree({ 'shared/weight_type.wgsl': weights, 'k.wgsl': kernel('k', body('f32(w[0])')) }));
    expect(ks.map((k: { name: string }) => k.name)).toEqual(['k', 'k_f16']);
    expect(ks[1].code.startsWith('enable f16;\nstruct Params')).toBe(true);
    expect(ks[1].code).toContain('alias weight = f16;');
    expect(ks[1].code).toContain('fn k_f16(@builtin');
    expect(ks[1].bindings).toEqual(ks[0].bindings);
    const fails = (files: Record<string, string>, re: RegExp) => expect(() => buildKernels(tree(files))).toThrow(re);
    fails({ 'shared/weight_type.wgsl': weights, 'k.wgsl': kernel('k', body('w[0]')) }, /shaders\/k\.wgsl: binding w has type array<weight>, read without f32\(…\)/);
    fails({ 'shared/weight_type.wgsl': weights, 'k.wgsl': kernel('k', body('f32(w[0])')), 'k_f16.wgsl': kernel('k_f16', 'fn f(x: f32) -> f32 { return x; }') }, /shaders\/k_f16\.wgsl: the name is taken by the f16 twin of shaders\/k\.wgsl/);
  });

  test('comments: line, nested block, spanning lines; tokens around a block comment stay apart', () => {
    expect(stripComments('let a = 1; // one\n/* x /* y */\nz */ let b/**/= 2;\n\n   \n  let c = 3;  \n')).toBe('let a = 1;\nlet b = 2;\nlet c = 3;\n');
    expect(stripComments('let a=b/*c*/c;')).toBe('let a=b c;\n');
  });
});
