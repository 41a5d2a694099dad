#!/usr/bin/env bash
# npm test [-- vitest args]: setup (with python3-torch, which test/scale-out.test.ts runs), then every
# vitest suite (Node/lavapipe GPU cases, CPU references, PyTorch fixtures, the PyTorch DDP round trip,
# and the same GPU cases in Deno and headless Chromium), then one summary line
# "N passed, M failed". Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! bash scripts/setup.sh --with-torch; then
  echo "setup failed (output above): no tests ran"
  echo "0 passed, 1 failed"
  exit 1
fi

# The Vulkan loader wants a private, writable runtime dir; CI machines often have none.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/webrnn-xdg-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi

report=$(mktemp "${TMPDIR:-/tmp}/webrnn-vitest-XXXXXX.json")
trap 'rm -f "$report"' EXIT
set +e
# A hard limit, so that a hung worker (native code blocked inside a GPU driver, say) ends in a failure
# with a summary line instead of running until CI gives up. The suite takes about 5 minutes on 2 cores.
limit="${WEBRNN_TEST_TIMEOUT:-40m}"
timeout --kill-after=30s "$limit" node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
code=$?
if [ "$code" = 124 ] || [ "$code" = 137 ]; then echo "vitest did not finish within $limit (WEBRNN_TEST_TIMEOUT): stopped"; fi
set -e

node - "$report" "$code" <<'JS'
const [file, code] = process.argv.slice(2);
const fs = require('node:fs');
let r;
try { r = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { r = undefined; }
if (!r) { console.log(`vitest wrote no report (exit code ${code})`); console.log('0 passed, 1 failed'); process.exit(1); }
let failed = r.numFailedTests;
// A file that fails to load has no failed tests, only a failed status: count it once.
for (const f of r.testResults ?? []) {
  if (f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')) {
    console.log(`failed to run: ${f.name}${f.message ? `\n  ${f.message.split('\n')[0]}` : ''}`);
    failed++;
  }
}
if (Number(code) !== 0 && failed === 0) { console.log(`vitest exited with code ${code} (errors outside tests, see above)`); failed = 1; }
const skipped = r.numPendingTests + r.numTodoTests;
if (skipped) console.log(`(${skipped} skipped)`);
console.log(`${r.numPassedTests} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
JS
