// Builds src/gpu/shader-sources.gen.ts from shaders/*.wgsl, so that nothing parses WGSL at run time:
// Node, Deno and browser bundles get each kernel's final code and its reflected layout as plain data,
// and wgsl_reflect stays a build tool (it is a devDependency, never in a user's bundle).
//
// Per kernel shaders/<name>.wgsl (one kernel per file, entry point `@compute fn <name>`) it
//   1. resolves includes: a line `//!include "shared/<file>.wgsl"` (alone on its line, path relative
//      to shaders/, inside shaders/shared/) is replaced by that snippet's text, recursively. A snippet
//      reached again (directly or through another snippet) is left out: each is in a kernel at most
//      once. An unknown or cyclic include, any other `//!` directive, or a snippet that no kernel
//      includes fails the build with the file and line. (shaders/README.md says how to write snippets.)
//      A snippet `shared/<x>.wgsl` may have a twin `shared/<x>.subgroups.wgsl` (same functions, written
//      with the `subgroups` feature's builtins; never included by name): a kernel that includes such a
//      snippet also gets `codeSubgroups`, the same expansion with each twin in place of its snippet and
//      `enable subgroups;` first, which the engine compiles instead on a device with that feature
//      (WGSL allows `enable subgroups;` only there). Its layout is the same code's.
//   2. strips `//` and (nested) `/* */` comments, trailing spaces and blank lines (WGSL has no string
//      literals, so every `//` and `/*` outside a comment starts one);
//   3. reflects the result with wgsl_reflect: workgroup size, bindings (uniform / storage /
//      read-only-storage; the uniform named `step` takes a dynamic offset) and the layout of every
//      uniform struct variable (size rounded up to 16; members must be u32, i32 or f32, the types
//      Kernel.packUniform writes, else the build fails naming the member).
// A kernel that includes shared/weight_type.wgsl also gets its f16 twin `<name>_f16` (see f16Twin).
// Each kernel (and each twin) is its own export named as the kernel, so a bundler keeps only those a
// page's code imports: code that dispatches a kernel imports its descriptor (shaders/README.md). It also
// emits `KernelName`, the union of kernel names.
// The output is deterministic and rewritten only when its content changes (tsc and vite watchers stay
// quiet). Run as a script (npm run build / typecheck; scripts/setup.sh rebuilds when this file or
// shaders/ change) or import buildShaderModule() (test/shader-build.test.ts).
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

const INCLUDE = /^\s*\/\/!include "([^"]+)"\s*$/;
const SHARED = 'shared';
const TWIN = '.subgroups.wgsl';

/** A build error: its message names the file (and line) at fault. */
export class ShaderBuildError extends Error {
  name = 'ShaderBuildError';
}

/**
 * `file`'s text with its includes resolved (see the header). `stack` holds the files being expanded
 * (for cycles), `seen` the snippets already in this kernel, `used` every snippet any kernel includes.
 */
function expand(shadersDir, file, stack, seen, used, twins = { use: false, found: false }) {
  const rel = relative(shadersDir, file).split(sep).join('/');
  const lines = readFileSync(file, 'utf8').split('\n');
  const out = [];
  lines.forEach((line, i) => {
    const at = `shaders/${rel}:${i + 1}`;
    if (!line.trimStart().startsWith('//!')) return out.push(line);
    const m = INCLUDE.exec(line);
    if (!m) throw new ShaderBuildError(`${at}: unknown directive ${line.trim()} (the only one is //!include "${SHARED}/<file>.wgsl")`);
    const target = resolve(shadersDir, m[1]);
    const targetRel = relative(shadersDir, target).split(sep).join('/');
    if (!targetRel.startsWith(`${SHARED}/`) || !targetRel.endsWith('.wgsl')) {
      throw new ShaderBuildError(`${at}: include "${m[1]}" is not a .wgsl snippet in shaders/${SHARED}/`);
    }
    if (!existsSync(target)) throw new ShaderBuildError(`${at}: include "${m[1]}" not found (no shaders/${targetRel})`);
    if (targetRel.endsWith(TWIN)) throw new ShaderBuildError(`${at}: include "${m[1]}" names a subgroups twin; include its snippet ${targetRel.slice(0, -TWIN.length)}.wgsl, the build puts the twin in place where the device has subgroups`);
    if (stack.includes(target)) {
      const chain = [...stack, target].map((f) => relative(shadersDir, f).split(sep).join('/'));
      throw new ShaderBuildError(`${at}: cyclic include ${chain.join(' -> ')}`);
    }
    used.add(targetRel);
    if (seen.has(target)) return; // already in this kernel
    seen.add(target);
    const twin = target.slice(0, -'.wgsl'.length) + TWIN;
    const hasTwin = existsSync(twin);
    if (hasTwin) {
      twins.found = true;
      used.add(targetRel.slice(0, -'.wgsl'.length) + TWIN);
    }
    out.push(expand(shadersDir, hasTwin && twins.use ? twin : target, [...stack, target], seen, used, twins));
  });
  return out.join('\n');
}

