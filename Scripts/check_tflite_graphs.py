#!/usr/bin/env python3
"""Check `quantdash export --format tflite` on the operators real CNNs use, in the LiteRT interpreter.

The demo models (Scripts/check_tflite_export.py) have only Conv, Gemm, Relu, MaxPool and Flatten.
ResNets, MobileNets, DenseNets and the ONNX model zoo's classic CNNs also have BatchNormalization
left unfolded, MaxPool with pads, ReLU6 as Clip with Constant bounds (as PyTorch writes it),
depthwise and grouped convolutions, residual Adds, per-channel Mul, Concat, LRN, Sum/Mean, average
pooling that does not count its pads, global pooling, Sigmoid/Tanh/LeakyRelu/HardSwish and Softmax
over a non-last axis of extent-1 trailing axes; torchvision's SqueezeNet/GoogLeNet/MobileNetV3/
MnasNet add ceil-mode pooling, a HardSigmoid gate and a spatial ReduceMean. This script builds four
small graphs with those operators (`onnx.helper`, seeded random weights, 3×32×32 inputs; one in
opset 10 for the attribute form of Clip and the flattened Softmax), exports each with two plans (4-bit asymmetric per-channel
weights; 8-bit asymmetric weights with 8-bit activations: QUANTIZE/DEQUANTIZE around the new
operators), runs the file in LiteRT on 8 random inputs and compares with `quantdash eval --plan
--save-outputs`: the outputs must agree within 1e-4 of their largest magnitude (float arithmetic in
another order) and every top-1 must be the same. A graph the export refuses fails the check.

Creates its own venv (Scripts/.venv-tflite) with tflite, ai-edge-litert, onnx and numpy.

Usage: python3 Scripts/check_tflite_graphs.py [--quantdash PATH_TO_BINARY]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-tflite"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["tflite", "ai-edge-litert", "numpy", "onnx"])

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ROOT = os.path.dirname(HERE)
RELATIVE_TOLERANCE = 1e-4
PLANS = {
    "w4 asym channel": {"default": {"bits": 4, "scheme": "asymmetric", "granularity": "channel"}},
    "w8 asym a8": {"default": {"bits": 8, "scheme": "asymmetric", "granularity": "channel", "activationBits": 8}},
}


class Builder:
    """Nodes and seeded initializers of one graph."""

    def __init__(self, seed):
        self.random = np.random.default_rng(seed)
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, array, prefix="c"):
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def node(self, op, inputs, **attributes):
        output = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def conv(self, x, cin, cout, kernel=3, stride=1, pad=1, group=1, bias=True):
        fan_in = cin // group * kernel * kernel
        w = self.constant(self.random.normal(0, (2 / fan_in) ** 0.5, (cout, cin // group, kernel, kernel)), "w")
        inputs = [x, w] + ([self.constant(self.random.normal(0, 0.1, cout), "b")] if bias else [])
        return self.node("Conv", inputs, kernel_shape=[kernel, kernel], strides=[stride, stride],
                         pads=[pad] * 4, group=group)

    def batch_norm(self, x, channels):
        parameters = [self.random.uniform(0.5, 1.5, channels), self.random.normal(0, 0.1, channels),
                      self.random.normal(0, 0.1, channels), self.random.uniform(0.5, 1.5, channels)]
        return self.node("BatchNormalization", [x] + [self.constant(p) for p in parameters], epsilon=1e-5)

    def constant_node(self, value):
        output = self.name("const")
        tensor = numpy_helper.from_array(np.asarray(value, dtype=np.float32), output + "_value")
        self.nodes.append(helper.make_node("Constant", [], [output], name=output, value=tensor))
        return output

    def model(self, name, output, classes, opset):
        graph = helper.make_graph(
            self.nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["N", classes])], self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 7
        onnx.checker.check_model(model)
        return model


def resnet_like():
    """Strided stem, unfolded BatchNorm, padded MaxPool, a residual block, GlobalAveragePool, Gemm."""
    b = Builder(1)
    x = b.node("Relu", [b.batch_norm(b.conv("x", 3, 16, kernel=7, stride=2, pad=3, bias=False), 16)])
    x = b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    y = b.node("Relu", [b.batch_norm(b.conv(x, 16, 16, bias=False), 16)])
    y = b.batch_norm(b.conv(y, 16, 16, bias=False), 16)
    x = b.node("Relu", [b.node("Add", [y, x])])
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x])])
    w = b.constant(b.random.normal(0, 0.3, (10, 16)))
    x = b.node("Gemm", [x, w, b.constant(b.random.normal(0, 0.1, 10))], transB=1)
    return b.model("resnet-like", b.node("Softmax", [x], axis=1), 10, 13)


def mobilenet_like():
    """ReLU6 as Clip with Constant bounds, depthwise strided Conv, per-channel Mul by a constant,
    Sigmoid gating (squeeze-excitation style), Tanh, LeakyRelu, HardSwish, GlobalMaxPool."""
    b = Builder(2)
    low, high = b.constant_node(0.0), b.constant_node(6.0)
    x = b.node("Clip", [b.conv("x", 3, 24, stride=2), low, high])
    x = b.node("Clip", [b.conv(x, 24, 24, stride=2, group=24), low, high])
    x = b.conv(x, 24, 32, kernel=1, pad=0)
    x = b.node("Mul", [x, b.constant(b.random.uniform(0.5, 1.5, (1, 32, 1, 1)))])
    gate = b.node("Sigmoid", [b.conv(b.node("GlobalAveragePool", [x]), 32, 32, kernel=1, pad=0)])
    x = b.node("Mul", [x, gate])
    x = b.node("Add", [b.node("Tanh", [x]), b.node("LeakyRelu", [x], alpha=0.1)])
    x = b.node("HardSwish", [b.node("Sub", [x, b.constant(0.25)])])
    x = b.node("Flatten", [b.node("GlobalMaxPool", [x])])
    w = b.constant(b.random.normal(0, 0.3, (10, 32)))
    return b.model("mobilenet-like", b.node("Gemm", [x, w, b.constant(np.zeros(10))], transB=1), 10, 14)


def zoo_like():
    """Opset 10, as the model zoo's AlexNet/Inception/SqueezeNet: LRN, a grouped Conv, Clip with
    attributes, an Inception-style Concat of a 1×1 Conv and an AveragePool that does not count its
    pads, Sum and Mean, and Softmax over axis 1 of [N, C, 1, 1] (the flattened opset-10 form)."""
    b = Builder(3)
    x = b.node("Relu", [b.conv("x", 3, 16, stride=2)])
    x = b.node("LRN", [x], size=5, alpha=1e-3, beta=0.75, bias=2.0)
    x = b.node("Clip", [b.conv(x, 16, 32, group=4)], min=0.0, max=4.0)
    branch = b.conv(x, 32, 16, kernel=1, pad=0)
    pooled = b.conv(b.node("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                           count_include_pad=0), 32, 16, kernel=1, pad=0)
    x = b.node("Concat", [branch, pooled], axis=1)
    x = b.node("Sum", [x, b.node("Relu", [x]), b.node("Tanh", [x])])
    x = b.node("Mean", [x, b.node("Relu", [x])])
    x = b.conv(b.node("GlobalAveragePool", [x]), 32, 10, kernel=1, pad=0)
    x = b.node("Softmax", [x], axis=1)
    return b.model("zoo-like", b.node("Flatten", [x]), 10, 10)


def torchvision_like():
    """What torchvision's SqueezeNet, GoogLeNet, MobileNetV3 and MnasNet export: MaxPool and
    AveragePool (pads not counted) in ceil mode on odd extents, a squeeze-excitation gate with
    HardSigmoid multiplying [N, C, 1, 1] into [N, C, H, W], HardSwish, and ReduceMean over the
    spatial axes without keepdims (`x.mean([2, 3])`) before the Gemm."""
    b = Builder(4)
    x = b.node("Relu", [b.conv("x", 3, 16, stride=2)])
    x = b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    gate = b.node("Relu", [b.conv(b.node("GlobalAveragePool", [x]), 16, 8, kernel=1, pad=0)])
    gate = b.node("HardSigmoid", [b.conv(gate, 8, 16, kernel=1, pad=0)], alpha=1 / 6, beta=0.5)
    x = b.node("HardSwish", [b.node("Mul", [x, gate])])
    x = b.node("AveragePool", [b.conv(x, 16, 24)], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1,
               count_include_pad=0)
    x = b.node("ReduceMean", [x], axes=[2, 3], keepdims=0)
    w = b.constant(b.random.normal(0, 0.3, (10, 24)))
    return b.model("torchvision-like", b.node("Gemm", [x, w, b.constant(np.zeros(10))], transB=1), 10, 14)


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def litert_outputs(path, inputs):
    interpreter = Interpreter(model_path=path)
    source = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(source["index"], list(inputs.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], inputs)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    args = parser.parse_args()
    failures = 0
    print(f"{'graph':<15} {'plan':<16} {'ops':>4}  {'max |diff| / max |out|':>22}  top-1  operators")
    with tempfile.TemporaryDirectory() as folder:
        inputs = np.random.default_rng(0).normal(0, 1, (8, 3, 32, 32)).astype(np.float32)
        data = os.path.join(folder, "data.npz")
        np.savez(data, x=inputs)
        for build in (resnet_like, mobilenet_like, zoo_like, torchvision_like):
            model = build()
            model_path = os.path.join(folder, f"{model.graph.name}.onnx")
            onnx.save(model, model_path)
            for label, plan in PLANS.items():
                plan_path = os.path.join(folder, "plan.json")
                with open(plan_path, "w") as f:
                    json.dump({"version": 1, **plan}, f)
                path = os.path.join(folder, f"{model.graph.name}.tflite")
                common = ["--model", model_path, "--data", data, "--plan", plan_path]
                try:
                    run([args.quantdash, "export", *common, "--calibration", data, "--format", "tflite",
                         "--out", path, "--force"])
                except RuntimeError as error:
                    failures += 1
                    print(f"{model.graph.name:<15} {label:<16} FAIL: {str(error).strip().splitlines()[-1]}")
                    continue
                ours_path = os.path.join(folder, "ours.npy")
                run([args.quantdash, "eval", *common, "--calibration", data, "--save-outputs", ours_path])
                ours = np.load(ours_path).reshape(len(inputs), -1)
                theirs = litert_outputs(path, inputs).reshape(len(inputs), -1)
                relative = float(np.abs(ours - theirs).max() / max(np.abs(ours).max(), 1e-12))
                same = bool((ours.argmax(1) == theirs.argmax(1)).all())
                ok = relative <= RELATIVE_TOLERANCE and same
                failures += 0 if ok else 1
                kinds = sorted({n.op_type for n in model.graph.node})
                print(f"{model.graph.name:<15} {label:<16} {len(model.graph.node):>4}  {relative:>22.2e}  "
                      f"{'same' if same else 'DIFF'}   {' '.join(kinds)}{'' if ok else '  FAIL'}")
    print("all graphs agree" if failures == 0 else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
