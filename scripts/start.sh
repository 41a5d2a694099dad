#!/usr/bin/env bash
# npm start: set up (quietly; the first run installs system packages and npm modules, which takes
# a minute or two), then train the character language model of the README's quick start.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/webrnn-setup-XXXXXX.log")
trap 'rm -f "$log"' EXIT
# (no chromium: training needs only the software Vulkan driver)
if ! bash scripts/setup.sh --no-browser >"$log" 2>&1; then
  cat "$log" >&2
  echo "start: setup failed (output above)" >&2
  exit 1
fi
# The main job: a character-level LSTM language model on the Brown corpus (webrnn train --help lists
# the options; `npm start -- --fresh` starts over, `npm start -- --minutes 3` trains shorter).
rm -f "$log"
trap - EXIT
# The Vulkan loader wants a private, writable runtime dir.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/webrnn-xdg-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi
exec node bin/webrnn.js train "$@"