/**
 * WGSL without comments, indentation, trailing spaces or blank lines (what the bundle carries: the
 * source keeps them). Block comments nest (as WGSL's do); one keeps the line breaks it spanned, and
 * becomes a space where it alone kept two tokens apart.
 */
export function stripComments(code, file = '<wgsl>') {
  let out = '';
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    const two = code.slice(i, i + 2);
    if (depth > 0) {
      if (two === '/*') {
        depth++;
        i++;
      } else if (two === '*/') {
        depth--;
        i++;
        // a space only where the comment alone kept two tokens apart
        if (depth === 0 && /\S/.test(out.at(-1) ?? ' ') && /\S/.test(code[i + 1] ?? ' ')) out += ' ';
      } else if (code[i] === '\n') out += '\n';
    } else if (two === '//') {
      while (i + 1 < code.length && code[i + 1] !== '\n') i++;
    } else if (two === '/*') {
      depth = 1;
      i++;
    } else out += code[i];
  }
  if (depth > 0) throw new ShaderBuildError(`${file}: unterminated /* comment`);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n') + '\n';
}

const SCALARS = new Set(['u32', 'i32', 'f32']);

/** Workgroup size, bindings and uniform layouts of kernel `name` in `code`, as wgsl_reflect reads them. */
export function reflectKernel(name, code) {
  const file = `shaders/${name}.wgsl`;
  let reflect;
  try {
    reflect = new WgslReflect(code);
  } catch (e) {
    throw new ShaderBuildError(`${file}: wgsl_reflect cannot parse it: ${e instanceof Error ? e.message : e}`);
  }
  const entry = reflect.entry.compute.find((e) => e.name === name);
  if (!entry) throw new ShaderBuildError(`${file} has no @compute fn ${name}`);
  const ws = entry.workgroupSize;
  const workgroupSize = [ws?.[0] ?? 1, ws?.[1] ?? 1, ws?.[2] ?? 1];
  if (!workgroupSize.every((n) => Number.isInteger(n) && n > 0)) {
    throw new ShaderBuildError(`${file}: workgroup size ${JSON.stringify(ws)} is not three positive integers`);
  }
  const bindings = entry.resources.map((r) => {
    const kind = r.resourceType === 0 ? 'uniform' : r.access === 'read' ? 'read-only-storage' : 'storage';
    return { name: r.name, group: r.group, binding: r.binding, kind, dynamic: kind === 'uniform' && r.name === 'step', typeName: r.type.name };
  });
  if (bindings.length === 0) throw new ShaderBuildError(`${file}: fn ${name} uses no bindings`);
  const uniforms = {};
  for (const u of [...reflect.uniforms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!Array.isArray(u.members)) throw new ShaderBuildError(`${file}: uniform ${u.name} has type ${u.type?.name}; only structs of u32/i32/f32 are packed`);
    const members = u.members.map((m) => {
      const t = m.type.name;
      if (!SCALARS.has(t)) throw new ShaderBuildError(`${file}: ${u.name}.${m.name} has type ${t}; only u32/i32/f32 are packed`);
      return [m.name, m.offset, t];
    });
    uniforms[u.name] = { size: Math.max(16, Math.ceil(u.size / 16) * 16), members };
  }
  return { workgroupSize, bindings, uniforms };
}

const WEIGHT_F32 = 'alias weight = f32;';

/**
 * The f16 twin of kernel `name` (final code `code`), when it includes shared/weight_type.wgsl: named
 * `<name>_f16`, with `enable f16;` first, f16 as its `weight` type and its entry point renamed. Every read
 * of a binding typed array<weight> must be wrapped in f32(…), so both kernels accumulate in f32 (and the
 * twin type-checks): a bare read fails the build, naming the kernel and the binding.
 */
