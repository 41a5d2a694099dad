// Tests run in forked Node processes (dawn.node is a native addon; forks isolate a crash to its file),
// two at a time for the 2-core CI machine. GPU tests use Mesa lavapipe in Node, Deno's wgpu and
// Chromium's SwiftShader (test/hosts.test.ts); software adapters are slow, hence the long timeouts.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from './scripts/entry-points.mjs';

// The Vulkan loader wants a writable XDG_RUNTIME_DIR (else it prints warnings). Set here, before the
// workers fork, so every worker and every child process (deno, chromium) inherits it.
if (!process.env.XDG_RUNTIME_DIR) {
  const dir = join(tmpdir(), `webrnn-xdg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

export default defineConfig({
  // `import … from 'webrnn'` (the examples, as a user writes it) is the source of that entry point.
  resolve: { alias: Object.entries(sourceAliases()).map(([name, path]) => ({ find: new RegExp(`^${name}$`), replacement: path })) },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 5 * 60_000,
    hookTimeout: 5 * 60_000,
    teardownTimeout: 60_000,
  },
});
