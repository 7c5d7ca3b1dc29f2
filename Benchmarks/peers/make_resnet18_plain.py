#!/usr/bin/env python3
"""Write a ResNet-18-sized convolution stack without shortcuts, for the integer benchmark.

quantdash's integer model runs Conv, Gemm, MatMul, MaxPool, AveragePool, Add of one scale, Relu,
Clip, Flatten and Reshape (IntegerLowering.supportedOperators). ResNet-18's residual Adds join two
differently quantized activations and its head is a GlobalAveragePool, so the model
make_resnet18.py writes has no integer form. This one keeps ResNet-18's convolutions, in order and
with the same shapes (7x7/2 stem with 64 channels, 3x3/2 max pool, four stages of four 3x3 convs
with 64/128/256/512 channels, the first of stages 2-4 with stride 2; the three 1x1 projection
convs are dropped with the shortcuts), then a 7x7 AveragePool, Flatten and a 1000-way Gemm: 1.80
GMAC per 224x224 image (ResNet-18: 1.82). Each Conv has a bias (a folded BatchNorm) and a
Relu. Weights He-normal (fan in) from a fixed seed, so activations keep their scale through the
17 layers; biases N(0, 0.01).

Data: `resnet18-plain-data.npz` with `x` float32 [N, 3, 224, 224] (standard normal) and `y`
int64 [N] (uniform in 0..999). Needs onnx and numpy only (Scripts/.venv, or QUANTDASH_VENV).

Usage: python3 Benchmarks/peers/make_resnet18_plain.py --out DIR [--images 64] [--seed 0]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "Scripts")))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py: Scripts/.venv or QUANTDASH_VENV)

ensure_venv(["onnx", "numpy"])

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def build(seed):
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    value, channels, index = "input", 3, 0

    def conv(outputs, kernel, stride, name):
        nonlocal value, channels
        fan_in = channels * kernel * kernel
        weight = (rng.standard_normal((outputs, channels, kernel, kernel)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        bias = (rng.standard_normal(outputs) * 0.01).astype(np.float32)
        inits.extend([numpy_helper.from_array(weight, name + ".weight"), numpy_helper.from_array(bias, name + ".bias")])
        pad = kernel // 2
        nodes.append(helper.make_node("Conv", [value, name + ".weight", name + ".bias"], [name + "_out"], name=name,
                                      kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("Relu", [name + "_out"], [name + "_relu"], name=name + "_relu"))
        value, channels = name + "_relu", outputs

    conv(64, 7, 2, "conv1")
    nodes.append(helper.make_node("MaxPool", [value], ["pool"], name="maxpool", kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    value = "pool"
    for stage, width in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            for layer in (1, 2):
                stride = 2 if stage > 1 and block == 0 and layer == 1 else 1
                conv(width, 3, stride, f"layer{stage}.{block}.conv{layer}")
                index += 1
    nodes.append(helper.make_node("AveragePool", [value], ["avg"], name="avgpool", kernel_shape=[7, 7]))
    nodes.append(helper.make_node("Flatten", ["avg"], ["flat"], name="flatten", axis=1))
    fc = (rng.standard_normal((1000, 512)) * np.sqrt(1.0 / 512)).astype(np.float32)
    inits.extend([numpy_helper.from_array(fc, "fc.weight"),
                  numpy_helper.from_array((rng.standard_normal(1000) * 0.01).astype(np.float32), "fc.bias")])
    nodes.append(helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "resnet18-plain",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="quantdash-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = build(args.seed)
    onnx.save(model, os.path.join(args.out, "resnet18-plain.onnx"))
    rng = np.random.default_rng(args.seed + 1)
    x = rng.standard_normal((args.images, 3, 224, 224)).astype(np.float32)
    y = rng.integers(0, 1000, args.images).astype(np.int64)
    np.savez(os.path.join(args.out, "resnet18-plain-data.npz"), x=x, y=y)
    convs = sum(1 for n in model.graph.node if n.op_type == "Conv")
    print(f"wrote {args.out}/resnet18-plain.onnx ({convs} Conv + Gemm) and resnet18-plain-data.npz ({args.images} images)")


if __name__ == "__main__":
    main()
