// The folder-level import graph of src/ follows the layering stated once in the README's "How it works"
// (the line after `<!-- layering -->`): a folder (or top-level file: errors.ts, random.ts, the entry
// points) imports only from layers below it, and folders never import each other in a circle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

/** Upward imports tolerated for now, each `from -> to` (none: keep it empty). */
const KNOWN_EXCEPTIONS = new Set<string>();

/** The layers, bottom first: each a list of folder (or top-level file) names. */
function statedLayers(): string[][] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.trim() === '<!-- layering -->');
  expect(at, 'README.md has a <!-- layering --> line').toBeGreaterThanOrEqual(0);
  return lines[at + 1].split('→').map((part) => part.replace(/`/g, '').trim().split(/\s+/).filter(Boolean));
}

/** The folder (or top-level file without .ts) a source file belongs to. */
function unitOf(file: string): string {
  const parts = relative(src, file).split('/');
  return parts.length === 1 ? parts[0].replace(/\.[jt]s$/, '') : parts[0];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Edges `from -> to` between different units, each with the files that make it. */
function importGraph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    // static imports and re-exports (`from '…'`) and dynamic imports (`import('…')`) of relative paths
    for (const m of text.matchAll(/(?:\bfrom|\bimport\s*\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[1]));
      const [a, b] = [unitOf(file), unitOf(target)];
      if (a === b) continue;
      const key = `${a} -> ${b}`;
      edges.set(key, [...(edges.get(key) ?? []), relative(root, file)]);
    }
  }
  return edges;
}

test('every folder of src/ is placed in exactly one layer of the README', () => {
  const placed = statedLayers().flat();
  expect(new Set(placed).size, `a name appears twice in the layering: ${placed.join(' ')}`).toBe(placed.length);
  const units = [...new Set(sourceFiles(src).map(unitOf))].sort();
  expect(units.filter((u) => !placed.includes(u)), 'folders missing from the README layering').toEqual([]);
  expect(placed.filter((u) => !units.includes(u)), 'names in the README layering that are not in src/').toEqual([]);
});

test('imports go only downward, as the README states, and form no circle between folders', () => {
  const layers = statedLayers();
  const rank = new Map(layers.flatMap((names, i) => names.map((n) => [n, i] as const)));
  const edges = importGraph();
  const upward = [...edges]
    .filter(([key]) => {
      const [a, b] = key.split(' -> ');
      return rank.get(a)! <= rank.get(b)! && !KNOWN_EXCEPTIONS.has(key);
    })
    .map(([key, files]) => `${key} (${[...new Set(files)].join(', ')})`);
  expect(upward, 'imports from a folder to one on its own or a higher layer').toEqual([]);

  // Circles, found independently of the stated order (depth-first search over the folder graph),
  // with the known exceptions left in: listed here so that the merge removing them is visible.
  const next = new Map<string, string[]>();
  for (const key of edges.keys()) {
    const [a, b] = key.split(' -> ');
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (u: string, path: string[]) => {
    state.set(u, 'open');
    for (const v of next.get(u) ?? []) {
      if (state.get(v) === 'open') circles.push([...path.slice(path.indexOf(v)), v].join(' -> '));
      else if (!state.has(v)) visit(v, [...path, v]);
    }
    state.set(u, 'done');
  };
  for (const u of [...next.keys()].sort()) if (!state.has(u)) visit(u, [u]);
  const known = circles.filter((c) => [...KNOWN_EXCEPTIONS].some((e) => c.includes(e)));
  expect(circles.filter((c) => !known.includes(c)), 'circles between folders').toEqual([]);
});

test('the known exceptions are still real (remove one from KNOWN_EXCEPTIONS once it is fixed)', () => {
  const edges = importGraph();
  for (const e of KNOWN_EXCEPTIONS) expect(edges.has(e), `${e} no longer exists`).toBe(true);
});

// A bundler keeps a kernel's code only where some module reaches its export of shader-sources.gen.ts
// (one export per kernel); a table of all kernels, or the namespace used as a value (`shaders[name]`,
// passed whole), would put every kernel in every page (test/package.test.ts measures that page).
test('code dispatching a kernel imports its descriptor: no run-time import of the kernel table, no namespace used whole', () => {
  for (const file of sourceFiles(src)) {
    const name = relative(root, file);
    if (name === 'src/gpu/kernel-table.ts') continue;
    const text = readFileSync(file, 'utf8');
    expect(text, `${name} imports the kernel table`).not.toMatch(/['"][./]*(gpu\/)?kernel-table\.js['"]/);
    for (const m of text.matchAll(/^import (?!type )(.*) from ['"][./]*(?:gpu\/)?shader-sources\.gen\.js['"]/gm)) {
      expect(m[1], `${name}: import the generated kernels as \`import * as shaders\``).toBe('* as shaders');
      const uses = [...text.matchAll(/\bshaders\b(?!\/)(.?)/g)].filter((u) => !/^import \* as shaders/.test(text.slice(text.lastIndexOf('\n', u.index) + 1)));
      for (const u of uses) expect(u[1], `${name}: \`shaders\` used other than as shaders.<kernel>`).toBe('.');
    }
  }
});
