#!/usr/bin/env python3
"""Measure post-training corrections (issue 17, point 1) on the demo models.

For both demo models, weight-only plans at 4, 3 and 2 bits (asymmetric per-tensor, asymmetric
per-channel, symmetric per-channel), runs `quantdash eval --plan PLAN --json` with and without
`--bias-correction` (calibration: the demo's 256 training images) and prints a Markdown table
of held-out top-1 and mean NLL. Standard library only.

Usage: python3 Scripts/measure_corrections.py [--quantdash PATH_TO_BINARY]
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMES = [("asymmetric", "tensor"), ("asymmetric", "channel"), ("symmetric", "channel")]


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
    print("| model | bits | weights | float | top-1 | top-1 corrected | Δ pt | mean NLL → corrected |")
    print("|---|---:|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as folder:
        for model in ["demo-mlp", "demo-cnn"]:
            for scheme, granularity in SCHEMES:
                for bits in [4, 3, 2]:
                    plan = os.path.join(folder, f"{scheme}-{granularity}-{bits}.json")
                    with open(plan, "w") as file:
                        default = {"bits": bits, "scheme": scheme, "granularity": granularity}
                        json.dump({"version": 1, "default": default}, file)
                    plain, plain_nll, float_top1 = evaluate(args.quantdash, model, plan, [])
                    fixed, fixed_nll, _ = evaluate(args.quantdash, model, plan, ["--bias-correction"])
                    print(f"| {model} | {bits} | {scheme} per-{granularity} | {float_top1 * 100:.2f} % "
                          f"| {plain * 100:.2f} % | {fixed * 100:.2f} % | {(fixed - plain) * 100:+.2f} "
                          f"| {plain_nll:.4f} → {fixed_nll:.4f} |", flush=True)


if __name__ == "__main__":
    main()
