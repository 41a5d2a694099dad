#!/usr/bin/env bash
# npm start: set up (quietly; the first run installs system packages and npm modules, which takes
# minutes), then show what the webrnn command line can do.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/webrnn-setup-XXXXXX.log")
trap 'rm -f "$log"' EXIT
if ! bash scripts/setup.sh >"$log" 2>&1; then
  cat "$log" >&2
  echo "start: setup failed (output above)" >&2
  exit 1
fi
if [ -f bin/webrnn.js ]; then
  node bin/webrnn.js --help
else
  echo "webrnn is set up; the command line (bin/webrnn.js) is not written yet. Run npm test to see the engine work."
fi
