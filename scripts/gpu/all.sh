#!/usr/bin/env bash
# Everything one GPU run does, in one command (run through scripts/gpu/run.sh): environment facts, the smoke test
# and peer rates, every package suite on webgpu, then the GPU benchmarks. Results go to $OUT (at most 8 files).
# Usage: bash scripts/gpu/run.sh bash scripts/gpu/all.sh [--skip-conformance] [--skip-bench]
set -uo pipefail
OUT=${OUT:-$PWD/.gpu/out}; mkdir -p "$OUT"; export OUT
export NO_COLOR=1
{
  date -u +%FT%TZ
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  ldconfig -p | grep -E 'libvulkan|libEGL' 2>&1
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1
  node --version; nproc; uname -r
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
timeout 180 node scripts/gpu/smoke.mjs 2>&1
# every suite twice: the packages on webgpu by themselves, then with @tessera/webgpu's kernels registered
if [[ " $* " != *" --skip-conformance "* ]]; then
  rm -f "$OUT/conformance-webgpu.log"
  timeout ${CONFORMANCE_BUDGET_S:-330} node scripts/gpu/conformance.mjs --jobs ${CONFORMANCE_JOBS:-6} --timeout ${CONFORMANCE_SUITE_TIMEOUT_S:-240}
  timeout ${CONFORMANCE_BUDGET_S:-330} node scripts/gpu/conformance.mjs --kernels --jobs ${CONFORMANCE_JOBS:-6} --timeout ${CONFORMANCE_SUITE_TIMEOUT_S:-240}
fi
if [[ " $* " != *" --skip-bench "* ]]; then timeout ${BENCH_BUDGET_S:-240} node .gpu/js/webgpu-bench.mjs 2>&1 | tee "$OUT/bench.log"; fi
echo "[all.sh] done $(date -u +%T)"
