#!/usr/bin/env bash
# The GPU-machine recipe (issue 4, section 3): the Node bench on the NVIDIA GPU over Vulkan, all cases, then PyTorch's
# eager F.cross_entropy on the same GPU as the side-by-side anchor (bench/torch_anchor.py). About 3-4 minutes.
#
# Prepare here (CPU machine, project root):  npm run build && npm run bench:build && bash ../shared/device/pack.sh
# Run there (tool `run`), carry [".devcarry", "bench/dist"]:  bash bench/device.sh
# Results go to $OUT (the tool's folder; bench/results/device when unset), flat, 6 files:
#   node-vulkan-*.json/.md (the bench), torch-*.json/.md (the anchor), device.log (both logs), gpu.txt (nvidia-smi).
# Environment: XENT_BENCH_ADAPTER (default vulkan: fail rather than bench a software adapter; 'auto' for a dry run
# with XENT_VK_ICD=/usr/lib/chromium/vk_swiftshader_icd.json), XENT_BENCH_CASES / XENT_BENCH_REPEATS (both parts),
# XENT_NODE_TIMEOUT / XENT_TORCH_TIMEOUT (seconds, default 170 / 70).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-bench/results/device}
mkdir -p "$out"
log=$out/device.log
# Node, dawn.node and the Vulkan loader from the carry (../shared/device/gpu-env.sh), unless already set up.
if [ -f .devcarry/gpu-env.sh ] && [ -z "${XENT_GPU_ENV_DONE:-}" ]; then
  # shellcheck disable=SC1091
  source .devcarry/gpu-env.sh
  export XENT_GPU_ENV_DONE=1
fi
[ -f bench/dist/node.mjs ] || { echo "device.sh: bench/dist/node.mjs missing: run 'npm run bench:build' here and carry bench/dist" | tee -a "$log" >&2; exit 1; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1 || echo "no nvidia-smi"; } > "$out/gpu.txt"
echo "== $(date -u +%FT%TZ) node bench ($(node --version 2>&1), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset})" | tee -a "$log"
node_status=0
# Real GPU: one call takes microseconds, so each sample is >= 25 ms of back-to-back calls (--min-sample-ms auto) and
# 10 samples per contender cost little; the CPU reference is timed once on cases above 4.2M elements (its validation run).
# --keep-going: a result outside the tolerance is marked INVALID in the table (exit status 1) instead of ending the run.
timeout "${XENT_NODE_TIMEOUT:-170}" node bench/dist/node.mjs --adapter="${XENT_BENCH_ADAPTER:-vulkan}" \
  --repeats="${XENT_BENCH_REPEATS:-10}" --budget-s=10 --keep-going --out="$out" >> "$log" 2>&1 || node_status=$?
echo "== node bench exit status $node_status" | tee -a "$log"
tail -n 30 "$log"

python=${XENT_PYTHON:-python3}
"$python" -c 'import torch' 2>/dev/null || python=/usr/bin/python3
echo "== $(date -u +%FT%TZ) torch anchor ($python)" | tee -a "$log"
torch_status=0
timeout "${XENT_TORCH_TIMEOUT:-70}" "$python" bench/torch_anchor.py --out "$out" ${XENT_BENCH_CASES:+--cases "$XENT_BENCH_CASES"} >> "$log" 2>&1 || torch_status=$?
echo "== torch anchor exit status $torch_status" | tee -a "$log"
tail -n 12 "$log"
ls -la "$out"
[ "$node_status" = 0 ] && [ "$torch_status" = 0 ]
