#!/usr/bin/env python3
"""Write ImageNet-size CNNs with random weights (ONNX) and one file of random 224x224 images.

Models (torchvision topologies, `weights=None`, so nothing is downloaded): `resnet50`,
`mobilenet_v2`, `vgg19` and `densenet121`, 1000 classes, built in PyTorch from a fixed seed with
torchvision's own initialisation, every BatchNorm's scale, shift and running statistics then drawn
at random (scale U(0.5, 1.5), shift N(0, 0.1), mean N(0, 0.1), variance U(0.5, 1.5)) so that
folding them is not a no-op. Exported in eval mode with the TorchScript exporter (`dynamo=False`,
opset 13, constant folding), which folds each BatchNorm that follows a Conv into it (DenseNet's
pre-activation BatchNorms stay BatchNormalization nodes); input `input` [N, 3, 224, 224] float32
(dynamic N), output `logits` [N, 1000]. Files: `DIR/<name>.onnx` and `DIR/<name>.json` (the
summary below, with the multiply-adds per image counted from the inferred shapes: Conv
`outputs x C/group x kH x kW`, Gemm/MatMul `M x N x K`; the other operators are not counted).

Data: `DIR/imagenet-data.npz` with `x` float32 [--images, 3, 224, 224] (standard normal) and `y`
int64 (uniform in 0..999) from the same seed, shared by every model.

Each model is checked with `onnx.checker`, and onnxruntime's logits on two images are compared
with PyTorch's before it is reported. Existing files are kept (`--force` rewrites them).

Usage: python3 Benchmarks/peers/make_imagenet_models.py --out DIR [--models resnet50,mobilenet_v2,vgg19,densenet121]
           [--seed 0] [--images 256] [--force]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    sys.path.insert(0, HERE)
    import peers_venv  # noqa: E402  (Benchmarks/peers/peers_venv.py)

    peers_venv.ensure(with_torchvision=True)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

MODELS = ("resnet50", "mobilenet_v2", "vgg19", "densenet121")
DATA_FILE = "imagenet-data.npz"


def build(name, seed):
    """The torchvision model `name` in eval mode, random weights and BatchNorm statistics from `seed`."""
    import types

    import torch
    from torch import nn

    # torchvision comes from PyPI without its dependencies (peers_venv.py): its compiled operators
    # (nms, roi_align, ...) are built for PyPI's CUDA torch and do not load with the CPU build, and
    # registering their meta kernels fails on import. The model definitions need none of them.
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    import torchvision

    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model.eval()


def multiply_adds(proto):
    """Multiply-adds per image of the Conv, Gemm and MatMul nodes, from shapes inferred at batch 1."""
    import onnx

    fixed = onnx.ModelProto()
    fixed.CopyFrom(proto)
    fixed.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    inferred = onnx.shape_inference.infer_shapes(fixed)
    shapes = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    for tensor in inferred.graph.initializer:
        shapes[tensor.name] = list(tensor.dims)
    total = 0
    for node in inferred.graph.node:
        if node.op_type == "Conv":
            weight = shapes[node.input[1]]  # [M, C/group, kH, kW]
            total += int(np.prod(shapes[node.output[0]])) * int(np.prod(weight[1:]))
        elif node.op_type in ("Gemm", "MatMul"):
            output = shapes[node.output[0]]
            a = shapes[node.input[0]]
            transposed = any(a.name == "transA" and a.i == 1 for a in node.attribute)
            total += int(np.prod(output)) * (a[-2] if transposed else a[-1])
    return total


def sha256(path):
    """The file's SHA-256 as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_data(out_dir, seed, images, force):
    """`imagenet-data.npz` with `images` standard-normal images and uniform labels; returns its path."""
    path = os.path.join(out_dir, DATA_FILE)
    if os.path.exists(path) and not force:
        with np.load(path) as data:
            if data["x"].shape[0] >= images:
                return path
    generator = np.random.default_rng(seed)
    x = generator.standard_normal((images, 3, 224, 224), dtype=np.float32)
    y = generator.integers(0, 1000, size=images, dtype=np.int64)
    np.savez(path, x=x, y=y)
    return path


def write_model(out_dir, name, seed, data_path, force):
    """`<name>.onnx` and `<name>.json` in `out_dir`; returns the summary dict."""
    model_path = os.path.join(out_dir, f"{name}.onnx")
    summary_path = os.path.join(out_dir, f"{name}.json")
    if os.path.exists(model_path) and os.path.exists(summary_path) and not force:
        with open(summary_path) as f:
            return json.load(f)
    import onnx  # only when a model is made: importing torch takes seconds
    import onnxruntime as ort
    import torch

    model = build(name, seed)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    torch.onnx.export(model, (torch.zeros(1, 3, 224, 224),), model_path, dynamo=False, opset_version=13,
                      input_names=["input"], output_names=["logits"], do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load(model_path)
    onnx.checker.check_model(proto)
    with np.load(data_path) as data:
        x = data["x"][:2]
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    ours = session.run(None, {"input": x})[0]
    with torch.no_grad():
        reference = model(torch.from_numpy(x)).numpy()
    difference = float(np.abs(ours - reference).max())
    scale = float(np.abs(reference).max())
    if difference > 1e-4 * max(scale, 1.0):
        raise SystemExit(f"{model_path}: onnxruntime differs from PyTorch by {difference} (logits up to {scale})")
    summary = {"model": name, "file": model_path, "seed": seed,
               "torch_parameters": sum(p.numel() for p in model.parameters()),
               "onnx_parameters": sum(int(np.prod(t.dims)) for t in proto.graph.initializer),
               "nodes": len(proto.graph.node), "ops": sorted({n.op_type for n in proto.graph.node}),
               "multiply_adds_per_image": multiply_adds(proto),
               "max_abs_logit_difference_vs_torch": difference, "model_sha256": sha256(model_path)}
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the models and imagenet-data.npz")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated, from: " + ", ".join(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--force", action="store_true", help="rewrite existing files")
    args = parser.parse_args()
    names = [m for m in args.models.split(",") if m]
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        raise SystemExit(f"make_imagenet_models.py: unknown model(s) {unknown}; choose from {list(MODELS)}")
    os.makedirs(args.out, exist_ok=True)
    data_path = write_data(args.out, args.seed, args.images, args.force)
    print(f"data: {data_path}")
    for name in names:
        summary = write_model(args.out, name, args.seed, data_path, args.force)
        print(f"{name}: {summary['onnx_parameters']} parameters, {summary['nodes']} nodes, "
              f"{summary['multiply_adds_per_image'] / 1e9:.3f} G multiply-adds per image, ops {summary['ops']}")


if __name__ == "__main__":
    main()
