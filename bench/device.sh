#!/usr/bin/env bash
# The GPU-machine recipe: the Node bench on the NVIDIA GPU over Vulkan, all cases, then PyTorch's
# eager F.cross_entropy on the same GPU as the side-by-side anchor (bench/torch_anchor.py), plus the 8192 x 128256 case
# (bench/huge.ts), per-dispatch GPU times (bench/profile.ts) and the fused linear cross-entropy at full size, and its
# matmuls alone. About 3-4 minutes; XENT_PARTS (default "bench huge profile linear-ce lce-matmul torch"; also
# "bench-vec4", "bench-wg1024", "profile-vec4", "host", "browser": headless Chrome on the GPU) picks parts.
#
# Prepare here (CPU machine, project root):  npm run build && npm run bench:build && bash <workplace>/device/pack.sh
# Run there (tool `run`), carry [".devcarry", "bench/dist"]:  bash bench/device.sh
# Results go to $OUT (the tool's folder; bench/results/device when unset), flat: node-vulkan-*.json/.md (the bench),
#   torch-*.json/.md (the anchor), device.log (every part's output), gpu.txt (nvidia-smi). Copy what is worth keeping
#   into bench/results, replacing the older file of its kind (one per adapter and kind: bench/README.md).
# Environment: XENT_BENCH_ADAPTER (default vulkan: fail rather than bench a software adapter; 'auto' for a dry run
# with XENT_VK_ICD=/usr/lib/chromium/vk_swiftshader_icd.json), XENT_BENCH_CASES / XENT_BENCH_REPEATS (both parts),
# XENT_BENCH_CONTENDERS, XENT_NODE_TIMEOUT / XENT_HUGE_TIMEOUT / XENT_LCE_TIMEOUT / XENT_LCE_MATMUL_TIMEOUT /
# XENT_TORCH_TIMEOUT (seconds).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-bench/results/device}
mkdir -p "$out"
log=$out/device.log
# Node, dawn.node and the Vulkan loader from the carry (.devcarry/gpu-env.sh), unless already set up.
if [ -f .devcarry/gpu-env.sh ] && [ -z "${XENT_GPU_ENV_DONE:-}" ]; then
  # shellcheck disable=SC1091
  source .devcarry/gpu-env.sh
  export XENT_GPU_ENV_DONE=1
fi
[ -f bench/dist/node.mjs ] || { echo "device.sh: bench/dist/node.mjs missing: run 'npm run bench:build' here and carry bench/dist" | tee -a "$log" >&2; exit 1; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1 || echo "no nvidia-smi"; } > "$out/gpu.txt"
parts=" ${XENT_PARTS:-bench huge profile linear-ce lce-matmul torch} "
adapter=${XENT_BENCH_ADAPTER:-vulkan}
status=0
# run NAME TIMEOUT COMMAND...: one part, its output appended to the log (and its last lines shown), its status kept.
run() {
  local name=$1 limit=$2; shift 2
  echo "== $(date -u +%FT%TZ) $name: $*" | tee -a "$log"
  local rc=0
  timeout "$limit" "$@" >> "$log" 2>&1 || rc=$?
  echo "== $name exit status $rc" | tee -a "$log"
  [ "$rc" = 0 ] || status=1
}
echo "node $(node --version 2>&1), VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}" | tee -a "$log"
# Real GPU: one call takes microseconds, so each sample is >= 25 ms of back-to-back calls (--min-sample-ms auto) and
# 10 samples per contender cost little. The CPU reference is not a timed contender here (it still validates every
# case): slow contenders running round-robin between our samples let the GPU clock down (suspected in the first runs).
# --keep-going: a result outside the tolerance is marked INVALID in the table (exit status 1) instead of ending the run.
case $parts in *" bench "*)
  run bench "${XENT_NODE_TIMEOUT:-200}" node bench/dist/node.mjs --adapter="$adapter" --contenders="${XENT_BENCH_CONTENDERS:-xentropy,roofline,tfjs}" \
    --repeats="${XENT_BENCH_REPEATS:-10}" --budget-s=10 --keep-going --out="$out" ${XENT_BENCH_CASES:+--cases="$XENT_BENCH_CASES"}
  tail -n 30 "$log";;
esac
# The same cases with createEngine({ vec4Io: true }) (f32 rows as vec4 where aligned), ours and the roofline only, to
# compare with the bench part's table (same run, same GPU): not a default part until measured once.
case $parts in *" bench-vec4 "*)
  run bench-vec4 "${XENT_NODE_TIMEOUT:-200}" node bench/dist/node.mjs --adapter="$adapter" --contenders=xentropy,roofline --vec4-io \
    --ops=log-softmax,ce-fwd,ce-fwd-bwd --repeats="${XENT_BENCH_REPEATS:-10}" --budget-s=10 --keep-going --out="$out" ${XENT_BENCH_CASES:+--cases="$XENT_BENCH_CASES"}
  tail -n 20 "$log";;
