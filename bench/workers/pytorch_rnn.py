"""PyTorch CPU anchor of the webrnn benchmark (npm run bench): times nn.LSTM / nn.GRU forward
(inference, torch.no_grad) and a training step (forward, MSE on the output sequence, backward,
Adam over all parameters) with the same weights, input and target as every other engine, and prints
one line "@@row {json}" per row (the protocol of bench/workers/node-worker.mjs).

    /usr/bin/python3 bench/workers/pytorch_rnn.py JOB.json

JOB: {"shapes": {name: {B, T, I, H, L, bidirectional}}, "cells": [{"cell", "variant"}], "reps", "capMs",
      "skip": {rowKey: reason}, "omit": [rowKey], "refDir", "threads" (optional; torch's default otherwise)}. For each (shape, cell) the orchestrator wrote
refDir/<key>.inputs.json + .inputs.bin (weights by state_dict name, x, target, float32); webrnn's
worker wrote <key>.y.bin and <key>.losses.json (first two training losses), the guard's reference. Without torch it prints
"@@missing <reason>" and exits 0.
"""
import json
import os
import re
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the orchestrator records a skip with this reason
    print("@@missing " + json.dumps(f"PyTorch is not installed for {sys.executable} ({e}); npm run setup -- --with-torch installs Debian's python3-torch"))
    sys.exit(0)

GUARD_TOLERANCE = 1e-4
G = {"lstm": 4, "gru": 3}


def emit(tag, value):
    print(f"@@{tag} {json.dumps(value)}", flush=True)


def log(line):
    print(f"[pytorch] {line}", file=sys.stderr, flush=True)


def label(c):
    return c["cell"] if not c["variant"] else f"{c['cell']} ({c['variant'].replace('_', '-')})"


def row_key(shape, c, mode):
    v = f"/{c['variant']}" if c["variant"] else ""
    return f"node|pytorch-cpu|{shape}|{c['cell']}{v}|{mode}"


def ref_file(ref_dir, key):
    return os.path.join(ref_dir, re.sub(r"[^A-Za-z0-9]+", "_", key))


def flops_of(s, c, mode):
    D = 2 if s["bidirectional"] else 1
    f = 0
    for layer in range(s["L"]):
        inp = s["I"] if layer == 0 else D * s["H"]
        f += 2 * s["T"] * s["B"] * G[c["cell"]] * s["H"] * (inp + s["H"]) * D
    return 3 * f if mode == "train" else f


def read_floats(path, offset, count):
    with open(path, "rb") as fh:
        fh.seek(offset * 4)
        buf = bytearray(fh.read(count * 4))
    return torch.frombuffer(buf, dtype=torch.float32)


def time_calls(call, reps, cap_ms, done_ms):
    """bench/lib/timing.mjs's protocol: a first and a warm call (done_ms: those the guard already
    made), then timed calls until reps or until the next would end past the cap; the median."""
    calls = 0
    if done_ms[0] > 2 * cap_ms:
        return {"skipped": f"the first call took {done_ms[0] / 1000:.1f} s (compilation included), over twice the row's cap of {cap_ms / 1000:.1f} s", "calls": calls}
    if len(done_ms) < 2:
        t = time.perf_counter()
        call()
        done_ms = [*done_ms, (time.perf_counter() - t) * 1000]
        calls += 1
    if done_ms[-1] > cap_ms:
        return {"skipped": f"a warm call took {done_ms[-1] / 1000:.1f} s, over the row's cap of {cap_ms / 1000:.1f} s", "calls": calls}
    spent = sum(done_ms[1:])
    samples = []
    start = time.perf_counter()
    while len(samples) < reps:
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
        calls += 1
        if spent + (time.perf_counter() - start) * 1000 + samples[-1] > cap_ms:
            break
    return {"ms": statistics.median(samples), "reps": len(samples), "samples": samples, "calls": calls}


def rel_error(a, b):
    if a.shape != b.shape:
        return float("inf")
    ref = b.abs().max().item()
    diff = (a - b).abs().max().item()
    return diff / ref if ref > 0 else diff


def rnd(x):
    return round(x, 1 if x >= 100 else 2 if x >= 1 else 4)


