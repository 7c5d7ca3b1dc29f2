#!/usr/bin/env python3
"""The peer side of quantdash's benchmarks: onnxruntime and a PyTorch notebook loop, timed.

Creates/uses its own venv (Benchmarks/.venv, git-ignored; `QUANTDASH_VENV` overrides) with
onnxruntime, numpy, onnx and CPU-only PyTorch 2.13 (see peers_venv.py), then measures:

Common rules
  * Threads: onnxruntime `intra_op_num_threads = T`, `inter_op_num_threads = 1`, sequential
    execution, default graph optimisations; PyTorch `set_num_threads(T)`,
    `set_num_interop_threads(1)`. T = 2 (`--threads`).
  * Data: the 1000 held-out demo digits (Sources/QuantCore/Resources/Demo/mnist-heldout-*.idx*),
    float32 pixels / 255 as [1000, 1, 28, 28], int64 labels (Scripts/demo_data.py). Models:
    demo-mlp.onnx and demo-cnn.onnx from the same folder.
  * Timing: `time.perf_counter_ns` around the measured work only (inputs are prepared before);
    warm-up runs first (not recorded), then `--runs` timed runs; the figure is the median.
  * PyTorch model: an `nn.Module` built from the ONNX initializers (onnx_torch.py: Gemm ->
    nn.Linear, Conv -> nn.Conv2d, the rest functional), run under `torch.no_grad()`. Its float
    top-1 must equal onnxruntime's (958 of 1000 for the MLP, 976 for the CNN); the script
    asserts it.

full-float-pass (per model, per peer)
  The whole held-out set through the float model: variant `batch-1000` (one call on all 1000
  images) and `batch-250` (four calls of 250, one run = all four). Time = the forward call(s)
  only, not the argmax.

per-change (per model, per peer, per quantizable layer)
  One change = "bits chosen" -> "exact held-out top-1 available": set one quantizable layer (each
  Gemm/Conv weight, in graph order) to b-bit symmetric per-output-channel weights (quantize.py:
  scale_c = max|w_c| / (2^(b-1)-1), q = clip(round_half_even(w / scale_c), -qmax, qmax), w' = q *
  scale_c, in float32; a zero scale becomes 1), every other layer float, then run all 1000 images,
  argmax, count correct. The timed span covers quantizing the layer's float master copy, installing
  it, the forward pass of all 1000 images in one batch, the argmax and the count. Timed run i uses
  b = 2 + (i mod 7), i.e. b cycles 2..8 across runs. The layer goes back to float (untimed) before
  the next layer.
    - pytorch: quantize the layer's weight tensor in torch, `weight.copy_(w')` under no_grad,
      forward, argmax.
    - onnxruntime: the model is rewritten once so that every quantizable weight is a graph input
      instead of an initializer (no session rebuild per change); quantize in NumPy, pass it in
      the feeds (the other weights are fed their float values), run, argmax.
  Warm-up: per layer, two untimed sweeps (one with --quick) over b = 2..8, which record the top-1 per
  (layer, bits) (`detail.correct_by_bits`; every timed run is checked against it). Results: one
  entry per layer (variant `layer:NAME`) and one per model (variant `all-layers`) whose
  `median_ms` is the median of the per-layer medians ("median over all quantizable layers");
  `samples_ms` of that entry pools every layer's samples.

resnet18-float-pass (onnxruntime only; skipped by --quick)
  make_resnet18.py writes a synthetic ResNet-18 (torchvision topology, folded BN, 11.68 M
  parameters, random weights, seed 0) and 256 random images [256, 3, 224, 224] float32 into
  `--resnet-dir` (default: a temporary folder, deleted afterwards; Benchmarks/.data is git-ignored
  for a kept copy the Swift side can share; existing files there are
  reused). One run = all 256 images in batches of `--resnet-batch` (default 32, to bound memory);
  time = the run calls only.

Output: `--json OUT` writes {"machine": {...}, "results": [{"benchmark", "model", "peer",
"variant", "median_ms", "runs", "samples_ms", "detail"}], "per_change_correct": {model: {peer:
{layer: {bits: correct}}}}}; a table of medians (and the per-change
top-1 cross-check between the two peers) goes to stderr. The machine record includes the load
average before and after, since the machine may be shared.

Usage: python3 Benchmarks/peers/peers.py [--runs 20] [--json OUT] [--quick] [--threads 2]
           [--benchmarks full-float-pass,per-change,resnet18] [--resnet-dir DIR] [--resnet-batch 32]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peers_venv  # noqa: E402  (Benchmarks/peers/peers_venv.py)

if __name__ == "__main__":
    peers_venv.ensure()

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)
import make_resnet18  # noqa: E402
import onnx_torch  # noqa: E402
from quantize import fake_quantize_numpy, fake_quantize_torch  # noqa: E402

MODELS = ("demo-mlp", "demo-cnn")
EXPECTED_FLOAT_CORRECT = {"demo-mlp": 958, "demo-cnn": 976}
BENCHMARKS = ("full-float-pass", "per-change", "resnet18")
BITS = tuple(range(2, 9))


# Measurement helpers


def measure(step, runs, warmup):
    """Run `step(i)` `warmup` times untimed, then `runs` times timed; returns the timed samples in ms."""
    for i in range(warmup):
        step(i)
    samples = []
    for i in range(runs):
        start = time.perf_counter_ns()
        step(i)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def result(benchmark, model, peer, variant, samples, detail):
    """One entry of the JSON `results` list."""
    return {"benchmark": benchmark, "model": model, "peer": peer, "variant": variant,
            "median_ms": statistics.median(samples), "runs": len(samples),
            "samples_ms": [round(s, 4) for s in samples], "detail": detail}


def ort_session(model, threads):
    """An onnxruntime CPU session (path or serialized bytes) with the benchmark's threading."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def quantizable_layers(model):
    """(node name, weight initializer name) of every Gemm/Conv node with a constant weight, in graph order."""
    constants = {t.name for t in model.graph.initializer}
    return [(node.name, node.input[1]) for node in model.graph.node
            if node.op_type in ("Gemm", "Conv") and node.input[1] in constants]


