#!/usr/bin/env python3
"""Measure post-training corrections (issue 17, point 1) on the demo models.

For both demo models, weight-only plans at 4, 3 and 2 bits (asymmetric and symmetric per-tensor,
asymmetric and symmetric per-channel), runs `quantdash eval --plan PLAN --json` plain, with
`--bias-correction`, with `--equalize` (cross-layer equalization) and with both (calibration: the
demo's 256 training images) and prints a Markdown table of held-out top-1 and mean NLL.
Standard library only.

Usage: python3 Scripts/measure_corrections.py [--quantdash PATH_TO_BINARY]
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMES = [("asymmetric", "tensor"), ("symmetric", "tensor"), ("asymmetric", "channel"), ("symmetric", "channel")]
VARIANTS = [[], ["--bias-correction"], ["--equalize"], ["--equalize", "--bias-correction"]]


def evaluate(quantdash, model, plan, extra):
    command = [quantdash, "eval", "--model", model, "--plan", plan, "--json"] + extra
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    summary = json.loads(result.stdout)
    return summary["accuracy"]["top1"], summary["accuracy"]["nll"], summary["floatAccuracy"]["top1"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    args = parser.parse_args()
    print("| model | bits | weights | float | top-1 | bias corr. | equalized | eq. + bias corr. "
          "| mean NLL: plain / bc / eq / eq+bc |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as folder:
        for model in ["demo-mlp", "demo-cnn"]:
            for scheme, granularity in SCHEMES:
                for bits in [4, 3, 2]:
                    plan = os.path.join(folder, f"{scheme}-{granularity}-{bits}.json")
                    with open(plan, "w") as file:
                        default = {"bits": bits, "scheme": scheme, "granularity": granularity}
                        json.dump({"version": 1, "default": default}, file)
                    results = [evaluate(args.quantdash, model, plan, extra) for extra in VARIANTS]
                    float_top1 = results[0][2]
                    tops = " | ".join(f"{top1 * 100:.2f} %" for top1, _, _ in results)
                    nlls = " / ".join(f"{nll:.4f}" for _, nll, _ in results)
                    print(f"| {model} | {bits} | {scheme} per-{granularity} | {float_top1 * 100:.2f} % "
                          f"| {tops} | {nlls} |", flush=True)


if __name__ == "__main__":
    main()