def main():
    job = json.load(open(sys.argv[1]))
    # PyTorch's own default unless asked: on the 2-core CI machine Debian's torch defaults to 1 thread,
    # and 2 threads made the training step 5x slower there (OpenMP threads contending with each other).
    if job.get("threads"):
        torch.set_num_threads(job["threads"])
    cpu = "unknown"
    try:
        m = re.search(r"model name\s*:\s*(.+)", open("/proc/cpuinfo").read())
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    adapter = f"CPU: {cpu}, {os.cpu_count()} cores (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)"
    for shape_name, s in job["shapes"].items():
        D = 2 if s["bidirectional"] else 1
        for c in job["cells"]:
            key = f"{shape_name}/{label(c)}"
            base_file = ref_file(job["refDir"], key)
            base = lambda mode: {"shape": shape_name, "cell": c["cell"], "variant": c["variant"], "mode": mode, "engine": "pytorch-cpu",
                                 "host": "node", "adapter": adapter, "flops": flops_of(s, c, mode)}
            skip = job.get("skip") or {}
            omit = set(job.get("omit") or [])
            modes = [m for m in ("forward", "train") if row_key(shape_name, c, m) not in omit and not skip.get(row_key(shape_name, c, m))]
            for m in ("forward", "train"):
                if m not in modes and row_key(shape_name, c, m) not in omit:
                    emit("row", {**base(m), "ms": None, "gflops": None, "dispatches": None, "skipped": job["skip"][row_key(shape_name, c, m)]})
            if not modes:
                continue
            try:
                meta = json.load(open(base_file + ".inputs.json"))
                data = base_file + ".inputs.bin"
                cls = torch.nn.LSTM if c["cell"] == "lstm" else torch.nn.GRU
                model = cls(s["I"], s["H"], num_layers=s["L"], bidirectional=s["bidirectional"])
                sd = {e["name"]: read_floats(data, e["offset"], e["count"]).reshape(e["shape"]) for e in meta["params"]}
                model.load_state_dict(sd)
                x = read_floats(data, meta["x"]["offset"], meta["x"]["count"]).reshape(s["T"], s["B"], s["I"])
                target = read_floats(data, meta["target"]["offset"], meta["target"]["count"]).reshape(s["T"], s["B"], D * s["H"])
            except Exception as e:  # noqa: BLE001 — any failure becomes the rows' skip reason
                for m in modes:
                    emit("row", {**base(m), "ms": None, "gflops": None, "dispatches": None, "skipped": f"failed: {e}"})
                continue
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def forward():
                with torch.no_grad():
                    return model(x)[0]

            def train():
                out, _ = model(x)
                loss = F.mse_loss(out, target)
                opt.zero_grad()
                loss.backward()
                opt.step()
                return loss.item()

            for mode in modes:
                log(f"{shape_name} {label(c)} {mode}")
                emit("start", row_key(shape_name, c, mode))
                call = forward if mode == "forward" else train
                # The guard's calls double as warm-up: forward, the first output; train, the first two losses.
                results, done_ms = [], []
                for _ in range(1 if mode == "forward" else 2):
                    t0 = time.perf_counter()
                    results.append(call())
                    done_ms.append((time.perf_counter() - t0) * 1000)
                    if done_ms[-1] > 2 * job["capMs"]:
                        break
                first_ms = done_ms[0]
                check = {"against": "webrnn", "ok": None}
                if mode == "forward" and os.path.exists(base_file + ".y.bin"):
                    first = results[0]
                    y = read_floats(base_file + ".y.bin", 0, first.numel()).reshape(first.shape)
                    rel = rel_error(first, y)
                    check = {"against": "webrnn", "rel": float(f"{rel:.3g}"), "ok": rel <= GUARD_TOLERANCE}
                elif mode == "train" and os.path.exists(base_file + ".losses.json"):
                    ref = json.load(open(base_file + ".losses.json"))
                    n = min(len(ref), len(results))
                    rel = max(abs(results[i] - ref[i]) / abs(ref[i]) for i in range(n))
                    check = {"against": "webrnn", "rel": float(f"{rel:.3g}"), "ok": rel <= GUARD_TOLERANCE, "losses": results[:n], "webrnn_losses": ref[:n]}
                else:
                    check["note"] = "no webrnn reference for this shape and cell"
                timing = time_calls(call, job["reps"], job["capMs"], done_ms)
                row = {**base(mode), "first_ms": rnd(first_ms), "dispatches": None, "check": check, "peak_bytes": None}
                if "skipped" in timing:
                    emit("row", {**row, "ms": None, "gflops": None, "skipped": timing["skipped"]})
                    continue
                ms = timing["ms"]
                emit("row", {**row, "ms": rnd(ms), "gflops": float(f"{row['flops'] / ms / 1e6:.3g}"), "reps": timing["reps"], "samples_ms": [rnd(v) for v in timing["samples"]]})
    emit("done", {"engines": ["pytorch-cpu"]})


main()
