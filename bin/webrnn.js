#!/usr/bin/env node
// Launcher for the compiled CLI (src/cli/main.ts -> dist/src/cli/main.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`webrnn: not built: run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
const { main } = await import(entry.href);
const status = await main(process.argv.slice(2));
// Exit explicitly: a WebGPU instance can keep the event loop alive after the engine is disposed.
// Flush first: writes to pipes are asynchronous on POSIX and process.exit would drop them.
const flush = (stream) => new Promise((done) => stream.write('', done));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(status);
