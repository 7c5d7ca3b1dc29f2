#!/usr/bin/env python3
"""Measure post-training corrections (issue 17, point 1) on the demo models.

For both demo models, weight-only plans at 4, 3 and 2 bits (asymmetric and symmetric per-tensor,
asymmetric and symmetric per-channel), runs `quantdash eval --plan PLAN --json` plain and with each
correction in VARIANTS (`--bias-correction`, `--equalize` (cross-layer equalization), both,
`--learned-rounding`, learned rounding with bias correction; calibration: the demo's 256 training
images) and prints a Markdown table of held-out top-1, mean NLL and wall time per run (the
learned-rounding runs include their optimisation). Standard library only.

Usage: python3 Scripts/measure_corrections.py [--quantdash PATH_TO_BINARY] [--variants bc,eq,eq+bc,ar,ar+bc]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMES = [("asymmetric", "tensor"), ("symmetric", "tensor"), ("asymmetric", "channel"), ("symmetric", "channel")]
# Column label → extra eval flags.
VARIANTS = {
    "bc": ["--bias-correction"],
    "eq": ["--equalize"],
    "eq+bc": ["--equalize", "--bias-correction"],
    "ar": ["--learned-rounding"],
    "ar+bc": ["--learned-rounding", "--bias-correction"],
}


def evaluate(quantdash, model, plan, extra):
    command = [quantdash, "eval", "--model", model, "--plan", plan, "--json"] + extra
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    summary = json.loads(result.stdout)
    return summary["accuracy"]["top1"], summary["accuracy"]["nll"], summary["floatAccuracy"]["top1"], seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    args = parser.parse_args()
    variants = [name for name in args.variants.split(",") if name]
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    header = "| model | bits | weights | float | top-1 (s) |"
    rule = "|---|---:|---|---:|---:|"
    for name in variants:
        header += f" top-1 {name} (s) | Δ pt |"
        rule += "---:|---:|"
    print(header + " mean NLL: plain → " + " / ".join(variants) + " |")
    print(rule + "---|")
    with tempfile.TemporaryDirectory() as folder:
        for model in ["demo-mlp", "demo-cnn"]:
            for scheme, granularity in SCHEMES:
                for bits in [4, 3, 2]:
                    plan = os.path.join(folder, f"{scheme}-{granularity}-{bits}.json")
                    with open(plan, "w") as file:
                        default = {"bits": bits, "scheme": scheme, "granularity": granularity}
                        json.dump({"version": 1, "default": default}, file)
                    plain, plain_nll, float_top1, plain_seconds = evaluate(args.quantdash, model, plan, [])
                    row = (f"| {model} | {bits} | {scheme} per-{granularity} | {float_top1 * 100:.2f} % "
                           f"| {plain * 100:.2f} % ({plain_seconds:.1f}) |")
                    nlls = []
                    for name in variants:
                        top1, nll, _, seconds = evaluate(args.quantdash, model, plan, VARIANTS[name])
                        row += f" {top1 * 100:.2f} % ({seconds:.1f}) | {(top1 - plain) * 100:+.2f} |"
                        nlls.append(f"{nll:.4f}")
                    print(row + f" {plain_nll:.4f} → " + " / ".join(nlls) + " |", flush=True)


if __name__ == "__main__":
    main()
