#!/usr/bin/env python3
"""Generate Tests/Fixtures/onnxruntime-qdq.json: what onnxruntime computes for affine quantization.

For fixed vectors (ties at .5, saturation, all-positive, all-zero, per-channel matrices) and each
affine scheme (symmetric, symmetric-full, asymmetric) at 4, 8 and 16 bits, per tensor and per
channel, this script computes scale and zero point with the formulas of DESIGN.md in float32,
builds a QuantizeLinear → DequantizeLinear model, runs it in onnxruntime and records the
dequantized values and the integer codes. The Swift test `OnnxRuntimeQDQTests` quantizes the
same vectors with `WeightQuantizer` and must match exactly.

Run once (it creates Scripts/.venv with onnx, onnxruntime and numpy):
    python3 Scripts/make_qdq_fixture.py
"""
import sys

from venv import ensure_venv  # Scripts/venv.py

ensure_venv(["onnx", "onnxruntime", "numpy"])

import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "onnxruntime-qdq.json")

# (bits, signed) -> ONNX element type of the quantized tensor
TYPES = {
    (4, True): TensorProto.INT4, (4, False): TensorProto.UINT4,
    (8, True): TensorProto.INT8, (8, False): TensorProto.UINT8,
    (16, True): TensorProto.INT16, (16, False): TensorProto.UINT16,
}


def code_range(scheme, bits):
    if scheme == "symmetric":
        return -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1
    if scheme == "symmetric-full":
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1


def scale_and_zero_point(block, scheme, bits):
    """DESIGN.md's formulas, in float32 like the engine."""
    qmin, qmax = code_range(scheme, bits)
    block = block.astype(np.float32)
    if scheme in ("symmetric", "symmetric-full"):
        absmax = np.float32(np.max(np.abs(block))) if block.size else np.float32(0)
        denominator = np.float32(qmax) if scheme == "symmetric" else np.float32((qmax - qmin) / 2)
        scale = absmax / denominator
        if scale == 0:
            scale = np.float32(1)
        return np.float32(scale), 0
    lo = np.float32(min(np.min(block), 0))
    hi = np.float32(max(np.max(block), 0))
    scale = (hi - lo) / np.float32(qmax - qmin)
    if scale == 0:
        scale = np.float32(1)
    zero_point = int(np.clip(qmin - np.rint(lo / np.float32(scale)), qmin, qmax))
    return np.float32(scale), zero_point


def run_qdq(x, scales, zero_points, bits, signed, axis):
    qtype = TYPES[(bits, signed)]
    per_axis = axis is not None
    dims = [len(scales)] if per_axis else []
    scale_init = helper.make_tensor("scale", TensorProto.FLOAT, dims, [float(s) for s in scales])
    zp_init = helper.make_tensor("zp", qtype, dims, [int(z) for z in zero_points])
    attrs = {"axis": axis} if per_axis else {}
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zp"], ["q"], **attrs),
        helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["y"], **attrs),
    ]
    graph = helper.make_graph(
        nodes, "qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(x.shape))],
        [scale_init, zp_init])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x.astype(np.float32)})[0]


def vectors():
    rng = np.random.default_rng(20261123)
    yield "normal-64", rng.standard_normal(64).astype(np.float32).reshape(1, 64)
    # Exact ties for symmetric 8-bit: max |x| = 127 gives scale 1, so x / scale = x.
    yield "ties-127", np.array([[127, 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 0]], np.float32)
    yield "positive", (rng.random(32).astype(np.float32) * 3 + 0.25).reshape(1, 32)
    yield "negative", (-rng.random(32).astype(np.float32) * 2 - 0.1).reshape(1, 32)
    yield "heavy-tail", (rng.standard_t(2, 48).astype(np.float32)).reshape(1, 48)
    yield "zeros", np.zeros((1, 8), np.float32)
    channels = rng.standard_normal((4, 16)).astype(np.float32) * np.array([[0.01], [0.1], [1], [10]], np.float32)
    yield "channels-4x16", channels


def main():
    cases = []
    for name, matrix in vectors():
        for scheme in ("symmetric", "symmetric-full", "asymmetric"):
            for bits in (4, 8, 16):
                for granularity in ("tensor", "channel"):
                    if granularity == "channel" and matrix.shape[0] == 1:
                        continue
                    signed = scheme != "asymmetric"
                    blocks = [matrix] if granularity == "tensor" else list(matrix)
                    params = [scale_and_zero_point(b, scheme, bits) for b in blocks]
                    scales = [p[0] for p in params]
                    zero_points = [p[1] for p in params]
                    axis = 0 if granularity == "channel" else None
                    y = run_qdq(matrix, scales, zero_points, bits, signed, axis)
                    scale_per_element = np.array(scales, np.float32)[:, None] if axis == 0 else np.float32(scales[0])
                    zp_per_element = np.array(zero_points)[:, None] if axis == 0 else zero_points[0]
                    codes = np.rint(y / scale_per_element).astype(np.int64) + zp_per_element
                    cases.append({
                        "name": f"{name} {scheme} {bits}-bit per-{granularity}",
                        "scheme": scheme, "bits": bits, "granularity": granularity,
                        "shape": list(matrix.shape),
                        "input": [float(v) for v in matrix.flatten()],
                        "scales": [float(s) for s in scales],
                        "zeroPoints": zero_points,
                        "codes": [int(c) for c in np.broadcast_to(codes, matrix.shape).flatten()],
                        "dequantized": [float(v) for v in y.flatten()],
                    })
    fixture = {
        "generator": "Scripts/make_qdq_fixture.py",
        "onnxruntime": ort.__version__, "onnx": onnx.__version__, "opset": 21,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
