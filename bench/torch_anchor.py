#!/usr/bin/env python3
"""PyTorch side-by-side anchor for the GPU machine (bench/device.sh runs it next to the Node bench).

For the bench's cases, on the same GPU: eager F.cross_entropy forward, forward+backward (the gradient with respect to
the logits, torch.autograd.grad), F.log_softmax, torch.sum over 1.6e7 floats, and the device-to-device copy of N*C
floats (dst.copy_(src): reads N*C floats and writes N*C floats) as the bandwidth roofline. Timed with CUDA events:
`inner` calls back to back between two events, median over samples. Each op is first checked against the same op in
float64 on the device (tolerance atol 1e-6 + rtol 1e-5, as the core issue's).

Bytes as in bench/core.ts: logits read, plus output/gradient written for log-softmax and CE fwd+bwd; the sum and CE
forward read only. Data: N(0, 3) logits and uniform class targets from torch's own generator (the timings do not
depend on the values; the Node bench uses its own seeded data).

Without CUDA (a dry run on a CPU-only machine) it warns and times the CPU with time.perf_counter instead.
Writes <out>/torch-<device>-<date>.json and .md, replacing the older ones of that device; prints the markdown table.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DEFAULT_CASES = "4096x1000,1024x32000,256x128256,64x262144,65537x10,16000000"


def parse_cases(text):
    cases = []
    for item in filter(None, (s.strip() for s in text.split(","))):
        m = re.fullmatch(r"(\d+)x(\d+)", item)
        if m:
            cases.append((int(m.group(1)), int(m.group(2))))
        elif re.fullmatch(r"\d+", item):
            cases.append((int(item),))
        else:
            raise SystemExit(f"--cases: '{item}' is neither ROWSxCOLS nor a length")
    return cases


class Timer:
    """ms per call of fn: CUDA events around `inner` back-to-back calls (or perf_counter on the CPU), median of samples."""

    def __init__(self, device, repeats, min_sample_ms):
        self.device = device
        self.repeats = repeats
        self.min_sample_ms = min_sample_ms

    def _sample(self, fn, inner):
        if self.device.type == "cuda":
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(inner):
                fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / inner
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        return (time.perf_counter() - t0) * 1e3 / inner

    def time(self, fn):
        for _ in range(3):  # warm-up: allocator, kernel selection
            fn()
        first = self._sample(fn, 1)
        inner = max(1, min(1000, int(self.min_sample_ms / max(first, 1e-4)))) if self.min_sample_ms > 0 else 1
        samples = [self._sample(fn, inner) for _ in range(self.repeats)]
        return {"ms": statistics.median(samples), "samples": samples, "inner": inner}


def check_close(label, got, want, atol=1e-6, rtol=1e-5):
    got = got.double()
    err = (got - want).abs()
    allowed = atol + rtol * want.abs()
    bad = int((err > allowed).sum())
    if bad:
        raise SystemExit(f"VALIDATION FAILED {label}: {bad} of {want.numel()} values outside atol {atol} + rtol {rtol} (max error {float(err.max()):.3e})")
    return f"max |err| {float(err.max()):.1e} (atol {atol}, rtol {rtol})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=os.environ.get("XENT_BENCH_CASES", DEFAULT_CASES))
    parser.add_argument("--repeats", type=int, default=int(os.environ.get("XENT_BENCH_REPEATS", "20")))
    parser.add_argument("--min-sample-ms", type=float, default=10.0, help="back-to-back calls per sample last at least this long (GPU)")
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args()

    if torch.cuda.is_available():
        device = torch.device("cuda")
        device_name = torch.cuda.get_device_name(device)
        min_sample_ms = args.min_sample_ms
    else:
        print("torch_anchor: WARNING: no CUDA device; timing the CPU instead (a dry run, not an anchor)", file=sys.stderr)
        device = torch.device("cpu")
        device_name = "cpu"
        min_sample_ms = 0.0
    torch.manual_seed(1)
    timer = Timer(device, args.repeats, min_sample_ms)
    results = []

    def record(op, shape, elements, bytes_moved, timing, validation):
        entry = {"op": op, "shape": shape, "elements": elements, "bytes": bytes_moved, **timing, "gbps": bytes_moved / (timing["ms"] * 1e6), "validation": validation}
        results.append(entry)
        print(f"  {op:12s} {shape:>12s}: {timing['ms']:.4g} ms, {entry['gbps']:.1f} GB/s", file=sys.stderr, flush=True)

    for case in parse_cases(args.cases):
        if len(case) == 1:
            (n,) = case
            x = torch.randn(n, device=device)
            want = x.double().sum()
            validation = check_close("torch.sum", torch.sum(x).reshape(1), want.reshape(1), atol=1e-6 * float(x.double().abs().sum()), rtol=0)
            record("sum", f"n={n}", n, 4 * n, timer.time(lambda: torch.sum(x)), validation)
            del x
            continue
        rows, cols = case
        shape = f"{rows}x{cols}"
        n = rows * cols
        logits = (torch.randn(rows, cols, device=device) * 3).requires_grad_(True)
        target = torch.randint(0, cols, (rows,), device=device)
        x64 = logits.detach().double().requires_grad_(True)
        loss64 = F.cross_entropy(x64, target)
        (grad64,) = torch.autograd.grad(loss64, x64)

        with torch.no_grad():
            validation = check_close("log_softmax", F.log_softmax(logits, dim=-1), F.log_softmax(x64.detach(), dim=-1))
            record("log-softmax", shape, n, 8 * n, timer.time(lambda: F.log_softmax(logits, dim=-1)), validation)
            validation = "loss " + check_close("cross_entropy", F.cross_entropy(logits, target).reshape(1), loss64.detach().reshape(1))
            record("ce-fwd", shape, n, 4 * n, timer.time(lambda: F.cross_entropy(logits, target)), validation)

        def forward_backward():
            loss = F.cross_entropy(logits, target)
            return loss, torch.autograd.grad(loss, logits)[0]

        loss, grad = forward_backward()
        validation = "loss " + check_close("cross_entropy", loss.detach().reshape(1), loss64.detach().reshape(1)) + "; grad " + check_close("cross_entropy grad", grad, grad64)
        record("ce-fwd-bwd", shape, n, 8 * n, timer.time(forward_backward), validation)

        with torch.no_grad():
            src = logits.detach()
            dst = torch.empty_like(src)
            dst.copy_(src)
            if not torch.equal(dst, src):
                raise SystemExit("VALIDATION FAILED copy")
            record("copy", shape, n, 8 * n, timer.time(lambda: dst.copy_(src)), "exact copy")
        del logits, target, x64, loss64, grad64, loss, grad, src, dst
        if device.type == "cuda":
            torch.cuda.empty_cache()

    by_key = {(r["op"], r["shape"]): r for r in results}
    table = [
        f"PyTorch {torch.__version__} eager on {device_name} ({'CUDA ' + str(torch.version.cuda) if device.type == 'cuda' else 'CPU dry run'}); "
        f"{'CUDA-event' if device.type == 'cuda' else 'perf_counter'} timing, median of {args.repeats} samples.",
        "",
        "| op | shape | torch ms | GB/s | copy ms | copy GB/s | % of copy |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if r["op"] == "copy":
            continue
        copy = by_key.get(("copy", r["shape"]))
        # The copy moves 8 bytes per element: compare with ops that move the same (log-softmax, fwd+bwd) by time,
        # with read-only ops (fwd, sum) by bandwidth.
        pct = "—"
        if copy:
            pct = f"{(copy['ms'] / r['ms'] * 100 if r['bytes'] == copy['bytes'] else r['gbps'] / copy['gbps'] * 100):.0f}%"
        table.append(
            f"| {r['op']} | {r['shape']} | {r['ms']:.4g} | {r['gbps']:.1f} | {copy['ms']:.4g} | {copy['gbps']:.1f} | {pct} |" if copy else f"| {r['op']} | {r['shape']} | {r['ms']:.4g} | {r['gbps']:.1f} | — | — | — |"
        )
    markdown = "\n".join(table)

    meta = {
        "runtime": "torch",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": device_name,
        "fallback_cpu": device.type != "cuda",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "timing": "CUDA events around inner back-to-back calls; median of samples (perf_counter on the CPU)",
        "repeats": args.repeats,
    }
    os.makedirs(args.out, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", device_name.lower()).strip("-")
    stem = os.path.join(args.out, f"torch-{slug}-{datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%d-%H%M')}")
    with open(stem + ".json", "w") as f:
        json.dump({"meta": meta, "cases": results}, f, indent=1)
    with open(stem + ".md", "w") as f:
        f.write(markdown + "\n")
    # One result per device in the folder (git keeps the history): the older torch-<device>-<date> files go.
    older = re.compile(rf"^torch-{re.escape(slug)}-\d{{8}}-\d{{4}}\.(json|md)$")
    mine = (os.path.basename(stem) + ".json", os.path.basename(stem) + ".md")
    replaced = [name for name in sorted(os.listdir(args.out)) if older.match(name) and name not in mine]
    for name in replaced:
        os.remove(os.path.join(args.out, name))
    print(markdown)
    print(f"\nwrote {stem}.json and {stem}.md" + (f" (replacing {', '.join(replaced)})" if replaced else ""))


if __name__ == "__main__":
    main()
