#!/usr/bin/env bash
# Runs a command on the webgpu backend over Mesa's software Vulkan driver (lavapipe), for checking WGSL kernels
# for correctness on a machine without a GPU (Debian 12 / x86-64; slow, and no timing is meaningful).
# Debian 12's own Mesa 22.3 lavapipe lacks shaderUniform*ArrayDynamicIndexing, which Dawn requires; Mesa 25 from
# bookworm-backports works. The packages are downloaded once with apt-get (no install) into .gpu-lavapipe/ and
# extracted there; nothing is written outside it. The software adapter is installed as navigator.gpu by a preload,
# because initBackend() itself rightly skips software adapters.
# Usage: bash scripts/gpu/lavapipe.sh <command> [args...]   e.g.
#   bash scripts/gpu/lavapipe.sh env TESSERA_BACKEND=webgpu npx vitest run   (in a package folder)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
D="$ROOT/.gpu-lavapipe"
if [ ! -f "$D/lvp.json" ]; then
  mkdir -p "$D/apt/lists/partial" "$D/apt/cache/archives/partial" "$D/debs" "$D/root"
  printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-backports main\n' > "$D/apt/sources.list"
  o="-oDir::Etc::SourceList=$D/apt/sources.list -oDir::Etc::SourceParts=/dev/null -oDir::State::Lists=$D/apt/lists -oDir::Cache=$D/apt/cache -oAPT::Architecture=amd64"
  apt-get $o update >/dev/null
  (cd "$D/debs" && apt-get $o download mesa-vulkan-drivers/bookworm-backports libvulkan1 >/dev/null)
  for f in "$D"/debs/*.deb; do dpkg -x "$f" "$D/root"; done
  printf '{"file_format_version":"1.0.0","ICD":{"api_version":"1.3.0","library_path":"%s"}}\n' \
    "$D/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" > "$D/lvp.json"
  grep -qx '/.gpu-lavapipe/' "$ROOT/.git/info/exclude" 2>/dev/null || echo '/.gpu-lavapipe/' >> "$ROOT/.git/info/exclude"
fi
cat > "$D/preload.mjs" <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(process.env.TESSERA_ROOT + '/package.json');
const { create, globals } = await import(require.resolve('webgpu'));
Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
JS
export TESSERA_ROOT="$ROOT"
export LD_LIBRARY_PATH="$D/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VK_ICD_FILENAMES="$D/lvp.json" VK_DRIVER_FILES="$D/lvp.json"
export NODE_OPTIONS="--import $D/preload.mjs ${NODE_OPTIONS:-}"
exec "$@"
