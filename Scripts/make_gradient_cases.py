#!/usr/bin/env python3
"""Write the gradient cases: PyTorch's autograd on the same tensors as each ONNX graph.

Each case is a folder: model.onnx (built with onnx.helper, one operator or a small network),
test_data_set_0/input_i.pb (the graph inputs), output_0.pb (PyTorch's forward output, so the
graph and the PyTorch function are checked to compute the same thing), grad_output_0.pb (the
loss's gradient dL/dY, random) and gradient_j.pb, one per graph input or float initializer
PyTorch gives a gradient for, named after the value (dL/dvalue for L = sum(Y * dY)).
Tests/QuantCoreTests/Gradients/GraphGradientTests.swift runs them all through GraphGradients.

Covered: Gemm (transA/transB/alpha/beta, broadcast C), MatMul (2-D, 1-D, batched, broadcast
batches), Conv (bias, stride, dilation, asymmetric pads, groups, depthwise, 1-D, 1x1),
MaxPool / AveragePool (pads, ceil_mode, count_include_pad), the global pools, Relu, Clip,
LeakyRelu, Sigmoid, Tanh, Add/Sub/Mul/Div with broadcasting, Flatten, Reshape, Transpose,
Concat, BatchNormalization (inference form), LayerNormalization, Softmax / LogSoftmax (opset 13
and the flattened opset 11 form), and two networks (a CNN with a residual, a depthwise stage,
BatchNorm and Softmax; an attention-style block with MatMul, LayerNormalization and Softmax).

Usage: python3 Scripts/make_gradient_cases.py [OUT_DIR]
  (default Tests/Fixtures/gradient-cases). Runs in Benchmarks/.venv (CPU PyTorch, onnx, numpy;
  made on first use), or the venv QUANTDASH_VENV names.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ.setdefault("QUANTDASH_VENV", os.path.join(ROOT, "Benchmarks", ".venv"))
sys.path.insert(0, HERE)
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnx", "numpy", "torch==2.13.0+cpu"])

import shutil  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(7)


def rand(*shape, low=None):
    if low is not None:  # positive values away from 0 (divisors, variances)
        return RNG.uniform(low, low + 1.0, size=shape).astype(np.float32)
    return RNG.standard_normal(shape).astype(np.float32)


def write_case(out, name, nodes, inputs, function, initializers=(), constants=(), opset=13):
    """inputs/initializers: (name, array) get gradients; constants: (name, array) do not.
    function(values: dict name -> torch tensor) -> torch output tensor."""
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in list(initializers) + list(constants)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    values = {k: torch.tensor(v, requires_grad=True) for k, v in list(inputs) + list(initializers)}
    values.update({k: torch.tensor(v) for k, v in constants})
    y = function(values)
    grad_output = torch.tensor(rand(*y.shape))
    (y * grad_output).sum().backward()
    folder = os.path.join(out, name)
    shutil.rmtree(folder, ignore_errors=True)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())

    def save(file, array, tensor_name=""):
        with open(os.path.join(data, file), "wb") as f:
            f.write(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), tensor_name).SerializeToString())

    for index, (key, value) in enumerate(inputs):
        save(f"input_{index}.pb", value)
    save("output_0.pb", y.detach().numpy())
    save("grad_output_0.pb", grad_output.numpy())
    graded = [(k, values[k].grad) for k, _ in list(inputs) + list(initializers) if values[k].grad is not None]
    for index, (key, grad) in enumerate(graded):
        save(f"gradient_{index}.pb", grad.numpy(), key)
    print(f"{name}: y {tuple(y.shape)}, {len(graded)} gradients")


def node(op, inputs, outputs=("y",), **attributes):
    return helper.make_node(op, list(inputs), list(outputs), **attributes)


def single_operator_cases(out):
    x = rand(4, 5)
    write_case(out, "gemm_bias", [node("Gemm", ["a", "b", "c"])], [("a", x)],
               lambda v: v["a"] @ v["b"] + v["c"], [("b", rand(5, 3)), ("c", rand(3))])
    write_case(out, "gemm_trans_alpha_beta",
               [node("Gemm", ["a", "b", "c"], transA=1, transB=1, alpha=0.7, beta=1.3)], [("a", rand(5, 4))],
               lambda v: 0.7 * (v["a"].T @ v["b"].T) + 1.3 * v["c"], [("b", rand(3, 5)), ("c", rand(1, 3))])
    write_case(out, "gemm_no_bias", [node("Gemm", ["a", "b"], transB=1)], [("a", x)],
               lambda v: v["a"] @ v["b"].T, [("b", rand(6, 5))])
    write_case(out, "matmul_2d", [node("MatMul", ["a", "b"])], [("a", x)],
               lambda v: v["a"] @ v["b"], [("b", rand(5, 3))])
    write_case(out, "matmul_batched_weight", [node("MatMul", ["a", "b"])], [("a", rand(2, 3, 4, 5))],
               lambda v: v["a"] @ v["b"], [("b", rand(5, 6))])
    write_case(out, "matmul_broadcast_batches", [node("MatMul", ["a", "b"])],
               [("a", rand(2, 1, 4, 5)), ("b", rand(3, 5, 6))], lambda v: v["a"] @ v["b"])
    write_case(out, "matmul_vector", [node("MatMul", ["a", "b"])], [("a", rand(5)), ("b", rand(2, 5, 3))],
               lambda v: v["a"] @ v["b"])

    image = rand(2, 3, 7, 7)
    write_case(out, "conv_bias_pad", [node("Conv", ["x", "w", "b"], pads=[1, 1, 1, 1])], [("x", image)],
               lambda v: F.conv2d(v["x"], v["w"], v["b"], padding=1), [("w", rand(4, 3, 3, 3)), ("b", rand(4))])
    write_case(out, "conv_stride_dilation_asymmetric",
               [node("Conv", ["x", "w", "b"], strides=[2, 1], dilations=[1, 2], pads=[1, 0, 2, 1])], [("x", image)],
               lambda v: F.conv2d(F.pad(v["x"], (0, 1, 1, 2)), v["w"], v["b"], stride=(2, 1), dilation=(1, 2)),
               [("w", rand(5, 3, 3, 2)), ("b", rand(5))])
    write_case(out, "conv_grouped", [node("Conv", ["x", "w", "b"], group=2, pads=[1, 1, 1, 1])],
               [("x", rand(2, 4, 6, 6))], lambda v: F.conv2d(v["x"], v["w"], v["b"], padding=1, groups=2),
               [("w", rand(6, 2, 3, 3)), ("b", rand(6))])
    write_case(out, "conv_depthwise_stride2",
               [node("Conv", ["x", "w", "b"], group=4, strides=[2, 2], pads=[1, 1, 1, 1])], [("x", rand(2, 4, 7, 7))],
               lambda v: F.conv2d(v["x"], v["w"], v["b"], stride=2, padding=1, groups=4),
               [("w", rand(4, 1, 3, 3)), ("b", rand(4))])
    write_case(out, "conv_1d", [node("Conv", ["x", "w", "b"], pads=[1, 1])], [("x", rand(2, 3, 9))],
               lambda v: F.conv1d(v["x"], v["w"], v["b"], padding=1), [("w", rand(2, 3, 3)), ("b", rand(2))])
    write_case(out, "conv_pointwise_no_bias", [node("Conv", ["x", "w"])], [("x", image)],
               lambda v: F.conv2d(v["x"], v["w"]), [("w", rand(6, 3, 1, 1))])

    grid = rand(2, 3, 8, 8)
    write_case(out, "maxpool_3x3_stride2_pad1",
               [node("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])], [("x", grid)],
               lambda v: F.max_pool2d(v["x"], 3, 2, 1))
    write_case(out, "maxpool_ceil", [node("MaxPool", ["x"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)],
               [("x", rand(2, 3, 7, 7))], lambda v: F.max_pool2d(v["x"], 2, 2, ceil_mode=True))
    for include in (0, 1):
        write_case(out, f"averagepool_pad_count_include_{include}",
                   [node("AveragePool", ["x"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         count_include_pad=include)], [("x", grid)],
                   lambda v, include=include: F.avg_pool2d(v["x"], 3, 2, 1, count_include_pad=bool(include)))
    write_case(out, "global_average_pool", [node("GlobalAveragePool", ["x"])], [("x", grid)],
               lambda v: v["x"].mean(dim=(2, 3), keepdim=True))
    write_case(out, "global_max_pool", [node("GlobalMaxPool", ["x"])], [("x", grid)],
               lambda v: v["x"].amax(dim=(2, 3), keepdim=True))

    values = rand(3, 4, 5) * 4
    write_case(out, "relu", [node("Relu", ["x"])], [("x", values)], lambda v: F.relu(v["x"]))
    write_case(out, "clip_relu6", [node("Clip", ["x", "low", "high"])], [("x", values)],
               lambda v: torch.clamp(v["x"], 0.0, 6.0),
               constants=[("low", np.array(0, np.float32)), ("high", np.array(6, np.float32))])
    write_case(out, "leaky_relu", [node("LeakyRelu", ["x"], alpha=0.1)], [("x", values)],
               lambda v: F.leaky_relu(v["x"], 0.1))
    write_case(out, "sigmoid", [node("Sigmoid", ["x"])], [("x", values)], lambda v: torch.sigmoid(v["x"]))
    write_case(out, "tanh", [node("Tanh", ["x"])], [("x", values)], lambda v: torch.tanh(v["x"]))
    for op, function in (("Add", torch.add), ("Sub", torch.sub), ("Mul", torch.mul), ("Div", torch.div)):
        write_case(out, f"{op.lower()}_broadcast", [node(op, ["a", "b"])], [("a", rand(2, 3, 4, 5))],
                   lambda v, function=function: function(v["a"], v["b"]), [("b", rand(3, 1, 1, low=0.5))])
    write_case(out, "mul_both_broadcast", [node("Mul", ["a", "b"])], [("a", rand(2, 1, 5)), ("b", rand(3, 1))],
               lambda v: v["a"] * v["b"])

    write_case(out, "flatten_axis2", [node("Flatten", ["x"], axis=2)], [("x", grid)],
               lambda v: v["x"].reshape(6, 64))
    write_case(out, "reshape", [node("Reshape", ["x", "shape"])], [("x", grid)],
               lambda v: v["x"].reshape(2, 12, 16), constants=[("shape", np.array([2, 12, 16], np.int64))])
    write_case(out, "transpose_nhwc", [node("Transpose", ["x"], perm=[0, 2, 3, 1])], [("x", grid)],
               lambda v: v["x"].permute(0, 2, 3, 1))
    write_case(out, "concat_channels", [node("Concat", ["a", "b"], axis=1)],
               [("a", rand(2, 3, 4, 4)), ("b", rand(2, 5, 4, 4))], lambda v: torch.cat([v["a"], v["b"]], 1))

    mean, var = rand(3) * 0.1, rand(3, low=0.5)
    write_case(out, "batchnorm_inference", [node("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3)],
               [("x", grid)],
               lambda v: F.batch_norm(v["x"], v["m"], v["v"], v["s"], v["b"], training=False, eps=1e-3),
               [("s", rand(3)), ("b", rand(3))], constants=[("m", mean), ("v", var)])
    write_case(out, "layernorm_last_axis", [node("LayerNormalization", ["x", "s", "b"], axis=-1, epsilon=1e-5)],
               [("x", rand(2, 3, 8))], lambda v: F.layer_norm(v["x"], (8,), v["s"], v["b"], 1e-5),
               [("s", rand(8)), ("b", rand(8))], opset=17)
    write_case(out, "layernorm_two_axes", [node("LayerNormalization", ["x", "s", "b"], axis=1, epsilon=1e-5)],
               [("x", rand(2, 3, 4))], lambda v: F.layer_norm(v["x"], (3, 4), v["s"], v["b"], 1e-5),
               [("s", rand(3, 4)), ("b", rand(3, 4))], opset=17)
    write_case(out, "softmax_axis1", [node("Softmax", ["x"], axis=1)], [("x", rand(2, 5, 3))],
               lambda v: torch.softmax(v["x"], 1))
    write_case(out, "logsoftmax_last", [node("LogSoftmax", ["x"], axis=-1)], [("x", rand(2, 5, 3))],
               lambda v: torch.log_softmax(v["x"], -1))
    write_case(out, "softmax_flattened_opset11", [node("Softmax", ["x"], axis=1)], [("x", rand(2, 3, 4))],
               lambda v: torch.softmax(v["x"].reshape(2, 12), 1).reshape(2, 3, 4), opset=11)


def network_cases(out):
    """Two small networks: every parameter's gradient through a whole graph."""
    nodes = [
        node("Conv", ["x", "c1.w", "c1.b"], ["c1"], pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["c1", "bn.s", "bn.b", "bn.m", "bn.v"], ["bn"]),
        node("Relu", ["bn"], ["r1"]),
        node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["p1", "dw.w", "dw.b"], ["dw"], group=4, pads=[1, 1, 1, 1]),
        node("Clip", ["dw", "low", "high"], ["r2"]),
        node("Add", ["r2", "p1"], ["sum"]),
        node("GlobalAveragePool", ["sum"], ["gap"]),
        node("Flatten", ["gap"], ["flat"]),
        node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], transB=1),
        node("Softmax", ["logits"], ["y"], axis=1),
    ]

    def cnn(v):
        c1 = F.conv2d(v["x"], v["c1.w"], v["c1.b"], padding=1)
        bn = F.batch_norm(c1, v["bn.m"], v["bn.v"], v["bn.s"], v["bn.b"], training=False, eps=1e-5)
        p1 = F.max_pool2d(F.relu(bn), 2, 2)
        r2 = torch.clamp(F.conv2d(p1, v["dw.w"], v["dw.b"], padding=1, groups=4), 0.0, 6.0)
        gap = (r2 + p1).mean(dim=(2, 3))
        return torch.softmax(gap @ v["fc.w"].T + v["fc.b"], 1)

    write_case(out, "network_cnn", nodes, [("x", rand(3, 2, 8, 8))], cnn,
               [("c1.w", rand(4, 2, 3, 3)), ("c1.b", rand(4)), ("bn.s", rand(4)), ("bn.b", rand(4)),
                ("dw.w", rand(4, 1, 3, 3)), ("dw.b", rand(4)), ("fc.w", rand(5, 4)), ("fc.b", rand(5))],
               constants=[("bn.m", rand(4) * 0.1), ("bn.v", rand(4, low=0.5)),
                          ("low", np.array(0, np.float32)), ("high", np.array(6, np.float32))])

    nodes = [
        node("MatMul", ["x", "q.w"], ["q"]),
        node("MatMul", ["x", "k.w"], ["k"]),
        node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        node("MatMul", ["q", "kt"], ["scores"]),
        node("Mul", ["scores", "scale"], ["scaled"]),
        node("Softmax", ["scaled"], ["attention"], axis=-1),
        node("MatMul", ["attention", "x"], ["mixed"]),
        node("Add", ["mixed", "x"], ["residual"]),
        node("LayerNormalization", ["residual", "ln.s", "ln.b"], ["normalized"], axis=-1),
        node("MatMul", ["normalized", "out.w"], ["projected"]),
        node("Add", ["projected", "out.b"], ["y"]),
    ]

    def attention(v):
        scores = (v["x"] @ v["q.w"]) @ (v["x"] @ v["k.w"]).transpose(1, 2) * v["scale"]
        mixed = torch.softmax(scores, -1) @ v["x"] + v["x"]
        return F.layer_norm(mixed, (6,), v["ln.s"], v["ln.b"], 1e-5) @ v["out.w"] + v["out.b"]

    write_case(out, "network_attention", nodes, [("x", rand(2, 4, 6))], attention,
               [("q.w", rand(6, 6)), ("k.w", rand(6, 6)), ("ln.s", rand(6)), ("ln.b", rand(6)),
                ("out.w", rand(6, 3)), ("out.b", rand(3)), ("scale", np.array([0.4], np.float32))], opset=17)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "Fixtures", "gradient-cases")
    torch.manual_seed(0)
    single_operator_cases(out)
    network_cases(out)


if __name__ == "__main__":
    main()
