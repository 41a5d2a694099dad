// The package's entry points, read from package.json "exports": `webrnn`, `webrnn/interop`,
// `webrnn/node`, each with its compiled file (what users import) and its TypeScript source. Tools
// inside the repository (vitest, the examples' bundler, the API report) resolve `import … from
// 'webrnn'` through this table, so the examples read like a user's code and cannot use a name the
// package does not export.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** [{ name: 'webrnn/node', dist: 'dist/src/node.js', types: 'dist/src/node.d.ts', source: 'src/node.ts' }, …] */
export function entryPoints() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === 'object')
    .map(([key, target]) => {
      const dist = target.default.replace(/^\.\//, '');
      const source = dist.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      return { name: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`, dist, types: target.types.replace(/^\.\//, ''), source };
    });
}

/** Import specifier → absolute path of its TypeScript source (for aliases). */
export function sourceAliases() {
  return Object.fromEntries(entryPoints().map((e) => [e.name, join(root, e.source)]));
}
