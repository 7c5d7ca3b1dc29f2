#!/usr/bin/env python3
"""Write Tests/Fixtures/finetune-residual.onnx: a small residual CNN that `FineTuner` can train only
through the whole-graph backward pass (`GraphGradients`), trained a few epochs on the demo digits.

The graph (built with onnx.helper, BatchNormalization left as its own node, not folded):

    x [N,1,28,28] -> Conv 1->16 3x3 stride 2 pad 1 (no bias) -> BatchNormalization -> Relu   (a)
      -> Conv 16->16 3x3 depthwise (group 16) pad 1 -> BatchNormalization -> Relu
      -> Conv 16->16 1x1 -> Add(a) (the residual) -> Relu
      -> Conv 16->32 3x3 stride 2 pad 1 -> Relu -> GlobalAveragePool -> Flatten -> Gemm 32->10 -> logits

Training: PyTorch, Adam 3e-3, batch 64, 8 epochs on the 4000 training digits of the bundled demo
data (Sources/QuantCore/Resources/Demo, made from /work/shared/datasets/mnist_5k.csv.gz by
Scripts/convert_mnist.py), seed 0; the held-out top-1 on the 1000 held-out digits is printed.
BatchNormalization runs in training mode while training, and its running statistics are what
the ONNX node holds.

Usage (needs torch and onnx, e.g. Benchmarks/.venv):
    Benchmarks/.venv/bin/python Scripts/make_finetune_fixture.py [--epochs 8]
"""
import argparse
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from demo_data import ROOT, demo_split

OUT = os.path.join(ROOT, "Tests", "Fixtures", "finetune-residual.onnx")


class Residual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(16)
        self.depthwise = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.bn2 = torch.nn.BatchNorm2d(16)
        self.pointwise = torch.nn.Conv2d(16, 16, 1)
        self.down = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(32, 10)

    def forward(self, x):
        a = torch.relu(self.bn1(self.stem(x)))
        h = torch.relu(self.bn2(self.depthwise(a)))
        h = torch.relu(self.pointwise(h) + a)
        h = torch.relu(self.down(h))
        return self.fc(h.mean(dim=(2, 3)))


def to_onnx(model):
    def init(name, tensor):
        return numpy_helper.from_array(tensor.detach().numpy().astype(np.float32), name)

    m = model
    initializers = [
        init("stem.weight", m.stem.weight),
        init("bn1.scale", m.bn1.weight), init("bn1.bias", m.bn1.bias),
        init("bn1.mean", m.bn1.running_mean), init("bn1.var", m.bn1.running_var),
        init("depthwise.weight", m.depthwise.weight), init("depthwise.bias", m.depthwise.bias),
        init("bn2.scale", m.bn2.weight), init("bn2.bias", m.bn2.bias),
        init("bn2.mean", m.bn2.running_mean), init("bn2.var", m.bn2.running_var),
        init("pointwise.weight", m.pointwise.weight), init("pointwise.bias", m.pointwise.bias),
        init("down.weight", m.down.weight), init("down.bias", m.down.bias),
        init("fc.weight", m.fc.weight), init("fc.bias", m.fc.bias),
    ]
    eps = m.bn1.eps
    nodes = [
        helper.make_node("Conv", ["x", "stem.weight"], ["c1"], name="stem", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["n1"],
                         name="bn1", epsilon=eps),
        helper.make_node("Relu", ["n1"], ["a"], name="relu1"),
        helper.make_node("Conv", ["a", "depthwise.weight", "depthwise.bias"], ["c2"], name="depthwise",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=16),
        helper.make_node("BatchNormalization", ["c2", "bn2.scale", "bn2.bias", "bn2.mean", "bn2.var"], ["n2"],
                         name="bn2", epsilon=eps),
        helper.make_node("Relu", ["n2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "pointwise.weight", "pointwise.bias"], ["c3"], name="pointwise",
                         kernel_shape=[1, 1]),
        helper.make_node("Add", ["c3", "a"], ["s"], name="residual"),
        helper.make_node("Relu", ["s"], ["r3"], name="relu3"),
        helper.make_node("Conv", ["r3", "down.weight", "down.bias"], ["c4"], name="down", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c4"], ["r4"], name="relu4"),
        helper.make_node("GlobalAveragePool", ["r4"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "finetune-residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="quantdash")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    train_x, train_y = (torch.from_numpy(a) for a in demo_split("train"))
    test_x, test_y = (torch.from_numpy(a) for a in demo_split("heldout"))
    model = Residual()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(args.epochs):
        model.train()
        for batch in torch.randperm(len(train_x)).split(64):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            top1 = (model(test_x).argmax(1) == test_y).float().mean().item()
        print(f"epoch {epoch + 1}: held-out top-1 {top1 * 100:.1f} %")
    onnx.save(to_onnx(model), OUT)
    print(f"wrote {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
