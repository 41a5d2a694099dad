#!/usr/bin/env bash
# npm run setup: everything webrnn needs, idempotently, on Debian 12 (root or sudo for apt):
#   1. system packages: Mesa lavapipe from bookworm-backports + Debian chromium, protoc, espeak-ng (scripts/setup-system.sh;
#      pass --with-torch to also get python3-torch (npm test does: the scale-out test runs PyTorch DDP;
#      fixtures are regenerated with it), --no-browser to
#      skip chromium, which only the browser tests and the benchmark's Chromium mode use)
#   2. npm modules: `npm ci` when node_modules is missing or older than package-lock.json
#   3. build: shaders -> src/gpu/shader-sources.gen.ts, tsc -> dist/, when a source changed since the last build
# Takes a few seconds when everything is present. Needs Node >= 20 and npm on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

sys_args=()
for a in "$@"; do
  case $a in
    --with-torch|--no-browser) sys_args+=("$a") ;;
    *) echo "setup: unknown option $a (known: --with-torch, --no-browser)" >&2; exit 2 ;;
  esac
done

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: webrnn needs Node >= 20 with npm (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

bash scripts/setup-system.sh ${sys_args[@]+"${sys_args[@]}"}

# npm writes node_modules/.package-lock.json at the end of every install: its age is the install's.
stamp=node_modules/.package-lock.json
if [ -f package-lock.json ]; then
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "setup: npm ci"
    # --ignore-scripts: no dependency needs its install script here, and onnxruntime-node's (a
    # benchmark/interop anchor whose CPU binary ships in the package) downloads from a host that is
    # not reachable. The committed lock must satisfy npm ci as it is (test/package.test.ts checks):
    # `npm install` would rewrite package-lock.json and leave the checkout dirty.
    npm ci --ignore-scripts --no-audit --no-fund
  fi
elif [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: npm install"
  npm install --ignore-scripts --no-audit --no-fund
fi

# Rebuild when anything the build reads is newer than the last successful build (a deleted or
# renamed file updates its directory's time, so those count too).
built=dist/.build-stamp
if [ ! -f "$built" ] || [ ! -f src/gpu/shader-sources.gen.ts ] ||
   [ -n "$(find src shaders scripts/gen-shaders.mjs tsconfig.json package.json package-lock.json -newer "$built" -print -quit 2>/dev/null)" ]; then
  echo "setup: npm run build"
  npm run --silent build
  mkdir -p dist && touch "$built"
fi
echo "setup: ready"
