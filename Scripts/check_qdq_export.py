#!/usr/bin/env python3
"""Check `quantdash export --format onnx` (QDQ) against onnxruntime.

For both demo models and a set of plans (8- and 4-bit, per-tensor and per-channel, symmetric
and asymmetric, pruned by threshold and 2:4, activation-quantized, 16-bit codes, and schemes
stored as float fallbacks, bias-corrected, cross-layer equalized with `--equalize`, learned rounding), writes the plan to a temporary folder, runs
`quantdash export --format onnx` and `quantdash eval --plan --json`, checks the exported model
with `onnx.checker.check_model`, runs it in onnxruntime on the 1000 held-out demo digits
(pixels / 255, [N, 1, 28, 28]) and compares top-1 (and reports the difference in mean NLL). Prints a table; exits non-zero unless
every plan agrees within 0.2 percentage points and every model passes the checker.

Creates its own venv (Scripts/.venv) with onnx, onnxruntime and numpy.

Usage: python3 Scripts/check_qdq_export.py [--quantdash PATH_TO_BINARY] [--only TEXT]
"""
import sys

from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnx", "onnxruntime", "numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")
TOLERANCE = 0.2  # percentage points

PLANS = {
    "w8 sym channel": {"bits": 8, "scheme": "symmetric", "granularity": "channel"},
    "w8 asym tensor": {"bits": 8, "scheme": "asymmetric", "granularity": "tensor"},
    "w4 sym channel": {"bits": 4, "scheme": "symmetric", "granularity": "channel"},
    "w4 asym tensor": {"bits": 4, "scheme": "asymmetric", "granularity": "tensor"},
    "w4 sym-full tensor": {"bits": 4, "scheme": "symmetric-full", "granularity": "tensor"},
    "w8 prune |w|<=0.02": {"bits": 8, "granularity": "channel", "prune": {"threshold": 0.02}},
    "w4 asym channel 2:4": {"bits": 4, "scheme": "asymmetric", "granularity": "channel",
                            "prune": {"pattern": "2:4"}},
    "w8a8 minmax": {"bits": 8, "granularity": "channel", "activationBits": 8, "calibration": "minmax"},
    "w8a8 percentile asym": {"bits": 8, "scheme": "asymmetric", "granularity": "tensor",
                             "activationBits": 8, "calibration": "percentile"},
    "w4a8 entropy": {"bits": 4, "granularity": "channel", "activationBits": 8, "calibration": "entropy"},
    "w8a6 minmax (Clip)": {"bits": 8, "activationBits": 6},
    "w12 sym channel (int16)": {"bits": 12, "scheme": "symmetric", "granularity": "channel"},
    "w6 mean-std": {"bits": 6, "scheme": "mean-std", "granularity": "channel"},
    "w4 kmeans (fallback)": {"bits": 4, "scheme": "kmeans"},
    "w4 nf4 group 64 (fallback)": {"bits": 4, "scheme": "nf4", "granularity": "group", "groupSize": 64},
    "w3 asym tensor bias-corr.": {"bits": 3, "scheme": "asymmetric", "granularity": "tensor",
                                  "biasCorrection": True},
    "w2 asym channel bias-corr.": {"bits": 2, "scheme": "asymmetric", "granularity": "channel",
                                   "biasCorrection": True},
    # "_flags" go to both `export` and `eval` (equalize is per layer: the flag sets it wherever it can).
    "w4 sym tensor equalized": {"bits": 4, "scheme": "symmetric", "granularity": "tensor",
                                "_flags": ["--equalize"]},
    "w3 asym tensor eq. + bc": {"bits": 3, "scheme": "asymmetric", "granularity": "tensor",
                                "_flags": ["--equalize", "--bias-correction"]},
    "w2 asym channel learned": {"bits": 2, "scheme": "asymmetric", "granularity": "channel",
                                "rounding": "learned"},
    "w3 sym channel learned+bc": {"bits": 3, "scheme": "symmetric", "granularity": "channel",
                                  "rounding": "learned", "biasCorrection": True},
}



def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    parser.add_argument("--only", default="", help="run only the plans whose label contains this text")
    args = parser.parse_args()

    images = demo_data.read_idx(os.path.join(DEMO, "mnist-heldout-images.idx3-ubyte")).astype(np.float32) / 255.0
    labels = demo_data.read_idx(os.path.join(DEMO, "mnist-heldout-labels.idx1-ubyte")).astype(np.int64)
    images = images.reshape(-1, 1, 28, 28)

    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    header = (f"{'plan':<28} {'model':<5} {'opset':>5} {'fallbacks':<20} {'quantdash':>9} {'ORT':>7} "
              f"{'diff pp':>7} {'|NLL diff|':>10}")
    print(header)
    print("-" * len(header))
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for index, (label, default) in enumerate(PLANS.items()):
            if args.only not in label:
                continue
            plan_path = os.path.join(folder, f"plan{index}.json")
            default = dict(default)
            flags = default.pop("_flags", [])
            with open(plan_path, "w") as f:
                json.dump({"version": 1, "default": default}, f)
            for demo in ("demo-mlp", "demo-cnn"):
                model_path = os.path.join(folder, f"plan{index}-{demo}.onnx")
                run([args.quantdash, "export", "--plan", plan_path, "--format", "onnx", "--out", model_path,
                     "--model", demo, "--force"] + flags)
                ours = json.loads(run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--json"] + flags))
                our_top1 = ours["accuracy"]["top1"]

                model = onnx.load(model_path)
                onnx.checker.check_model(model, full_check=True)
                opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
                metadata = {p.key: p.value for p in model.metadata_props}
                fallbacks = metadata.get("quantdash.float_fallback_layers", "?") or "-"

                session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
                logits = session.run(None, {session.get_inputs()[0].name: images})[0]
                ort_top1 = float((logits.argmax(axis=1) == labels).mean())
                shifted = logits - logits.max(axis=1, keepdims=True)
                log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                nll_diff = abs(float(-log_softmax[np.arange(len(labels)), labels].mean()) - ours["accuracy"]["nll"])
                diff = (ort_top1 - our_top1) * 100
                ok = abs(diff) <= TOLERANCE + 1e-9
                failures += 0 if ok else 1
                print(f"{label:<28} {demo[5:]:<5} {opset:>5} {fallbacks[:20]:<20} {our_top1 * 100:>8.1f}% "
                      f"{ort_top1 * 100:>6.1f}% {diff:>+7.1f} {nll_diff:>10.1e}{'' if ok else '  FAIL'}")
    print(f"{'all plans agree' if failures == 0 else f'{failures} FAILED'} (tolerance {TOLERANCE} pp)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
