#!/usr/bin/env bash
# Installs the system packages webrnn's tests need on a Debian 12 machine without a GPU, idempotently:
#  - Mesa lavapipe (software Vulkan) from bookworm-backports: Dawn (npm `webgpu`) rejects bookworm's Mesa 22.3
#  - Debian chromium for the headless-browser tests (puppeteer-core drives /usr/bin/chromium), and
#    protobuf-compiler (protoc), with which a test regenerates src/interop/onnx/proto.gen.ts to compare
#  - espeak-ng, which speaks the test recording of the silero VAD test (test/interop-silero-vad.test.ts)
#  - with --with-torch, python3-torch: npm test passes it for the PyTorch DistributedDataParallel round
#    trip of examples/scale-out (test/scale-out.test.ts); regenerating PyTorch fixtures needs it too
# --no-browser skips chromium, protoc and espeak-ng (npm start needs only lavapipe). Skips everything already present. Needs root (or sudo) for apt-get.
set -euo pipefail
want_torch=0
want_chromium=1
for a in "$@"; do
  [ "$a" = "--with-torch" ] && want_torch=1
  [ "$a" = "--no-browser" ] && want_chromium=0
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

have_lavapipe() {
  # mesa-vulkan-drivers 25.x (backports) ships lvp_icd.json; 22.x is too old for Dawn.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 24 && return 0
  return 1
}
have_chromium() { [ -x /usr/bin/chromium ]; }
have_protoc() { command -v protoc >/dev/null; }
have_espeak() { command -v espeak-ng >/dev/null; }
have_torch() { /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; }

need=()
have_lavapipe || need+=(lavapipe)
if [ $want_chromium = 1 ] && ! have_chromium; then need+=(chromium); fi
if [ $want_chromium = 1 ] && ! have_protoc; then need+=(protoc); fi
if [ $want_chromium = 1 ] && ! have_espeak; then need+=(espeak); fi
if [ $want_torch = 1 ] && ! have_torch; then need+=(torch); fi
if [ ${#need[@]} = 0 ]; then echo "setup-system: lavapipe$([ $want_chromium = 1 ] && echo ', chromium, protoc, espeak-ng')$([ $want_torch = 1 ] && echo ', torch') already installed"; exit 0; fi
echo "setup-system: installing ${need[*]}"

if ! command -v apt-get >/dev/null; then
  echo "setup-system: apt-get not found; install a Vulkan driver (Mesa lavapipe >= 24) and chromium by hand" >&2
  exit 1
fi

src=/etc/apt/sources.list.d/bookworm-backports.sources
if [[ " ${need[*]} " == *" lavapipe "* ]] && [ ! -f "$src" ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  $SUDO tee "$src" >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
pk=()
for n in "${need[@]}"; do
  case $n in
    lavapipe) $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null ;;
    chromium) pk+=(chromium) ;;
    protoc) pk+=(protobuf-compiler) ;;
    espeak) pk+=(espeak-ng) ;;
    torch) pk+=(python3-torch python3-numpy) ;;
  esac
done
[ ${#pk[@]} = 0 ] || $SUDO apt-get install -y -qq --no-install-recommends "${pk[@]}" >/dev/null
echo "setup-system: done"