def weights_as_inputs(model, names):
    """A copy of `model` whose initializers `names` are graph inputs instead (same name, type and shape)."""
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    graph = rewritten.graph
    kept = [t for t in graph.initializer if t.name not in names]
    moved = [t for t in graph.initializer if t.name in names]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    for tensor in moved:
        graph.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    onnx.checker.check_model(rewritten)
    return rewritten


def correct(logits, labels):
    """The number of rows of `logits` (NumPy or torch) whose argmax equals the label."""
    if isinstance(logits, torch.Tensor):
        return int((logits.argmax(dim=1) == labels).sum().item())
    return int((logits.argmax(axis=1) == labels).sum())


def check_float(name, what, count):
    """Stop unless the float model got the known number of held-out digits right."""
    if count != EXPECTED_FLOAT_CORRECT[name]:
        raise SystemExit(f"{name} {what}: float top-1 {count} / 1000, expected {EXPECTED_FLOAT_CORRECT[name]}")


# Benchmarks


def full_float_pass(name, path, images, labels, runs, warmup, threads):
    """`full-float-pass` for one model: onnxruntime and PyTorch, batch-1000 and batch-250."""
    results = []
    session = ort_session(path, threads)
    input_name = session.get_inputs()[0].name
    module = onnx_torch.load(path)
    torch_labels = torch.from_numpy(labels)
    for batch in (1000, 250):
        chunks = [np.ascontiguousarray(images[i:i + batch]) for i in range(0, len(images), batch)]
        torch_chunks = [torch.from_numpy(c) for c in chunks]
        outputs = {}

        def ort_step(_):
            outputs["onnxruntime"] = [session.run(None, {input_name: c})[0] for c in chunks]

        def torch_step(_):
            with torch.no_grad():
                outputs["pytorch"] = [module(c) for c in torch_chunks]

        for peer, step in (("onnxruntime", ort_step), ("pytorch", torch_step)):
            samples = measure(step, runs, warmup)
            logits = outputs[peer]
            if peer == "pytorch":
                count = correct(torch.cat(logits), torch_labels)
            else:
                count = correct(np.concatenate(logits), labels)
            check_float(name, f"{peer} batch {batch}", count)
            results.append(result("full-float-pass", name, peer, f"batch-{batch}", samples,
                                  {"images": len(images), "batch_size": batch, "calls_per_run": len(chunks),
                                   "correct": count, "threads": threads}))
            time.sleep(0.2)  # let the previous peer's worker threads stop spinning
    return results


