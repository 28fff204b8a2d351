#!/usr/bin/env bash
# Runs a command on a GPU machine that has no Node and no network, from what scripts/gpu/stage.mjs put in .gpu/:
# extracts the Vulkan/GL loader packages into / (then ldconfig), unpacks node into a scratch folder and the trimmed
# node_modules (+ every packages/*/dist) into this working tree, puts node on PATH and runs "$@" from the repo root.
# Usage (on the GPU machine, from the repo root): bash scripts/gpu/run.sh <command> [args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
STAGE=${TESSERA_GPU_STAGE:-.gpu}
SCRATCH=${TESSERA_GPU_SCRATCH:-/tmp/tessera-gpu}
[ -f "$STAGE/node.xz" ] && [ -f "$STAGE/nm.tar.xz" ] || { echo "run.sh: $STAGE/ is not staged (node scripts/gpu/stage.mjs)" >&2; exit 2; }

unxz_to() { # unxz_to <file.xz> (stdout); falls back to Python's lzma where xz is missing
  if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}

if [ "$(id -u)" = 0 ] && ls "$STAGE"/debs/*.deb >/dev/null 2>&1; then
  for f in "$STAGE"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
ldconfig -p | grep -q 'libvulkan.so.1' || echo "run.sh: warning: no libvulkan.so.1 visible to the dynamic linker" >&2
# The NVIDIA ICD: use the driver's own file when no ICD is installed in the usual places.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1 \
  && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

mkdir -p "$SCRATCH/bin"
if [ ! -x "$SCRATCH/bin/node" ] || [ "$STAGE/node.xz" -nt "$SCRATCH/bin/node" ]; then
  unxz_to "$STAGE/node.xz" > "$SCRATCH/bin/node.tmp" && chmod +x "$SCRATCH/bin/node.tmp" && mv "$SCRATCH/bin/node.tmp" "$SCRATCH/bin/node"
fi
if [ ! -f node_modules/.tessera-gpu-staged ] || [ "$STAGE/nm.tar.xz" -nt node_modules/.tessera-gpu-staged ]; then
  unxz_to "$STAGE/nm.tar.xz" | tar -xf -
  touch node_modules/.tessera-gpu-staged
fi
export PATH="$SCRATCH/bin:$PATH"
echo "[run.sh] node $(node --version), $(ldconfig -p | grep -c libvulkan) libvulkan entries, VK_DRIVER_FILES=${VK_DRIVER_FILES:-}" >&2
exec "$@"
