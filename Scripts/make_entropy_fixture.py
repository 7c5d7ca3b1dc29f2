#!/usr/bin/env python3
"""Generate Tests/Fixtures/modelopt-entropy.json: NVIDIA's entropy calibration on fixed histograms.

The oracle is `_compute_amax_entropy` of NVIDIA ModelOpt (`modelopt.torch.quantization.calib.
histogram`, the maintained successor of TensorRT's pytorch-quantization calibrator): the KL
search TensorRT's entropy calibration is reproduced from, with the zero bin replaced by its
neighbour. The script installs ModelOpt without its dependencies (torch and CUDA are not needed
for this pure-numpy function), reads the function's source from the installed package and runs
it unchanged, with `scipy.stats.entropy` wrapped to record every candidate's divergence and
`torch.tensor` replaced by the identity (its last line only wraps the result).

Histograms are built the way `ActivationCalibrator` builds them for one batch: 2048 bins of |x|
over [0, max |x|], bin = ⌊|x| / max · 2048⌋ in float32, the maximum in the last bin. Passing the
integer edges 0…2048 makes the returned amax the number of bins kept. Cases:
- conv1_output of the demo CNN (run in onnxruntime) on the 256 calibration images, the training
  split's images ⌊i · 4000 / 256⌋, pixels / 255;
- seeded synthetic data: Gaussian, Laplace, ReLU'd Gaussian (unsigned), a Gaussian with one
  outlier, and a spiky mixture (most values on a few constants, as a conv layer's bias on blank
  input, plus a sparse wide tail).
The Swift test `ModelOptEntropyTests` runs `ActivationCalibrator.entropyBinsKept` on the same
histograms and must pick the same bin and agree on every divergence.

Run once (it creates Scripts/.venv with onnx, onnxruntime, numpy, scipy and ModelOpt):
    python3 Scripts/make_entropy_fixture.py
"""
import sys

from venv import ensure_venv  # Scripts/venv.py

ensure_venv(["onnx", "onnxruntime", "numpy", "scipy"], without_dependencies={"nvidia-modelopt==0.47.0": "modelopt"})

import ast  # noqa: E402
import collections  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import scipy.stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "modelopt-entropy.json")
BIN_COUNT = 2048


def load_modelopt_entropy():
    """ModelOpt's `_compute_amax_entropy`, compiled from the installed source, plus its divergence log."""
    spec = importlib.util.find_spec("modelopt")
    path = os.path.join(os.path.dirname(spec.origin), "torch", "quantization", "calib", "histogram.py")
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_compute_amax_entropy")
    divergences = []

    def recording_entropy(pk, qk):
        value = scipy.stats.entropy(pk, qk)
        divergences.append(float(value))
        return value

    namespace = {
        "np": np, "Counter": collections.Counter, "entropy": recording_entropy,
        "torch": types.SimpleNamespace(tensor=lambda value: value),
    }
    exec(compile(ast.Module(body=[function], type_ignores=[]), path, "exec"), namespace)
    return namespace["_compute_amax_entropy"], divergences



def conv1_output():
    images = demo_data.read_idx(os.path.join(DEMO, "mnist-train-images.idx3-ubyte")).astype(np.float32) / 255.0
    chosen = images[[i * 4000 // 256 for i in range(256)]].reshape(-1, 1, 28, 28)
    model = onnx.load(os.path.join(DEMO, "demo-cnn.onnx"))
    model.graph.output.append(onnx.helper.make_tensor_value_info("conv1_output", onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["conv1_output"], {session.get_inputs()[0].name: chosen})[0]


def histogram(values):
    """`ActivationCalibrator`'s histogram of one batch, in float32 like the engine."""
    magnitudes = np.abs(values.astype(np.float32).ravel())
    bound = np.float32(magnitudes.max())
    position = magnitudes / bound * np.float32(BIN_COUNT)
    bins = np.where(position < BIN_COUNT, position.astype(np.int64), BIN_COUNT - 1)
    return np.bincount(bins, minlength=BIN_COUNT), bound


def datasets():
    yield "demo-cnn conv1_output", conv1_output()
    rng = np.random.default_rng(20261123)
    yield "gaussian", rng.standard_normal(100_000)
    yield "laplace", rng.laplace(size=100_000)
    yield "relu-gaussian", np.maximum(rng.standard_normal(100_000), 0)
    yield "gaussian-with-outlier", np.append(rng.standard_normal(100_000), 100.0)
    spikes = np.repeat(np.array([0.0, 0.02, -0.05, 0.09, -0.15, 0.2, 0.24]), 12_000)
    yield "spiky", np.concatenate([spikes, 1.2 * rng.standard_normal(16_000)])


def main():
    compute_amax_entropy, divergences = load_modelopt_entropy()
    cases = []
    for name, values in datasets():
        counts, bound = histogram(values)
        unsigned = bool(values.min() >= 0)
        for bits in (8, 4, 16):
            divergences.clear()
            kept = compute_amax_entropy(counts.copy(), np.arange(BIN_COUNT + 1), bits, unsigned)
            cases.append({
                "name": f"{name} {bits}-bit", "bits": bits, "isUnsigned": unsigned,
                "upperBound": float(bound), "histogram": [int(c) for c in counts],
                "binsKept": int(kept),
                # KL(P ‖ Q) for kept = 128, 129, …, 2048; null where infinite.
                "divergences": [round(d, 12) if math.isfinite(d) else None for d in divergences],
            })
            print(f"{cases[-1]['name']}: keeps {kept} bins, T = {kept * float(bound) / BIN_COUNT:.6f}")
    fixture = {
        "generator": "Scripts/make_entropy_fixture.py",
        "modelopt": importlib.metadata.version("nvidia-modelopt"),
        "onnxruntime": ort.__version__, "numpy": np.__version__,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