def per_change_runs(name, peer, layers, change, runs, warmup_sweeps, threads):
    """Time `change(layer index, bits) -> correct` over `layers`; returns result entries and top-1 per (layer, bits)."""
    results, pooled, medians, accuracy = [], [], [], {}
    for index, (node_name, weight_name) in enumerate(layers):
        sweep = {}
        for _ in range(warmup_sweeps):
            for bits in BITS:
                sweep[bits] = change(index, bits)
        bits_per_run = [BITS[i % len(BITS)] for i in range(runs)]
        counts = []
        samples = measure(lambda i: counts.append(change(index, bits_per_run[i])), runs, 0)
        for bits, count in zip(bits_per_run, counts):
            if count != sweep[bits]:
                raise SystemExit(f"{name} {peer} {node_name} {bits} bits: {count} correct, warm-up gave {sweep[bits]}")
        change(index, None)  # back to float
        accuracy[node_name] = {str(b): sweep[b] for b in BITS}
        results.append(result("per-change", name, peer, f"layer:{node_name}", samples,
                              {"layer": node_name, "weight": weight_name, "bits_per_run": bits_per_run,
                               "correct_by_bits": accuracy[node_name], "images": 1000, "threads": threads}))
        pooled.extend(samples)
        medians.append(statistics.median(samples))
    summary = result("per-change", name, peer, "all-layers", pooled,
                     {"layers": [n for n, _ in layers], "per_layer_median_ms": medians,
                      "images": 1000, "threads": threads,
                      "note": "median_ms is the median of the per-layer medians; samples_ms pools all layers"})
    summary["median_ms"] = statistics.median(medians)
    return [*results, summary], accuracy


def per_change(name, path, images, labels, runs, warmup, threads):
    """`per-change` for one model: the onnxruntime loop and the PyTorch loop."""
    model = onnx.load(path)
    layers = quantizable_layers(model)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    warmup_sweeps = 1 if warmup <= 1 else 2

    # onnxruntime: weights are graph inputs; a change feeds the quantized weight.
    rewritten = weights_as_inputs(model, {w for _, w in layers})
    session = ort_session(rewritten.SerializeToString(), threads)
    input_name = [i.name for i in session.get_inputs() if i.name not in weights][0]
    feeds = {input_name: images, **{w: weights[w] for _, w in layers}}

    def ort_change(index, bits):
        weight_name = layers[index][1]
        if bits is None:
            feeds[weight_name] = weights[weight_name]
            return None
        feeds[weight_name] = fake_quantize_numpy(weights[weight_name], bits)
        return correct(session.run(None, feeds)[0], labels)

    for _ in range(warmup):
        session.run(None, feeds)
    check_float(name, "onnxruntime (weights as inputs)", correct(session.run(None, feeds)[0], labels))
    ort_results, ort_accuracy = per_change_runs(name, "onnxruntime", layers, ort_change, runs, warmup_sweeps, threads)
    time.sleep(0.2)

    # PyTorch: the notebook loop.
    module = onnx_torch.load(path)
    torch_images, torch_labels = torch.from_numpy(images), torch.from_numpy(labels)
    masters = [module.layers[n].weight.detach().clone() for n, _ in layers]

    def torch_change(index, bits):
        layer = module.layers[layers[index][0]]
        with torch.no_grad():
            if bits is None:
                layer.weight.copy_(masters[index])
                return None
            layer.weight.copy_(fake_quantize_torch(masters[index], bits))
            return correct(module(torch_images), torch_labels)

    with torch.no_grad():
        for _ in range(warmup):
            module(torch_images)
        check_float(name, "pytorch", correct(module(torch_images), torch_labels))
    torch_results, torch_accuracy = per_change_runs(name, "pytorch", layers, torch_change, runs, warmup_sweeps, threads)
    return [*ort_results, *torch_results], {"onnxruntime": ort_accuracy, "pytorch": torch_accuracy}


def resnet18_float_pass(directory, batch, runs, warmup, threads):
    """`resnet18-float-pass`: onnxruntime on the synthetic ResNet-18 over its 256 random images."""
    model_path = os.path.join(directory, make_resnet18.MODEL_FILE)
    data_path = os.path.join(directory, make_resnet18.DATA_FILE)
    generated = None
    if not (os.path.exists(model_path) and os.path.exists(data_path)):
        print(f"writing the synthetic ResNet-18 and data into {directory}", file=sys.stderr)
        _, _, generated = make_resnet18.write(directory)
    with np.load(data_path) as data:
        x, y = data["x"], data["y"]
    session = ort_session(model_path, threads)
    input_name = session.get_inputs()[0].name
    chunks = [np.ascontiguousarray(x[i:i + batch]) for i in range(0, len(x), batch)]
    outputs = {}

    def step(_):
        outputs["logits"] = [session.run(None, {input_name: c})[0] for c in chunks]

    samples = measure(step, runs, warmup)
    logits = np.concatenate(outputs["logits"])
    parameters = sum(int(np.prod(t.dims)) for t in onnx.load(model_path).graph.initializer)
    detail = {"images": len(x), "input": list(x.shape[1:]), "batch_size": batch, "calls_per_run": len(chunks),
              "parameters": parameters, "correct": correct(logits, y), "threads": threads,
              "generated": generated is not None, "model_sha256": make_resnet18.sha256(model_path),
              "data_sha256": make_resnet18.sha256(data_path)}
    return [result("resnet18-float-pass", "resnet18-synthetic", "onnxruntime", f"batch-{batch}", samples, detail)]


