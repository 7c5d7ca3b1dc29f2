#!/usr/bin/env python3
"""Check structured (filter) pruning, `"prune": {"filters": s}`, against onnxruntime and PyTorch.

For plans on both demo models (float and quantized layers, 8- and 4-bit, per channel and per
tensor, several layers pruned in a chain):

1. `quantdash export --format onnx` writes the smaller model: the exported layer weights have
   `C_out − round(s · C_out)` filters and their consumers the matching fewer inputs (through
   Flatten, whole spatial blocks); the model has fewer parameters than the float model.
2. onnxruntime runs the exported model on the 1000 held-out digits and gives the outputs
   `quantdash eval --plan --save-outputs` computes with the filters masked to zero (max
   difference relative to the largest |logit| ≤ 1e-4; the same top-1 predictions).
3. PyTorch's `torch.nn.utils.prune.ln_structured(module, "weight", amount=s, n=1, dim=0)` on
   an `nn.Conv2d` / `nn.Linear` holding the float weights removes the same filters as the
   exported float-weight plan (the exported rows are exactly the original rows torch keeps).

Shares the transformer check's venv (Scripts/.venv-transformer, QUANTDASH_VENV overrides): CPU PyTorch, onnx,
onnxruntime and numpy. Exits non-zero on any mismatch.

Usage: python3 Scripts/check_structured_pruning.py [--quantdash PATH_TO_BINARY]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The transformer check's venv (same packages, make_transformer.PACKAGES): CI installs PyTorch once.
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-transformer"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["torch==2.13.0+cpu", "transformers", "onnx==1.23.2", "onnxruntime", "numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from torch.nn.utils import prune  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)

ROOT = os.path.dirname(HERE)
TOLERANCE = 1e-4  # of the largest |output| per row

# (label, model, default settings, {layer: fraction of filters})
PLANS = [
    ("float, conv1+conv2+fc1 25 %", "demo-cnn", {}, {"conv1": 0.25, "conv2": 0.25, "fc1": 0.25}),
    ("w8 sym channel, conv2 50 %", "demo-cnn", {"bits": 8, "granularity": "channel"}, {"conv2": 0.5}),
    ("w4 asym tensor, conv1 25 % fc1 50 %", "demo-cnn",
     {"bits": 4, "scheme": "asymmetric", "granularity": "tensor"}, {"conv1": 0.25, "fc1": 0.5}),
    ("float, fc1 50 % fc2 25 %", "demo-mlp", {}, {"fc1": 0.5, "fc2": 0.25}),
    ("w8 sym channel, fc1 30 %", "demo-mlp", {"bits": 8, "granularity": "channel"}, {"fc1": 0.3}),
    ("w4 asym channel, fc2 40 %", "demo-mlp", {"bits": 4, "scheme": "asymmetric"}, {"fc2": 0.4}),
]


# Each layer's input producer and the inputs per channel it feeds (through Flatten, H · W).
INPUT_OF = {
    "demo-cnn": {"conv2": ("conv1", 1), "fc1": ("conv2", 49), "fc2": ("fc1", 1)},
    "demo-mlp": {"fc2": ("fc1", 1), "fc3": ("fc2", 1)},
}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def layer_weights(model):
    """{node name: (op, weight initializer name)} for Conv and Gemm nodes with a constant weight."""
    inits = {i.name for i in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    result = {}
    for node in model.graph.node:
        if node.op_type in ("Conv", "Gemm") and len(node.input) > 1:
            name = node.input[1]
            if name not in inits and name in producers and producers[name].op_type == "DequantizeLinear":
                name = producers[name].input[0]  # the codes
            result[node.name] = (node.op_type, name)
    return result


def torch_removed(weight, fraction):
    """The output channels ln_structured(n=1, dim=0) removes from `weight` [out, ...]."""
    tensor = torch.from_numpy(weight.copy())
    if weight.ndim == 4:
        module = torch.nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[2:], bias=False)
    else:
        module = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    with torch.no_grad():
        module.weight.copy_(tensor)
    prune.ln_structured(module, "weight", amount=fraction, n=1, dim=0)
    mask = module.weight_mask.reshape(weight.shape[0], -1).numpy()
    return [c for c in range(weight.shape[0]) if not mask[c].any()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    args = parser.parse_args()
    images, labels = demo_data.demo_split("heldout")
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    header = f"{'plan':<36} {'model':<5} {'params':>15} {'max rel diff':>12} {'top-1 same':>10} {'torch':>6}"
    print(header)
    print("-" * len(header))
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for index, (label, demo, default, fractions) in enumerate(PLANS):
            plan = {"version": 1, "default": default,
                    "layers": {name: {"prune": {"filters": s}} for name, s in fractions.items()}}
            plan_path = os.path.join(folder, f"plan{index}.json")
            with open(plan_path, "w") as f:
                json.dump(plan, f)
            out_path = os.path.join(folder, f"plan{index}.onnx")
            npy_path = os.path.join(folder, f"plan{index}.npy")
            run([args.quantdash, "export", "--model", demo, "--plan", plan_path, "--format", "onnx",
                 "--out", out_path, "--force"])
            run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--save-outputs", npy_path])
            ours = np.load(npy_path)

            original = onnx.load(os.path.join(demo_data.DEMO, f"{demo}.onnx"))
            exported = onnx.load(out_path)
            onnx.checker.check_model(exported, full_check=True)
            float_params = sum(int(np.prod(i.dims)) for i in original.graph.initializer)
            params = sum(int(np.prod(i.dims)) for i in exported.graph.initializer)
            problems = []
            if params >= float_params:
                problems.append("not smaller")
            original_inits = {i.name: numpy_helper.to_array(i) for i in original.graph.initializer}
            exported_inits = {i.name: numpy_helper.to_array(i) for i in exported.graph.initializer}
            original_layers, exported_layers = layer_weights(original), layer_weights(exported)
            torch_ok = "-"
            for name, fraction in fractions.items():
                weight = original_inits[original_layers[name][1]]
                written = exported_inits[exported_layers[name][1]]
                expected_out = weight.shape[0] - round(fraction * weight.shape[0])
                if written.shape[0] != expected_out:
                    problems.append(f"{name} has {written.shape[0]} filters, expected {expected_out}")
                if not default:  # float weights: the written rows are the original rows torch keeps
                    removed = torch_removed(weight, fraction)
                    kept = [c for c in range(weight.shape[0]) if c not in removed]
                    expected = weight[kept]
                    producer, block = INPUT_OF[demo].get(name, (None, 1))
                    if producer in fractions:  # the producer's removed filters are gone from the inputs
                        removed_inputs = set(torch_removed(original_inits[original_layers[producer][1]],
                                                           fractions[producer]))
                        expected = expected[:, [j for j in range(weight.shape[1]) if j // block not in removed_inputs]]
                    same = written.shape == expected.shape and np.array_equal(written, expected)
                    torch_ok = "same" if same and torch_ok != "DIFF" else "DIFF"
                    if not same:
                        problems.append(f"{name}: torch removes {removed}, the export keeps other rows")

            session = ort.InferenceSession(out_path, providers=["CPUExecutionProvider"])
            theirs = session.run(None, {session.get_inputs()[0].name: images})[0].reshape(ours.shape)
            scale = np.maximum(np.abs(ours).max(axis=1, keepdims=True), 1e-12)
            relative = float((np.abs(theirs - ours) / scale).max())
            same_top1 = int((theirs.argmax(axis=1) == ours.argmax(axis=1)).sum())
            if relative > TOLERANCE:
                problems.append(f"outputs differ by {relative:.1e} of the row's largest")
            if same_top1 != len(labels):
                problems.append(f"{len(labels) - same_top1} predictions differ")
            failures += 1 if problems else 0
            print(f"{label:<36} {demo[5:]:<5} {params:>6} of {float_params:>6} {relative:>12.1e} "
                  f"{same_top1:>5}/{len(labels)} {torch_ok:>6}" + ("" if not problems else "  FAIL: " + "; ".join(problems)))
    print("all plans agree" if failures == 0 else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
