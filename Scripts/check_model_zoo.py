#!/usr/bin/env python3
"""Check that ONNX's nine model-zoo "light" graphs open in quantdash and agree with onnxruntime.

The `onnx` wheel ships light versions of AlexNet, DenseNet-121, Inception v1/v2, ResNet-50,
ShuffleNet, SqueezeNet, VGG-19 and ZFNet-512 (onnx/backend/test/data/light/): the real graphs,
batch fixed at 1, whose weights are ConstantOfShape nodes filled with 0.02. Each is checked
twice on the same random images:

- as shipped: `quantdash eval --save-outputs` against onnxruntime (outputs to 1e-4 relative to
  the largest magnitude of their row, top-1 the same, eval's top-1 and NLL the same as computed from onnxruntime's outputs);
- with random weights: every ConstantOfShape replaced by a seeded random initializer of its
  shape and the final Softmax removed, so the logits differ from class to class and the
  comparison of logits and top-1 means something.

SqueezeNet with random weights is also run as integers (`eval --integer` with the int8 plan,
calibrated on the same images): no prediction may differ from the fake-quantized model, outputs
within one step, and its C export (integer int8, with Concat) must compute the same outputs bit
for bit.

Exits non-zero on any difference. Creates its own venv (Scripts/.venv-zoo) with onnx,
onnxruntime and numpy.

Usage: python3 Scripts/check_model_zoo.py [--quantdash PATH] [--images N]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-zoo"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnx==1.23.2", "onnxruntime", "numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import numpy_helper  # noqa: E402

ROOT = os.path.dirname(HERE)
LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet",
          "vgg19", "zfnet512"]
RTOL = 1e-4
ATOL = 1e-7
# Models whose int8 plan runs as integers (the others are refused: LRN, BatchNormalization).
INTEGER_MODELS = ["squeezenet"]


def randomized(model, seed):
    """The model with each ConstantOfShape replaced by a random initializer and no final Softmax."""
    rng = np.random.default_rng(seed)
    graph = model.graph
    shapes = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    keep = []
    for node in graph.node:
        if node.op_type != "ConstantOfShape":
            keep.append(node)
            continue
        shape = [int(v) for v in shapes[node.input[0]]]
        if len(shape) >= 2:
            fan_in = int(np.prod(shape[1:]))
            values = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        else:
            values = rng.uniform(0.5, 1.0, shape)  # biases, BN scales, means and variances
        graph.initializer.append(numpy_helper.from_array(values.astype(np.float32), node.output[0]))
    output = graph.output[0]
    softmax = [n for n in keep if n.op_type == "Softmax" and output.name in n.output]
    if softmax:
        keep.remove(softmax[0])
        output.name = softmax[0].input[0]
    del graph.node[:]
    graph.node.extend(keep)
    return model


def onnxruntime_outputs(path, images):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: images[i:i + 1]})[0] for i in range(len(images))])


def check(name, path, images, labels, quantdash, folder, probabilities):
    reference = onnxruntime_outputs(path, images)
    outputs = os.path.join(folder, "outputs.npy")
    run = subprocess.run(
        [quantdash, "eval", "--model", path, "--data", os.path.join(folder, "x.npy"), "--labels",
         os.path.join(folder, "y.npy"), "--json", "--save-outputs", outputs, "--batch-size", str(len(images))],
        capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{name}: quantdash eval failed: {run.stderr.strip()}")
        return False
    ours = np.load(outputs)
    report = json.loads(run.stdout)
    problems = []
    if ours.shape != reference.shape:
        problems.append(f"shape {ours.shape}, onnxruntime {reference.shape}")
    else:
        flat_ours, flat_ref = ours.reshape(len(images), -1), reference.reshape(len(images), -1)
        # Relative to each row's largest magnitude: logits near 0 are sums of thousands of terms
        # that cancel, and no float32 runtime gets their own relative digits.
        scale = np.abs(flat_ref).max(axis=1, keepdims=True) + ATOL
        error = np.abs(flat_ours - flat_ref) / scale
        if not (error <= RTOL).all():
            problems.append(f"{(error > RTOL).sum()} outputs differ by more than {RTOL} of their row's largest "
                            f"(worst {error.max():.2e})")
        # Top-1 agrees when our choice is onnxruntime's best up to the tolerance (ties are real here).
        best = flat_ref.max(axis=1)
        chosen = flat_ref[np.arange(len(images)), flat_ours.argmax(axis=1)]
        if not np.all(chosen >= best - (RTOL * np.abs(best) + ATOL)):
            problems.append("top-1 differs")
        if probabilities:
            picked = flat_ref[np.arange(len(images)), labels]
            nll = float(np.mean(-np.log(picked)))
        else:
            shifted = flat_ref - flat_ref.max(axis=1, keepdims=True)
            log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            nll = float(np.mean(-log_softmax[np.arange(len(images)), labels]))
        if not abs(report["accuracy"]["nll"] - nll) <= 1e-3 * max(1.0, abs(nll)):
            problems.append(f"eval NLL {report['accuracy']['nll']:.6f}, from onnxruntime's outputs {nll:.6f}")
    worst = f", worst difference {error.max():.1e} of the row's largest" if ours.shape == reference.shape else ""
    print(f"{name}: {'agrees' if not problems else 'DIFFERS: ' + '; '.join(problems)} "
          f"(output {list(ours.shape)}, top-1 {report['accuracy']['top1']:.3f}, NLL {report['accuracy']['nll']:.4f}"
          f"{worst})", flush=True)
    return not problems


INT8_PLAN = {"version": 1, "default": {"bits": 8, "scheme": "symmetric", "granularity": "channel",
                                       "activationBits": 8}}
DRIVER = r"""
#include <stdio.h>
#include "zoo.h"
int main(int argc, char **argv)
{
    static float input[ZOO_INPUT_COUNT];
    static float logits[ZOO_OUTPUT_COUNT];
    FILE *in, *out;
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) { return 2; }
    while (fread(input, sizeof input, 1, in) == 1) {
        (void)zoo_predict(input, logits);
        if (fwrite(logits, sizeof logits, 1, out) != 1) { return 3; }
    }
    fclose(in);
    fclose(out);
    return 0;
}
"""


def check_integer(name, path, quantdash, folder, cc):
    """`eval --integer` of the int8 plan (Concat, Dropout, GlobalAveragePool, a final Softmax left
    float) against the fake-quantized model, and its C export compiled: the same outputs bit for bit."""
    plan = os.path.join(folder, "int8.json")
    with open(plan, "w") as handle:
        json.dump(INT8_PLAN, handle)
    data = ["--model", path, "--data", os.path.join(folder, "x.npy"), "--labels", os.path.join(folder, "y.npy"),
            "--calibration", os.path.join(folder, "x.npy"), "--plan", plan]
    outputs = os.path.join(folder, "integer.npy")
    run = subprocess.run([quantdash, "eval", *data, "--integer", "--latency-runs", "0", "--json", "--save-outputs",
                          outputs], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{name} integer: eval --integer failed: {run.stderr.strip()}")
        return False
    integer = json.loads(run.stdout)["integer"]
    problems = []
    if integer["differingPredictions"] != 0 or integer["maxOutputSteps"] > 1 + 1e-4:  # one code, up to rounding
        problems.append(f"{integer['differingPredictions']} predictions differ from the fake-quantized model, "
                        f"outputs up to {integer['maxOutputSteps']:.2f} steps")
    base = os.path.join(folder, "zoo")
    export = subprocess.run([quantdash, "export", "--format", "c", *data, "--out", base, "--force"],
                            capture_output=True, text=True)
    if export.returncode != 0 or "integer int8" not in export.stdout:
        problems.append(f"C export not integer: {(export.stdout + export.stderr).strip()}")
    else:
        with open(os.path.join(folder, "driver.c"), "w") as handle:
            handle.write(DRIVER)
        binary = os.path.join(folder, "zoo-c")
        subprocess.run([cc, "-O1", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-o", binary,
                        os.path.join(folder, "driver.c"), base + ".c", "-lm"], check=True)
        np.load(os.path.join(folder, "x.npy")).astype(np.float32).tofile(os.path.join(folder, "x.bin"))
        subprocess.run([binary, os.path.join(folder, "x.bin"), os.path.join(folder, "c.bin")], check=True)
        ours = np.load(outputs).reshape(-1)
        compiled = np.fromfile(os.path.join(folder, "c.bin"), dtype=np.float32)
        if not np.array_equal(ours, compiled):
            problems.append("the C export's outputs differ from eval --integer's")
    print(f"{name} integer: {'agrees' if not problems else 'DIFFERS: ' + '; '.join(problems)} "
          f"(top-1 {integer['top1']:.3f}, fake-quantized {integer['fakeQuantizedTop1']:.3f}, "
          f"max {integer['maxOutputSteps']:.2f} steps; C export bit for bit)", flush=True)
    return not problems


def main():
    ort.set_default_logger_severity(3)  # the light graphs list unused shape initializers: not our concern
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = parser.parse_args()
    rng = np.random.default_rng(13)
    images = rng.standard_normal((args.images, 3, 224, 224)).astype(np.float32)
    labels = rng.integers(0, 1000, args.images).astype(np.int64)
    failures, checks = 0, 2 * len(MODELS)
    with tempfile.TemporaryDirectory() as folder:
        np.save(os.path.join(folder, "x.npy"), images)
        np.save(os.path.join(folder, "y.npy"), labels)
        for index, name in enumerate(MODELS):
            path = os.path.join(LIGHT, f"light_{name}.onnx")
            model = onnx.load(path)
            ends_in_softmax = model.graph.node[-1].op_type == "Softmax"
            failures += not check(f"{name} (as shipped)", path, images, labels, args.quantdash, folder, ends_in_softmax)
            random_path = os.path.join(folder, f"{name}-random.onnx")
            onnx.save(randomized(model, seed=index), random_path)
            failures += not check(f"{name} (random weights)", random_path, images, labels, args.quantdash, folder,
                                  False)
            if name in INTEGER_MODELS:
                checks += 1
                failures += not check_integer(f"{name} (random weights)", random_path, args.quantdash, folder, args.cc)
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, {args.images} images each")
    print(f"{checks - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