# Reporting


def machine(threads):
    """nproc, CPU model, versions and the current load average."""
    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": cpu_model, "python": platform.python_version(),
            "onnxruntime": ort.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "onnx": onnx.__version__, "threads": threads, "loadavg_start": list(os.getloadavg())}


def print_table(results, accuracy, out):
    """The medians (and the per-change top-1 cross-check) as plain-text tables."""
    rows = [("benchmark", "model", "peer", "variant", "median ms", "min ms", "max ms", "runs")]
    for r in results:
        rows.append((r["benchmark"], r["model"], r["peer"], r["variant"], f"{r['median_ms']:.3f}",
                     f"{min(r['samples_ms']):.3f}", f"{max(r['samples_ms']):.3f}", str(r["runs"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.rjust(w) if i >= 4 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))),
              file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    if not accuracy:
        return
    print("\nper-change top-1 (correct of 1000) per layer and bits; onnxruntime / pytorch where they differ",
          file=out)
    print(f"{'model':<9} {'layer':<7} " + " ".join(f"{f'{b} bits':>9}" for b in BITS), file=out)
    for model, peers in accuracy.items():
        for layer, counts in peers["onnxruntime"].items():
            cells = []
            for b in BITS:
                a, t = counts[str(b)], peers["pytorch"][layer][str(b)]
                cells.append(f"{a:>9}" if a == t else f"{f'{a}/{t}':>9}")
            print(f"{model:<9} {layer:<7} " + " ".join(cells), file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure (default 20; --quick: 3)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3; --quick: 1)")
    parser.add_argument("--json", help="write the results as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="CI smoke: few runs, no resnet18")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--resnet-dir", help="folder for the synthetic ResNet-18 files (default: a temporary one)")
    parser.add_argument("--resnet-batch", type=int, default=32)
    parser.add_argument("--resnet-runs", type=int, help="timed runs for resnet18 (default: --runs)")
    parser.add_argument("--full-pass-runs", type=int,
                        help="timed runs for full-float-pass (default: --runs; --quick: at most 3)")
    args = parser.parse_args()
    chosen = [b.strip() for b in args.benchmarks.split(",") if b.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; choose from {','.join(BENCHMARKS)}")
    if args.quick:
        args.runs = min(args.runs, 3) if "--runs" in sys.argv else 3
        args.warmup = 1
        args.full_pass_runs = min(args.full_pass_runs or 3, 3)
        chosen = [b for b in chosen if b != "resnet18"]
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    info = machine(args.threads)
    images, labels = demo_data.demo_split("heldout")
    images = np.ascontiguousarray(images)
    results, accuracy = [], {}
    for name in MODELS:
        path = os.path.join(demo_data.DEMO, f"{name}.onnx")
        if "full-float-pass" in chosen:
            print(f"full-float-pass {name}", file=sys.stderr)
            runs = args.full_pass_runs or args.runs
            results += full_float_pass(name, path, images, labels, runs, args.warmup, args.threads)
        if "per-change" in chosen:
            print(f"per-change {name}", file=sys.stderr)
            entries, accuracy[name] = per_change(name, path, images, labels, args.runs, args.warmup, args.threads)
            results += entries
    if "resnet18" in chosen:
        print("resnet18-float-pass", file=sys.stderr)
        runs = args.resnet_runs or args.runs
        if args.resnet_dir:
            results += resnet18_float_pass(args.resnet_dir, args.resnet_batch, runs, 1, args.threads)
        else:
            with tempfile.TemporaryDirectory(prefix="quantdash-resnet18-") as directory:
                results += resnet18_float_pass(directory, args.resnet_batch, runs, 1, args.threads)
    info["loadavg_end"] = list(os.getloadavg())

    print(file=sys.stderr)
    print(f"{info['cpu_model']}, nproc {info['nproc']}, {args.threads} threads, onnxruntime {info['onnxruntime']}, "
          f"torch {info['torch']}, load average {info['loadavg_start'][0]:.2f} -> {info['loadavg_end'][0]:.2f}",
          file=sys.stderr)
    print_table(results, accuracy, sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "results": results, "per_change_correct": accuracy}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
