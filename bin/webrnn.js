#!/usr/bin/env node
// Launcher for the compiled CLI (src/cli/main.ts -> dist/src/cli/main.js).
//
// On a terminal it runs the CLI in a child process whose native stderr passes through a filter here:
// Dawn (npm `webgpu`) prints two warnings from native code whenever it opens a Vulkan adapter
// ("maxDynamic…BuffersPerPipelineLayout artificially reduced …" — lavapipe, RADV and NVIDIA all
// report more dynamic buffers than Dawn keeps), straight to file descriptor 2, where no JavaScript can
// stop them. The child writes its own messages and progress bar to the terminal directly (descriptor
// 3), so only native output goes through the filter. Where stderr is not a terminal (pipes, CI, tests)
// the CLI runs in this process as before: nothing changes for scripts, signals or exit codes.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WriteStream } from 'node:tty';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`webrnn: not built: run \`npm run build\` in ${root}\n`);
  process.exit(1);
}

const DAWN_LIMIT_WARNING = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

if (process.stderr.isTTY && process.env.WEBRNN_CLI_CHILD === undefined && process.env.WEBRNN_NO_STDERR_FILTER === undefined) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'pipe', process.stderr],
    env: { ...process.env, WEBRNN_CLI_CHILD: '1' },
  });
  // Ctrl-C and a closed terminal signal the whole process group, the child included: it handles them
  // (stop after the step, save). Here they must not end the launcher before the child has finished.
  for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT']) process.on(s, () => {});
  // SIGTERM is sent to one process (kill PID): pass it on.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  let rest = '';
  child.stderr.setEncoding('utf8').on('data', (s) => {
    const lines = (rest + s).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (!DAWN_LIMIT_WARNING.test(l)) process.stderr.write(`${l}\n`);
  });
  child.on('close', (code, signal) => {
    if (rest && !DAWN_LIMIT_WARNING.test(rest)) process.stderr.write(rest);
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exitCode = code ?? 1;
  });
} else {
  if (process.env.WEBRNN_CLI_CHILD !== undefined) {
    // The terminal, as descriptor 3: everything the CLI itself writes to stderr goes there.
    Object.defineProperty(process, 'stderr', { value: new WriteStream(3), configurable: true });
  }
  const { main } = await import(entry.href);
  const status = await main(process.argv.slice(2));
  // Exit explicitly: a WebGPU instance can keep the event loop alive after the engine is disposed.
  // Flush first: writes to pipes are asynchronous on POSIX and process.exit would drop them.
  const flush = (stream) => new Promise((done) => stream.write('', done));
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(status);
}
