#!/usr/bin/env python3
"""Write single-operator cases checked by onnxruntime for forms ONNX's node cases do not cover.

Each case is a folder laid out like an ONNX backend case (model.onnx, test_data_set_0/
input_*.pb and output_*.pb); the outputs are what onnxruntime computes. Covered: Resize-10 and
Upsample (7, 9), Resize-13 nearest with every nearest_mode x coordinate mode and linear with
sizes, GroupNormalization-18 (per-group scale) and -21, InstanceNormalization, the Einsum
forms transformer exports use, 1-D/2-D ConvTranspose with groups, strides, pads, dilations and
output_padding, and TopK (smallest, ties, opset 1's attribute k).
Tests/QuantCoreTests/ONNX/ONNXRuntimeOpCaseTests.swift runs them all.

Usage: python3 Scripts/make_onnxruntime_op_cases.py [OUT_DIR]
  (default Tests/Fixtures/onnxruntime-op-cases). Creates its own venv (Scripts/.venv) with
  onnx, onnxruntime and numpy, or uses the one QUANTDASH_VENV names.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnx", "onnxruntime", "numpy"])

import shutil  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RNG = np.random.default_rng(13)


def write_case(out, name, opset, nodes, inputs, initializers=(), outputs=("y",)):
    """Builds a one-graph model, runs it in onnxruntime and writes the case folder."""
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(key, TensorProto.FLOAT, list(value.shape)) for key, value in inputs],
        [
            helper.make_tensor_value_info(output, TensorProto.INT64 if output == "indices" else TensorProto.FLOAT, None)
            for output in outputs
        ],
        [numpy_helper.from_array(value, key) for key, value in initializers],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    results = session.run(None, dict(inputs))
    folder = os.path.join(out, name)
    shutil.rmtree(folder, ignore_errors=True)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for prefix, values in (("input", [value for _, value in inputs]), ("output", results)):
        for index, value in enumerate(values):
            with open(os.path.join(data, f"{prefix}_{index}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(np.asarray(value)).SerializeToString())


def floats(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def resize_cases(out):
    x = floats(1, 2, 5, 8)
    for mode in ("nearest", "linear"):
        scales = np.array([1, 1, 0.6, 1.5] if mode == "nearest" else [1, 1, 1.5, 0.6], np.float32)
        write_case(
            out, f"resize10_{mode}", 10, [helper.make_node("Resize", ["x", "scales"], ["y"], mode=mode)],
            [("x", x)], [("scales", scales)])
    write_case(
        out, "upsample9_nearest", 9, [helper.make_node("Upsample", ["x", "scales"], ["y"], mode="nearest")],
        [("x", x)], [("scales", np.array([1, 1, 2, 3], np.float32))])
    write_case(
        out, "upsample7_linear", 7,
        [helper.make_node("Upsample", ["x"], ["y"], mode="linear", scales=[1.0, 1.0, 2.0, 2.0])], [("x", x)])
    coordinates = ("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel")
    for coordinate in coordinates:
        for rounding in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
            node = helper.make_node(
                "Resize", ["x", "", "scales"], ["y"], mode="nearest", coordinate_transformation_mode=coordinate,
                nearest_mode=rounding)
            # Scales exact in binary with integral scale · extent: onnxruntime computes coordinates
            # in float32 and align_corners from the integral output extent, ONNX's reference in
            # float64 from scale · extent, so at a rounding tie (scale 0.6) the two pick different
            # neighbours; the engine follows the reference there (the node cases check it).
            write_case(
                out, f"resize13_nearest_{coordinate}_{rounding}", 13, [node], [("x", floats(1, 2, 4, 8))],
                [("scales", np.array([1, 1, 1.75, 0.625], np.float32))])
        node = helper.make_node(
            "Resize", ["x", "", "", "sizes"], ["y"], mode="linear", coordinate_transformation_mode=coordinate)
        write_case(
            out, f"resize13_linear_sizes_{coordinate}", 13, [node], [("x", x)],
            [("sizes", np.array([1, 2, 9, 3], np.int64))])
    # 1-D linear with scales, as torch exports nn.Upsample(mode="linear").
    node = helper.make_node(
        "Resize", ["x", "", "scales"], ["y"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel")
    write_case(out, "resize13_linear_1d", 13, [node], [("x", floats(2, 3, 7))], [("scales", np.array([1, 1, 2.5], np.float32))])


def normalization_cases(out):
    x = floats(2, 6, 3, 4)
    for opset, count in ((18, 3), (21, 6)):
        write_case(
            out, f"groupnorm{opset}", opset,
            [helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], num_groups=3, epsilon=1e-3)],
            [("x", x)], [("scale", floats(count)), ("bias", floats(count))])
    write_case(
        out, "instancenorm_1d", 6, [helper.make_node("InstanceNormalization", ["x", "scale", "bias"], ["y"])],
        [("x", floats(2, 3, 10))], [("scale", floats(3)), ("bias", floats(3))])


def einsum_cases(out):
    forms = {
        "attention_scores": ("bhid,bhjd->bhij", (2, 3, 4, 5), (2, 3, 6, 5)),
        "attention_values": ("bhij,bhjd->bhid", (2, 3, 4, 6), (2, 3, 6, 5)),
        "batch_matmul": ("bij,bjk->bik", (3, 4, 5), (3, 5, 2)),
        "matmul": ("ij,jk->ik", (4, 5), (5, 3)),
        "transpose": ("ij->ji", (4, 5), None),
        "ellipsis_broadcast": ("...ij,...jk->...ik", (2, 1, 3, 4), (1, 5, 4, 6)),
        "implicit": ("ij,jk", (4, 5), (5, 3)),
        "outer": ("i,j->ij", (4,), (3,)),
        "linear": ("bsd,od->bso", (2, 3, 4), (5, 4)),
        "row_sums": ("bij->bi", (2, 3, 4), None),
    }
    for name, (equation, first, second) in forms.items():
        inputs = [("a", floats(*first))] + ([("b", floats(*second))] if second else [])
        node = helper.make_node("Einsum", [key for key, _ in inputs], ["y"], equation=equation)
        write_case(out, f"einsum_{name}", 12, [node], inputs)


def conv_transpose_cases(out):
    node = helper.make_node(
        "ConvTranspose", ["x", "w", "b"], ["y"], group=2, strides=[2], pads=[1, 2], dilations=[2],
        output_padding=[1])
    write_case(out, "convtranspose_1d_group", 13, [node], [("x", floats(2, 4, 7))], [("w", floats(4, 3, 3)), ("b", floats(6))])
    node = helper.make_node(
        "ConvTranspose", ["x", "w"], ["y"], group=3, strides=[2, 3], pads=[1, 0, 0, 2], output_padding=[1, 2])
    write_case(out, "convtranspose_2d_group", 13, [node], [("x", floats(1, 6, 4, 5))], [("w", floats(6, 2, 3, 4))])
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], kernel_shape=[4, 4], pads=[1, 1, 1, 1])
    write_case(
        out, "convtranspose_2d_upsampler", 13, [node], [("x", floats(2, 8, 5, 5))],
        [("w", floats(8, 4, 4, 4)), ("b", floats(4))])


def top_k_cases(out):
    x = np.round(floats(3, 7, 4) * 2) / 2  # halves, so several values tie
    node = helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=1, largest=0)
    write_case(out, "topk_smallest_ties", 11, [node], [("x", x)], [("k", np.array([4], np.int64))], ("values", "indices"))
    node = helper.make_node("TopK", ["x"], ["values", "indices"], k=3)
    write_case(out, "topk_opset1", 1, [node], [("x", x)], outputs=("values", "indices"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "Fixtures", "onnxruntime-op-cases")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for make in (resize_cases, normalization_cases, einsum_cases, conv_transpose_cases, top_k_cases):
        make(out)
    print(f"wrote {len(os.listdir(out))} cases to {out} (onnxruntime {ort.__version__})")


if __name__ == "__main__":
    main()
