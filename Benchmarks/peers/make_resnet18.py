#!/usr/bin/env python3
"""Write a synthetic ResNet-18-sized ONNX model and a data file of random images.

The model is the standard torchvision ResNet-18 topology (7x7/2 stem conv + BN + ReLU, 3x3/2 max
pool, four stages of two BasicBlocks with 64/128/256/512 channels, 1x1/2 projection shortcuts,
global average pool, 1000-way fully connected layer), built in PyTorch with random weights from a
fixed seed (torchvision's initialisation: Kaiming-normal fan-out convs; BatchNorm scale, shift and
running statistics drawn at random so that folding them is not a no-op), exported with the
TorchScript exporter (`dynamo=False`, opset 13, eval mode), which folds every BatchNorm into the
preceding Conv. The ONNX graph then uses only Conv, Relu, MaxPool, Add, GlobalAveragePool, Flatten
and Gemm; input `input` [N, 3, 224, 224] float32 (dynamic N), output `logits` [N, 1000].
11,689,512 parameters in PyTorch (with BatchNorm); 11,684,712 in the ONNX file after folding.
Nodes are named after their PyTorch modules (21 quantizable layers: `conv1`, `layer1.0.conv1`, …,
`layer4.0.downsample.0`, `fc`; weights `<layer>.weight`/`.bias`). The files are byte-identical
for the same seed (the summary prints their SHA-256; seed 0: model 2d9367c4…, data 854161bf…).

Data: `resnet18-data.npz` with `x` float32 [256, 3, 224, 224] (standard normal) and `y` int64
[256] (uniform in 0..999), from the same seed; read it with
`quantdash eval --model DIR/resnet18.onnx --data DIR/resnet18-data.npz --x-name x --y-name y`.
Both files are ~46 MB and ~154 MB: write them to a temporary or git-ignored folder.

The script checks the model with `onnx.checker`, checks the op set, and compares onnxruntime's
logits with PyTorch's on two images before it reports success.

Usage: python3 Benchmarks/peers/make_resnet18.py --out DIR [--seed 0] [--images 256]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path.insert(0, HERE)
    import peers_venv  # noqa: E402  (Benchmarks/peers/peers_venv.py)

    peers_venv.ensure()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Add", "GlobalAveragePool", "Flatten", "Gemm"}
MODEL_FILE = "resnet18.onnx"
DATA_FILE = "resnet18-data.npz"


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN layers with a residual connection (a 1x1/stride projection when the shape changes)."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + identity)


class ResNet18(nn.Module):
    """torchvision's ResNet-18 layout (BasicBlock, [2, 2, 2, 2]), 1000 classes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, inputs = [], 64
        for outputs, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages.append(nn.Sequential(BasicBlock(inputs, outputs, stride), BasicBlock(outputs, outputs, 1)))
            inputs = outputs
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build(seed):
    """A `ResNet18` in eval mode with random weights and BatchNorm statistics drawn from `seed`."""
    torch.manual_seed(seed)
    model = ResNet18()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model.eval()


def module_path(scopes):
    """The PyTorch module path from the exporter's scope list: ["layer2", "layer2.0", "downsample",
    "downsample.0"] -> "layer2.0.downsample.0" (a scope repeats its parent's last segment)."""
    path = []
    for scope in scopes:
        head = scope.split(".")
        if path and len(head) > 1 and path[-1] == head[0]:
            path[-1:] = head
        else:
            path.extend(head)
    return ".".join(path)


def readable_names(proto):
    """`proto` with every node named after its PyTorch module (`layer2.0.conv1`, `fc`; activations
    `relu_N`, `add_N`, …) and every Conv/Gemm weight and bias initializer `<node>.weight`/`.bias`
    (the exporter's names are `/layer2/layer2.0/conv1/Conv` and `onnx::Conv_123`)."""
    renamed, counts = {}, {}
    for node in proto.graph.node:
        scopes = [p for p in node.name.split("/") if p][:-1]  # "/layer2/layer2.0/conv1/Conv"
        if node.op_type in ("Conv", "Gemm") and scopes:
            node.name = module_path(scopes)
            for suffix, index in (("weight", 1), ("bias", 2)):
                if index < len(node.input):
                    renamed[node.input[index]] = f"{node.name}.{suffix}"
        else:
            counts[node.op_type] = counts.get(node.op_type, 0) + 1
            node.name = f"{node.op_type.lower()}_{counts[node.op_type]}"
    for tensor in proto.graph.initializer:
        tensor.name = renamed.get(tensor.name, tensor.name)
    for node in proto.graph.node:
        for i, name in enumerate(node.input):
            node.input[i] = renamed.get(name, name)
    return proto


def sha256(path):
    """The file's SHA-256 as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(out_dir, seed=0, images=256):
    """Write the model and data files into `out_dir`; returns (model path, data path, summary dict)."""
    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, MODEL_FILE)
    data_path = os.path.join(out_dir, DATA_FILE)
    model = build(seed)
    torch_parameters = sum(p.numel() for p in model.parameters())
    example = torch.zeros(1, 3, 224, 224)
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*legacy TorchScript")
    torch.onnx.export(model, (example,), model_path, dynamo=False, opset_version=13,
                      input_names=["input"], output_names=["logits"], do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = readable_names(onnx.load(model_path))
    onnx.save(proto, model_path)
    onnx.checker.check_model(proto)
    ops = {node.op_type for node in proto.graph.node}
    if not ops <= ALLOWED_OPS:
        raise SystemExit(f"{model_path}: unexpected ops {sorted(ops - ALLOWED_OPS)}")
    onnx_parameters = sum(int(np.prod(t.dims)) for t in proto.graph.initializer)

    generator = np.random.default_rng(seed)
    x = generator.standard_normal((images, 3, 224, 224), dtype=np.float32)
    y = generator.integers(0, 1000, size=images, dtype=np.int64)
    np.savez(data_path, x=x, y=y)

    import onnxruntime as ort  # only for the self-check

    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    ours = session.run(None, {"input": x[:2]})[0]
    with torch.no_grad():
        reference = model(torch.from_numpy(x[:2])).numpy()
    difference = float(np.abs(ours - reference).max())
    scale = float(np.abs(reference).max())
    if difference > 1e-4 * max(scale, 1.0):
        raise SystemExit(f"{model_path}: onnxruntime differs from PyTorch by {difference} (logits up to {scale})")
    summary = {"model": model_path, "data": data_path, "seed": seed, "images": images,
               "torch_parameters": torch_parameters, "onnx_parameters": onnx_parameters,
               "nodes": len(proto.graph.node), "ops": sorted(ops),
               "max_abs_logit_difference_vs_torch": difference,
               "model_sha256": sha256(model_path), "data_sha256": sha256(data_path)}
    return model_path, data_path, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for resnet18.onnx and resnet18-data.npz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--images", type=int, default=256)
    args = parser.parse_args()
    _, _, summary = write(args.out, args.seed, args.images)
    for key, value in summary.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
