#!/usr/bin/env python3
"""onnxruntime's whole float pass over the ImageNet-size models, for quantdash-bench's `scale` section.

For each model made by make_imagenet_models.py (made first when missing) in `--dir`: an
onnxruntime CPU session (`intra_op_num_threads = --threads`, `inter_op_num_threads = 1`,
sequential execution, default graph optimisations), the first `--images` images of
imagenet-data.npz in batches of `--batch`. One untimed call on the first batch, then `--runs`
timed runs, each all the images (the calls only: `time.perf_counter_ns` around them); the figure
is the median. Also recorded: the logits of the first two images (quantdash-bench compares its
own with them) and the multiply-adds per image from the model's summary.

Output (`--json OUT`): {"machine": {...}, "models": {name: {"median_ms", "samples_ms", "images",
"batch", "threads", "multiply_adds_per_image", "parameters", "logits_first_two": [[...], [...]]}}}.

With `--serve` (serve.py) no run is timed up front: the JSON is written without timings
(median_ms 0), then each `run MODEL` request times one pass over all the images, so that
quantdash-bench alternates onnxruntime's runs with its own.

Usage: python3 Benchmarks/peers/scale_peer.py --dir DIR --json OUT [--models resnet50,...]
           [--images 256] [--batch 32] [--runs 3] [--threads 2] [--serve]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peers_venv  # noqa: E402  (Benchmarks/peers/peers_venv.py)

if __name__ == "__main__":
    peers_venv.ensure(with_torchvision=True)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

import make_imagenet_models  # noqa: E402
from serve import serve  # noqa: E402  (Benchmarks/peers/serve.py)


def session(path, threads):
    """An onnxruntime CPU session with the benchmark's threading."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def measure(name, directory, x, batch, runs, threads):
    """The figures of one model."""
    summary = make_imagenet_models.write_model(directory, name, 0, os.path.join(directory,
                                                                              make_imagenet_models.DATA_FILE), False)
    run = session(summary["file"], threads)
    input_name = run.get_inputs()[0].name
    chunks = [np.ascontiguousarray(x[i:i + batch]) for i in range(0, len(x), batch)]
    run.run(None, {input_name: chunks[0]})  # warm-up
    first = run.run(None, {input_name: np.ascontiguousarray(x[:2])})[0]  # two images whatever the batch

    def one_pass():
        for chunk in chunks:
            run.run(None, {input_name: chunk})

    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        one_pass()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    if samples:
        print(f"{name}: median {statistics.median(samples):.0f} ms over {runs} runs of {len(x)} images",
              file=sys.stderr)
    return {"median_ms": statistics.median(samples) if samples else 0, "samples_ms": [round(s, 2) for s in samples],
            "images": len(x), "batch": batch, "threads": threads,
            "multiply_adds_per_image": summary["multiply_adds_per_image"],
            "parameters": summary["onnx_parameters"],
            "logits_first_two": first[:2].astype(float).tolist()}, one_pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True, help="folder of make_imagenet_models.py's files")
    parser.add_argument("--json", required=True)
    parser.add_argument("--models", default=",".join(make_imagenet_models.MODELS))
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help="time one pass per `run MODEL` request (serve.py)")
    args = parser.parse_args()
    names = [m for m in args.models.split(",") if m]
    unknown = sorted(set(names) - set(make_imagenet_models.MODELS))
    if unknown:
        raise SystemExit(f"scale_peer.py: unknown model(s) {unknown}")
    os.makedirs(args.dir, exist_ok=True)
    data_path = make_imagenet_models.write_data(args.dir, 0, max(args.images, 256), False)
    with np.load(data_path) as data:
        x = data["x"][:args.images]
    if len(x) < args.images:
        raise SystemExit(f"{data_path}: {len(x)} images, {args.images} asked for")
    machine = {"cpu_model": platform.processor(), "nproc": os.cpu_count(), "onnxruntime": ort.__version__,
               "loadavg_start": list(os.getloadavg())}
    measured = {name: measure(name, args.dir, x, args.batch, 0 if args.serve else args.runs, args.threads)
                for name in names}
    models = {name: figures for name, (figures, _) in measured.items()}
    machine["loadavg_end"] = list(os.getloadavg())
    with open(args.json, "w") as f:
        json.dump({"machine": machine, "models": models}, f)
    if args.serve:
        serve({name: one_pass for name, (_, one_pass) in measured.items()})


if __name__ == "__main__":
    main()