export function f16Twin(name, code) {
  if (!code.split('\n').includes(WEIGHT_F32)) return undefined;
  const file = `shaders/${name}.wgsl`;
  for (const m of code.matchAll(/var<storage,\s*read>\s+(\w+)\s*:\s*array<weight>/g)) {
    const bare = code.match(new RegExp(`(?<![\\w.])(?<!f32\\()${m[1]}\\[`));
    if (bare) throw new ShaderBuildError(`${file}: binding ${m[1]} has type array<weight>, read without f32(…) at "${code.slice(bare.index, bare.index + 40).split('\n')[0]}" (the f16 twin needs every read of it converted: f32(${m[1]}[i]))`);
  }
  const entry = new RegExp(`\\bfn ${name}\\(`);
  if (!entry.test(code)) throw new ShaderBuildError(`${file} has no fn ${name}( to rename in its f16 twin`);
  const twin = `${name}_f16`;
  return { name: twin, code: `enable f16;\n${code.replace(WEIGHT_F32, 'alias weight = f16;').replace(entry, `fn ${twin}(`)}` };
}

/**
 * Every kernel in `shadersDir` (*.wgsl directly inside it, sorted by name): its final code and its
 * reflection. Throws ShaderBuildError on a bad include, a missing entry point or an unpackable uniform.
 */
export function buildKernels(shadersDir) {
  const names = readdirSync(shadersDir)
    .filter((f) => f.endsWith('.wgsl'))
    .sort()
    .map((f) => f.slice(0, -5));
  const used = new Set();
  const kernels = names.flatMap((name) => {
    const file = join(shadersDir, `${name}.wgsl`);
    const twins = { use: false, found: false };
    const code = stripComments(expand(shadersDir, file, [file], new Set(), used, twins), `shaders/${name}.wgsl`);
    const kernel = { name, code, ...reflectKernel(name, code) };
    if (twins.found) {
      const sub = expand(shadersDir, file, [file], new Set(), new Set(), { use: true, found: false });
      kernel.codeSubgroups = stripComments(`enable subgroups;\n${sub}`, `shaders/${name}.wgsl`);
    }
    // the f16 twin reads weights as f16 (precision 'f16-weights'); it never runs split-k, so it has no subgroups code
    const twin = f16Twin(name, code);
    return twin ? [kernel, { name: twin.name, code: twin.code, twinOf: name, ...reflectKernel(twin.name, twin.code) }] : [kernel];
  });
  kernels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const twice = kernels.find((k, i) => i > 0 && kernels[i - 1].name === k.name);
  if (twice) throw new ShaderBuildError(`shaders/${twice.name}.wgsl: the name is taken by the f16 twin of shaders/${twice.name.slice(0, -4)}.wgsl`);
  const sharedDir = join(shadersDir, SHARED);
  const snippets = existsSync(sharedDir) ? readdirSync(sharedDir).filter((f) => f.endsWith('.wgsl')).sort() : [];
  for (const f of snippets) {
    if (!used.has(`${SHARED}/${f}`)) throw new ShaderBuildError(`shaders/${SHARED}/${f} is included by no kernel (delete it or add //!include "${SHARED}/${f}")`);
  }
  return kernels;
}

/**
 * The edits that turn text `a` into text `b`, line by line (a longest-common-subsequence diff): a list of
 * [line of a, lines of a removed, lines inserted there], in ascending order of line. The generated module
 * stores a twin's code this way — as its base's code plus these edits (src/gpu/kernel-reflection.ts
 * applyLineEdits) — so a bundle carries each kernel's code once.
 */
export function lineEdits(a, b) {
  const A = a.split('\n');
  const B = b.split('\n');
  // L[i][j]: length of the longest common subsequence of A[i..] and B[j..]
  const L = Array.from({ length: A.length + 1 }, () => new Uint16Array(B.length + 1));
  for (let i = A.length - 1; i >= 0; i--) {
    for (let j = B.length - 1; j >= 0; j--) L[i][j] = A[i] === B[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  }
  const edits = [];
  let i = 0;
  let j = 0;
  while (i < A.length || j < B.length) {
    if (i < A.length && j < B.length && A[i] === B[j]) {
      i++;
      j++;
      continue;
    }
    const at = i;
    const insert = [];
    let removed = 0;
    while ((i < A.length || j < B.length) && !(i < A.length && j < B.length && A[i] === B[j])) {
      if (j < B.length && (i === A.length || L[i][j + 1] >= L[i + 1][j])) insert.push(B[j++]);
      else {
        i++;
        removed++;
      }
    }
    edits.push([at, removed, insert]);
  }
  return edits;
}

/**
 * The TypeScript module for `kernels` (buildKernels' result): each kernel its own export, named as the
 * kernel, so a bundler keeps only the kernels a page's code imports (and the layouts they use). Code that
 * dispatches a kernel imports its descriptor; a twin references its base's descriptor (`derived.from`).
 */
export function renderModule(kernels) {
  const q = (s) => JSON.stringify(s);
  let text = '// Generated by scripts/gen-shaders.mjs from shaders/*.wgsl (includes resolved, comments stripped,\n';
  text += '// layouts reflected with wgsl_reflect). Do not edit: edit the .wgsl files.\n';
  text += '// Each kernel is its own export (`export const <name>`), so bundlers drop the kernels a page never\n';
  text += '// dispatches: import the descriptors you dispatch, never the whole module as a table\n';
  text += '// (src/gpu/kernel-table.ts is that table, for tests and tools only).\n';
  text += "import type { ReflectedKernel } from './kernel-reflection.js';\n\n";
  text += '/** The name of every kernel: shaders/<name>.wgsl with entry point fn <name>. */\n';
  text += `export type KernelName =\n${kernels.map((k) => `  | ${q(k.name)}`).join('\n')};\n\n`;
  // Layout parts written once each: kernels with the same workgroup size, bindings or uniforms (an f16
  // twin and its base, elementwise kernels) share one module-local const. Referenced by name, never
  // spread (`...layout`) or read through a property: esbuild keeps any export whose initializer spreads
  // or reads a property (a getter could run), rollup and esbuild both drop one that only names consts.
  const parts = {
    workgroupSize: { type: "ReflectedKernel['workgroupSize']", text: (k) => `[${k.workgroupSize.join(', ')}]` },
    bindings: {
      type: "ReflectedKernel['bindings']",
      text: (k) => `[\n${k.bindings.map((b) => `  { name: ${q(b.name)}, group: ${b.group}, binding: ${b.binding}, kind: ${q(b.kind)}, dynamic: ${b.dynamic}, typeName: ${q(b.typeName)} },\n`).join('')}]`,
    },
    uniforms: {
      type: "ReflectedKernel['uniforms']",
      text: (k) => `{\n${Object.entries(k.uniforms).map(([v, u]) => `  ${v}: { size: ${u.size}, members: [${u.members.map((m) => `[${q(m[0])}, ${m[1]}, ${q(m[2])}]`).join(', ')}] },\n`).join('')}}`,
    },
  };
  const shared = {};
  for (const [part, { type, text: partText }] of Object.entries(parts)) {
    shared[part] = [...new Set(kernels.map(partText))];
    text += shared[part].map((t, i) => `const ${part}${i}: ${type} = ${t};\n`).join('') + '\n';
  }
  const layoutOf = (k) => Object.entries(parts).map(([part, { text: partText }]) => `  ${part}: ${part}${shared[part].indexOf(partText(k))},\n`).join('');
  // a base sorts before its twin (`<name>` < `<name>_f16`), so the twin's `from` is declared above it
  for (const k of kernels) {
    const base = k.twinOf && kernels.find((b) => b.name === k.twinOf);
    text += base ? `/** shaders/${base.name}.wgsl with f16 weights. */\n` : `/** shaders/${k.name}.wgsl */\n`;
    text += `export const ${k.name}: ReflectedKernel<${q(k.name)}> = {\n  name: ${q(k.name)},\n${layoutOf(k)}`;
    // a twin is its base's code plus line edits, the subgroups form this code plus line edits: each text once
    if (base) text += `  derived: { from: ${base.name}, edits: ${JSON.stringify(lineEdits(base.code, k.code))} },\n`;
    else text += `  code: ${q(k.code)},\n`;
    if (k.codeSubgroups) text += `  subgroupEdits: ${JSON.stringify(lineEdits(k.code, k.codeSubgroups))},\n`;
    text += '};\n\n';
  }
  return text.slice(0, -1);
}

/** The generated module's text for the kernels in `shadersDir`. */
export function buildShaderModule(shadersDir) {
  return renderModule(buildKernels(shadersDir));
}

// As a script: write src/gpu/shader-sources.gen.ts when its content changes; a build error is one line.
// (realpath: Node runs a script through a symlinked path under its real name)
if (process.argv[1] && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const out = join(root, 'src', 'gpu', 'shader-sources.gen.ts');
  try {
    const text = buildShaderModule(join(root, 'shaders'));
    if (!existsSync(out) || readFileSync(out, 'utf8') !== text) writeFileSync(out, text);
  } catch (e) {
    if (!(e instanceof ShaderBuildError)) throw e;
    console.error(`gen-shaders: ${e.message}`);
    process.exitCode = 1;
  }
}
