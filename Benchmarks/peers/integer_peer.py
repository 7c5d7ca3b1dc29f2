#!/usr/bin/env python3
"""onnxruntime's side of `quantdash-bench --only integer` (BENCHMARKS.md, issue 18 point 4).

quantdash-bench writes, per model, the float ONNX model, the QDQ export of the int8 plan it runs
as integers (`QDQExporter`, what `quantdash export --format onnx` writes), the input quantization
its integer model uses, and the images (float32 .npy). This script times onnxruntime on the same
images in the same batches, `--threads` intra-op threads, and prints JSON:

* `float`: the float model;
* `qdq`: the QDQ export as written (onnxruntime fuses what it can);
* `int8`: the QDQ export in the form onnxruntime fuses into integer operators (QLinearConv /
  QGemm, MLAS's U8S8 kernels): Scripts/check_integer.py's `integer_form` (input quantized with
  quantdash's parameters, int32 biases, the quantization repeated after Relu / MaxPool / Flatten).
  This is onnxruntime's int8 time the benchmark's target refers to. The fused operators are
  listed in `detail`. On AVX2 its int16 pair sums (vpmaddubsw) may saturate: not exact;
* `u8`: the same with the weights stored as uint8 + 128 (MLAS's U8U8 kernel, exact: the same
  outputs as quantdash's integer model, docs/integer-inference.md).

Each figure is the median over `--runs` timed runs (after 2 warm-up runs) of one pass over all
images. Runs in Scripts/.venv (or QUANTDASH_VENV) with onnx, onnxruntime and numpy.

With `--serve` (serve.py) no run is timed up front: the JSON is written with median_ms 0, then
each `run NAME/VARIANT` request times one pass over that case's images, so that quantdash-bench
alternates onnxruntime's runs with its own.

Usage: python3 Benchmarks/peers/integer_peer.py --case NAME FLOAT.onnx QDQ.onnx IMAGES.npy SCALE ZP SIGNED
       [--case ...] --batch 250 --runs 25 --threads 2 --json OUT [--serve]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "Scripts")))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnx", "onnxruntime", "numpy"])

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

import check_integer  # noqa: E402  (Scripts/check_integer.py)
from check_integer import integer_form, unsigned_weights  # noqa: E402

sys.path.insert(0, HERE)
from serve import serve  # noqa: E402  (Benchmarks/peers/serve.py)

# The ResNet-18-sized stack ends in AveragePool, which quantdash's integer model runs on codes with
# its input's quantization (the mean rounded half to even): repeat that quantization after it too.
check_integer.PASS_THROUGH.add("AveragePool")


def session(path, threads, optimized=None):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    if optimized:
        options.optimized_model_filepath = optimized
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def time_pass(sess, chunks, runs):
    name = sess.get_inputs()[0].name

    def one_pass():
        outputs = [sess.run(None, {name: chunk})[0] for chunk in chunks]
        return np.concatenate(outputs)

    for _ in range(2):
        outputs = one_pass()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        one_pass()
        samples.append((time.perf_counter() - start) * 1000)
    return (statistics.median(samples) if samples else 0), outputs, one_pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", nargs=7, action="append", required=True,
                        metavar=("NAME", "FLOAT", "QDQ", "IMAGES", "SCALE", "ZP", "SIGNED"))
    parser.add_argument("--batch", type=int, action="append", help="batch size per case, in order")
    parser.add_argument("--runs", type=int, action="append", help="timed runs per case, in order")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", required=True)
    parser.add_argument("--serve", action="store_true", help="time one pass per `run NAME/VARIANT` request")
    args = parser.parse_args()

    results = []
    timers = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, float_path, qdq_path, images_path, scale, zero_point, signed) in enumerate(args.case):
            batch, runs = args.batch[index], args.runs[index]
            images = np.load(images_path).astype(np.float32)
            chunks = [np.ascontiguousarray(images[i:i + batch]) for i in range(0, len(images), batch)]
            fused_path = os.path.join(folder, f"{name}-int8.onnx")
            model = integer_form(onnx.load(qdq_path), float(scale), int(zero_point), signed == "true")
            onnx.save(model, fused_path)
            unsigned_path = os.path.join(folder, f"{name}-u8.onnx")
            onnx.save(unsigned_weights(model), unsigned_path)
            variants = [("float", float_path), ("qdq", qdq_path), ("int8", fused_path), ("u8", unsigned_path)]
            for variant, path in variants:
                optimized = os.path.join(folder, f"{name}-{variant}.optimized.onnx")
                median, outputs, one_pass = time_pass(session(path, args.threads, optimized), chunks,
                                                      0 if args.serve else runs)
                timers[f"{name}/{variant}"] = one_pass
                fused = collections.Counter(n.op_type for n in onnx.load(optimized).graph.node
                                            if n.op_type.startswith("QLinear") or n.op_type == "QGemm")
                results.append({
                    "model": name, "variant": variant, "median_ms": median, "runs": runs,
                    "images": len(images), "batch": batch,
                    "integer_operators": ", ".join(f"{op}×{count}" for op, count in sorted(fused.items())),
                    "top1_classes": outputs.reshape(len(images), -1).argmax(axis=1).tolist(),
                })
                if not args.serve:
                    print(f"· onnxruntime {name} {variant}: {median:.2f} ms", file=sys.stderr)
        machine = {"onnxruntime": ort.__version__, "threads": args.threads, "load": list(os.getloadavg())}
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "results": results}, f)
        if args.serve:  # the sessions read their optimized files' folder: serve before it goes
            serve(timers)


if __name__ == "__main__":
    main()