esac
# The same cases with workgroups of up to 1024 (rows of up to 32768 classes stay in registers between the statistics
# and the gradient: 1024x32000 read once instead of twice), ours and the roofline only, against the bench part's table.
case $parts in *" bench-wg1024 "*)
  run bench-wg1024 "${XENT_NODE_TIMEOUT:-200}" node bench/dist/node.mjs --adapter="$adapter" --contenders=xentropy,roofline --max-workgroup-size=1024 \
    --ops=log-softmax,ce-fwd,ce-fwd-bwd --repeats="${XENT_BENCH_REPEATS:-10}" --budget-s=10 --keep-going --out="$out" ${XENT_BENCH_CASES:+--cases="$XENT_BENCH_CASES"}
  tail -n 20 "$log";;
esac
# The 8192 x 128256 f32 logits (4.2 GB), validated by streaming (bench/huge.ts).
case $parts in *" huge "*) run huge "${XENT_HUGE_TIMEOUT:-80}" node bench/dist/huge.mjs --adapter="$adapter"; tail -n 8 "$log";; esac
# Every dispatch of one call per case, on the GPU clock (bench/profile.ts), with workgroups of 256 (the default) and
# 1024 (where rows of up to 32768 classes fit the registers: the CACHED path).
case $parts in *" profile "*) run profile 50 node bench/dist/profile.mjs --adapter="$adapter" --wg=256,1024; tail -n 36 "$log";; esac
case $parts in *" profile-vec4 "*) run profile-vec4 50 node bench/dist/profile.mjs --adapter="$adapter" --wg=256 --vec4-io; tail -n 20 "$log";; esac
# Host cost per call against the bare API calls it makes (bench/host.ts), on this machine's CPU: on Dawn's null backend
# and on the GPU's adapter (there the driver's recording counts too). About 20 s.
case $parts in *" host "*)
  run host-null 40 node bench/dist/host.mjs --adapter=null
  run host-gpu 40 node bench/dist/host.mjs --adapter="$adapter"
  tail -n 48 "$log";;
esac
# The fused linear cross-entropy at the issue's size (bench/linearCe.ts).
case $parts in *" linear-ce "*) run linear-ce "${XENT_LCE_TIMEOUT:-90}" node bench/dist/linear-ce.mjs --full --adapter="$adapter"; tail -n 12 "$log";; esac
# Its matmuls alone: GFLOP/s per product (GPU timestamps) beside tfjs matMul on the same products (bench/linearCe.ts
# --matmul), about 20 s.
case $parts in *" lce-matmul "*)
  run lce-matmul "${XENT_LCE_MATMUL_TIMEOUT:-45}" node bench/dist/linear-ce.mjs --matmul --full --adapter="$adapter"
  # The previous 32 x 32-tile kernel on the same card, for the ratio (workgroups of at most 64 select it).
  run lce-matmul-32 "${XENT_LCE_MATMUL_TIMEOUT:-45}" node bench/dist/linear-ce.mjs --matmul --full --adapter="$adapter" --max-workgroup-size=64
  tail -n 30 "$log";;
esac

# Headless Chrome on the GPU over Vulkan (the browser bench, bundled: `npm run bench:build-browser` here, carry
# bench/dist): Chrome from XENTROPY_CHROMIUM, else Debian's chromium-headless-shell and chromium-common unpacked into
# .devcarry/chromium (`apt-get download chromium-headless-shell chromium-common`, then `dpkg -x` each .deb there), with
# their libraries on LD_LIBRARY_PATH. --adapter hardware: fail rather than bench SwiftShader (XENT_BROWSER_ADAPTER=auto
# falls back). Not run on a GPU machine yet; the two .deb files alone are 92 MiB, over the 64 MiB a call carries.
case $parts in *" browser "*)
  chrome=${XENTROPY_CHROMIUM:-$PWD/.devcarry/chromium/usr/lib/chromium/chromium-headless-shell}
  libs=$PWD/.devcarry/chromium/usr/lib/chromium:$PWD/.devcarry/chromium/usr/lib/x86_64-linux-gnu
  run browser "${XENT_BROWSER_TIMEOUT:-300}" env XENTROPY_CHROMIUM="$chrome" \
    XENTROPY_BENCH_PAGE=bench/dist/browser-page LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    node bench/dist/browser.mjs --adapter="${XENT_BROWSER_ADAPTER:-hardware}" \
    --contenders="${XENT_BENCH_CONTENDERS:-xentropy,roofline,tfjs}" --repeats="${XENT_BENCH_REPEATS:-10}" \
    --budget-s=10 --keep-going --out="$out" ${XENT_BENCH_CASES:+--cases="$XENT_BENCH_CASES"}
  tail -n 30 "$log";;
esac

case $parts in *" torch "*)
  python=${XENT_PYTHON:-python3}
  "$python" -c 'import torch' 2>/dev/null || python=/usr/bin/python3
  # The bench's cases plus 8192x128256, the anchor for bench/huge.ts.
  run torch "${XENT_TORCH_TIMEOUT:-80}" "$python" bench/torch_anchor.py --out "$out" \
    --cases "${XENT_TORCH_CASES:-${XENT_BENCH_CASES:-4096x1000,1024x32000,256x128256,64x262144,65537x10,16000000,8192x128256}}"
  tail -n 12 "$log";;
esac
ls -la "$out"
exit $status
