#!/usr/bin/env python3
"""Check that the shipped demo models give the same held-out accuracy in onnxruntime.

Runs each demo ONNX model with onnxruntime on the 1000 held-out digits (the package's IDX
resource, pixels / 255) and compares top-1 with what `quantdash eval --json` reports. Exits
non-zero on any difference. Creates its own venv (Scripts/.venv) with onnxruntime and numpy.

Usage: python3 Scripts/check_onnxruntime.py [--quantdash PATH_TO_BINARY]
"""
import sys

from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnxruntime", "numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)
import onnxruntime as ort  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    args = parser.parse_args()

    images = demo_data.read_idx(os.path.join(DEMO, "mnist-heldout-images.idx3-ubyte")).astype(np.float32) / 255.0
    labels = demo_data.read_idx(os.path.join(DEMO, "mnist-heldout-labels.idx1-ubyte")).astype(np.int64)
    images = images.reshape(-1, 1, 28, 28)

    failures = 0
    for demo in ("mlp", "cnn"):
        path = os.path.join(DEMO, f"demo-{demo}.onnx")
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        logits = session.run(None, {input_name: images})[0]
        ort_top1 = float((logits.argmax(axis=1) == labels).mean())
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        ort_nll = float(-log_softmax[np.arange(len(labels)), labels].mean())

        out = subprocess.run([args.quantdash, "eval", "--model", f"demo-{demo}", "--json"],
                             capture_output=True, text=True, check=True)
        ours = json.loads(out.stdout)
        our_top1 = ours["accuracy"]["top1"]
        our_nll = ours["accuracy"]["nll"]
        agree = our_top1 == ort_top1 and abs(our_nll - ort_nll) <= 1e-4
        print(f"demo-{demo}: onnxruntime {ort.__version__} top-1 {ort_top1:.4f} NLL {ort_nll:.6f}; "
              f"quantdash top-1 {our_top1:.4f} NLL {our_nll:.6f} -> {'same' if agree else 'DIFFERENT'}")
        failures += 0 if agree else 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
