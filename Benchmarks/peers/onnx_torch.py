"""A PyTorch `nn.Module` built from an ONNX model's graph and initializers.

What a notebook user would have: every Gemm becomes an `nn.Linear` and every Conv an
`nn.Conv2d` holding the ONNX initializers as parameters; the other nodes (Relu, MaxPool, Flatten,
Add, GlobalAveragePool) are applied functionally in graph order. Only the ops and attributes the
demo models (and the synthetic ResNet-18) use are supported; anything else raises `ValueError`
naming the node, so a silent mismatch with onnxruntime is impossible.
"""
import math

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper


def _attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _symmetric_pads(name, pads):
    half = len(pads) // 2
    if list(pads[:half]) != list(pads[half:]):
        raise ValueError(f"node {name}: asymmetric pads {list(pads)} are not supported")
    return tuple(pads[:half])


class OnnxModule(torch.nn.Module):
    """The ONNX graph `model` (an `onnx.ModelProto`) as a PyTorch module with one input and one output.

    `layers` maps each Gemm/Conv node name to its `nn.Linear`/`nn.Conv2d` (graph order), which is
    what a quantization loop edits.
    """

    def __init__(self, model):
        super().__init__()
        graph = model.graph
        if len(graph.output) != 1:
            raise ValueError("only single-output graphs are supported")
        weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        feeds = [i.name for i in graph.input if i.name not in weights]
        if len(feeds) != 1:
            raise ValueError(f"expected one data input, found {feeds}")
        self.input_name = feeds[0]
        self.output_name = graph.output[0].name
        self.layers = {}  # a plain dict: ONNX node names may contain "." (ModuleDict keys may not)
        self.layer_list = torch.nn.ModuleList()  # registers the layers' parameters
        self.steps = []  # (op, node name, input names, output name, attributes)
        for node in graph.node:
            attrs = _attributes(node)
            if node.op_type in ("Gemm", "Conv"):
                if node.name in self.layers:
                    raise ValueError(f"node name {node.name} is not unique")
                build = self._linear if node.op_type == "Gemm" else self._conv
                self.layers[node.name] = build(node, attrs, weights)
                self.layer_list.append(self.layers[node.name])
            elif node.op_type not in ("Relu", "MaxPool", "Flatten", "Add", "GlobalAveragePool"):
                raise ValueError(f"node {node.name}: op {node.op_type} is not supported")
            self.steps.append((node.op_type, node.name, list(node.input), node.output[0], attrs))

    @staticmethod
    def _linear(node, attrs, weights):
        if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0 or attrs.get("transA", 0):
            raise ValueError(f"node {node.name}: only Gemm with alpha = beta = 1, transA = 0 is supported")
        weight = weights[node.input[1]]
        if not attrs.get("transB", 0):
            weight = weight.T
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=len(node.input) > 2)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.array(weight, dtype=np.float32)))
            if layer.bias is not None:
                layer.bias.copy_(torch.from_numpy(np.array(weights[node.input[2]], dtype=np.float32)))
        return layer

    @staticmethod
    def _conv(node, attrs, weights):
        weight = weights[node.input[1]]
        if weight.ndim != 4:
            raise ValueError(f"node {node.name}: only 2-D convolutions are supported")
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise ValueError(f"node {node.name}: auto_pad is not supported")
        group = attrs.get("group", 1)
        layer = torch.nn.Conv2d(
            weight.shape[1] * group, weight.shape[0], tuple(weight.shape[2:]),
            stride=tuple(attrs.get("strides", [1, 1])),
            padding=_symmetric_pads(node.name, attrs.get("pads", [0, 0, 0, 0])),
            dilation=tuple(attrs.get("dilations", [1, 1])), groups=group, bias=len(node.input) > 2)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.array(weight, dtype=np.float32)))
            if layer.bias is not None:
                layer.bias.copy_(torch.from_numpy(np.array(weights[node.input[2]], dtype=np.float32)))
        return layer

    def forward(self, x):
        values = {self.input_name: x}
        for op, name, inputs, output, attrs in self.steps:
            first = values[inputs[0]]
            if op in ("Gemm", "Conv"):
                if op == "Gemm" and first.dim() != 2:
                    raise ValueError(f"node {name}: Gemm input must be 2-D")
                result = self.layers[name](first)
            elif op == "Relu":
                result = F.relu(first)
            elif op == "MaxPool":
                if attrs.get("ceil_mode", 0) or attrs.get("dilations", [1, 1]) != [1, 1]:
                    raise ValueError(f"node {name}: MaxPool ceil_mode/dilations are not supported")
                kernel = tuple(attrs["kernel_shape"])
                result = F.max_pool2d(first, kernel, stride=tuple(attrs.get("strides", kernel)),
                                      padding=_symmetric_pads(name, attrs.get("pads", [0, 0, 0, 0])))
            elif op == "Flatten":
                result = first.reshape(math.prod(first.shape[:attrs.get("axis", 1)]), -1)
            elif op == "Add":
                result = first + values[inputs[1]]
            else:  # GlobalAveragePool
                result = first.mean(dim=(2, 3), keepdim=True)
            values[output] = result
        return values[self.output_name]


def load(path):
    """The ONNX model at `path` as an `OnnxModule` in eval mode."""
    return OnnxModule(onnx.load(path)).eval()
