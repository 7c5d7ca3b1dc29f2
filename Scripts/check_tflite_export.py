#!/usr/bin/env python3
"""Check `quantdash export --format tflite` in the LiteRT interpreter.

For both demo models and several plans (8-bit, 4-bit, mixed widths, pruned, k-means, 8- and
6-bit activations), runs `quantdash export --format tflite` and `quantdash eval --plan --json`,
parses the file with the `tflite` package (FlatBuffers schema: operators, tensors, input shape,
metadata), runs it in LiteRT (`ai-edge-litert`) on the 1000 held-out demo digits (pixels / 255,
[N, 1, 28, 28]: the input keeps the ONNX model's NCHW shape) and compares top-1 with quantdash's.
Prints a table with the file size beside quantdash's size model; exits non-zero unless every
plan's top-1 agrees within one image and every file parses.

Creates its own venv (Scripts/.venv-tflite) with tflite, ai-edge-litert and numpy.

Usage: python3 Scripts/check_tflite_export.py [--quantdash PATH_TO_BINARY]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-tflite"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["tflite", "ai-edge-litert", "numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from importlib.metadata import version  # noqa: E402

import numpy as np  # noqa: E402
import tflite  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)

ROOT = os.path.dirname(HERE)
TOLERANCE_IMAGES = 1
LAYERS = {"demo-mlp": ["fc1", "fc2", "fc3"], "demo-cnn": ["conv1", "conv2", "fc1", "fc2"]}


def plans(layers):
    """Plan label → plan JSON for a model with these layer names (first to last)."""
    first, last = layers[0], layers[-1]
    return {
        "w8 sym channel": {"default": {"bits": 8, "scheme": "symmetric", "granularity": "channel"}},
        "w4 asym tensor": {"default": {"bits": 4, "scheme": "asymmetric", "granularity": "tensor"}},
        "mixed 3/4b, ends 8b": {"default": {"bits": 3, "granularity": "channel"},
                                "layers": {first: {"bits": 8}, layers[1]: {"bits": 4}, last: {"bits": 8}}},
        "w4 2:4 pruned": {"default": {"bits": 4, "scheme": "asymmetric", "granularity": "channel",
                                      "prune": {"pattern": "2:4"}}},
        "w3 kmeans": {"default": {"bits": 3, "scheme": "kmeans"}},
        "w8a8 minmax": {"default": {"bits": 8, "granularity": "channel", "activationBits": 8,
                                    "calibration": "minmax"}},
        "w4a6 (clamped)": {"default": {"bits": 4, "granularity": "channel", "activationBits": 6}},
    }


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def structure(path):
    """Operators (by name), tensor count, input shape and metadata names, read with `tflite`."""
    with open(path, "rb") as f:
        buffer = f.read()
    if not tflite.Model.ModelBufferHasIdentifier(buffer, 0):
        raise RuntimeError(f"{path}: no TFL3 identifier")
    model = tflite.Model.GetRootAsModel(buffer, 0)
    graph = model.Subgraphs(0)
    operators = []
    for index in range(graph.OperatorsLength()):
        code = model.OperatorCodes(graph.Operators(index).OpcodeIndex())
        operators.append(tflite.BUILTIN_OPCODE2NAME[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())])
    tensor = graph.Tensors(graph.Inputs(0))
    metadata = [model.Metadata(i).Name().decode() for i in range(model.MetadataLength())]
    return operators, graph.TensorsLength(), [int(d) for d in tensor.ShapeAsNumpy()], metadata


def litert_top1(path, images, labels):
    interpreter = Interpreter(model_path=path)
    source = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(source["index"], list(images.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], images)
    interpreter.invoke()
    logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return int((logits.argmax(axis=1) == labels).sum())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    args = parser.parse_args()
    images, labels = demo_data.demo_split("heldout")

    print(f"ai-edge-litert {version('ai-edge-litert')}, tflite {version('tflite')}; "
          f"{len(labels)} held-out digits, input [N, 1, 28, 28]")
    header = (f"{'plan':<22} {'model':<5} {'ops':>3} {'quantdash':>9} {'LiteRT':>7} {'diff':>5}  "
              f"{'.tflite bytes':>13} {'size model':>10} {'float32':>9}")
    print(header)
    print("-" * len(header))
    failures = 0
    shown_structure = set()
    with tempfile.TemporaryDirectory() as folder:
        for demo, layers in LAYERS.items():
            for index, (label, plan) in enumerate(plans(layers).items()):
                plan_path = os.path.join(folder, f"{demo}-plan{index}.json")
                with open(plan_path, "w") as f:
                    json.dump({"version": 1, **plan}, f)
                path = os.path.join(folder, f"{demo}-plan{index}.tflite")
                run([args.quantdash, "export", "--plan", plan_path, "--format", "tflite", "--out", path,
                     "--model", demo, "--force"])
                ours = json.loads(run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--json"]))
                operators, tensor_count, input_shape, metadata = structure(path)
                if demo not in shown_structure:
                    shown_structure.add(demo)
                    print(f"  {demo}: {tensor_count} tensors, input {input_shape}, metadata {metadata}; "
                          f"operators {' '.join(operators)}")
                if input_shape != [1, 1, 28, 28] or "quantdash.plan" not in metadata:
                    raise RuntimeError(f"{path}: input {input_shape}, metadata {metadata}")
                litert = litert_top1(path, images, labels)
                quantdash = ours["accuracy"]["correct"]
                diff = litert - quantdash
                ok = abs(diff) <= TOLERANCE_IMAGES
                failures += 0 if ok else 1
                size = ours["size"]
                print(f"{label:<22} {demo[5:]:<5} {len(operators):>3} {quantdash / 10:>8.1f}% "
                      f"{litert / 10:>6.1f}% {diff:>+5d}  {os.path.getsize(path):>13,} {size['bytes']:>10,} "
                      f"{size['floatBytes']:>9,}{'' if ok else '  FAIL'}")
    print(f"{'all plans agree' if failures == 0 else f'{failures} FAILED'} "
          f"(tolerance {TOLERANCE_IMAGES} image; the files are float32: the size model is what an "
          f"integer export would store)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
