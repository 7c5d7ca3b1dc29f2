"""The residual part of Scripts/check_integer.py: a residual Add of two scales in the integer model.

`Tests/Fixtures/finetune-residual.onnx` (Scripts/make_finetune_fixture.py: a residual CNN trained
on the demo digits — strided stem, depthwise and pointwise Convs, the residual Add of the
pointwise Conv and the stem's Relu, GlobalAveragePool, Gemm) with its BatchNormalizations folded
into the Convs in NumPy, as PyTorch's export in eval mode writes a ResNet. For each plan,
`eval --integer` runs it (the Add's output quantized, `docs/integer-inference.md`), the QDQ
export is rewritten by `check_integer.integer_form` so that onnxruntime fuses the Add into
QLinearAdd, and the two are compared per image on the 1000 held-out digits: the same top-1 and
outputs within one step of the output scale. The C export (int8) is compiled and must give
`eval --integer`'s outputs bit for bit.

`python3 Scripts/check_integer.py --torchvision` also exports torchvision's ResNet-18 and
MobileNetV2 (weights=None, seed 0, BatchNormalization statistics measured on the 64 calibration
images so that activations keep their scale, eval mode, 3x64x64, BatchNormalization folded by
the export) and runs the same comparison on 64 other seeded random images labelled by the float
model (needs torch and torchvision; not in CI).
"""
import json
import os
import subprocess
import sys
import types

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "Tests", "Fixtures", "finetune-residual.onnx")
DRIVER = r"""
#include <stdio.h>
#include "residual.h"
int main(int argc, char **argv)
{
    static float input[RESIDUAL_INPUT_COUNT];
    static float logits[RESIDUAL_OUTPUT_COUNT];
    FILE *in, *out;
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) { return 2; }
    while (fread(input, sizeof input, 1, in) == 1) {
        (void)residual_predict(input, logits);
        if (fwrite(logits, sizeof logits, 1, out) != 1) { return 3; }
    }
    fclose(in);
    fclose(out);
    return 0;
}
"""


def folded(path):
    """The model with every BatchNormalization after a Conv folded into that Conv (eval mode)."""
    model = onnx.load(path)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {node.output[0]: node for node in graph.node}
    kept = []
    for node in graph.node:
        conv = producer.get(node.input[0]) if node.op_type == "BatchNormalization" else None
        if conv is None or conv.op_type != "Conv":
            kept.append(node)
            continue
        scale, bias, mean, var = (numpy_helper.to_array(inits[n]).astype(np.float64) for n in node.input[1:5])
        epsilon = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-5)
        a = scale / np.sqrt(var + epsilon)
        weight = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float64)
        inits[conv.input[1]].CopyFrom(numpy_helper.from_array(
            (weight * a.reshape(-1, 1, 1, 1)).astype(np.float32), conv.input[1]))
        old = numpy_helper.to_array(inits[conv.input[2]]).astype(np.float64) if len(conv.input) > 2 else 0.0
        name = conv.input[2] if len(conv.input) > 2 else conv.output[0] + ".folded_bias"
        new_bias = numpy_helper.from_array((a * old + bias - mean * a).astype(np.float32), name)
        if name in inits:
            inits[name].CopyFrom(new_bias)
        else:
            graph.initializer.append(new_bias)
            conv.input.append(name)
        conv.output[0] = node.output[0]
    del graph.node[:]
    graph.node.extend(kept)
    names = {i for n in graph.node for i in n.input}
    for tensor in [t for t in graph.initializer if t.name not in names]:
        graph.initializer.remove(tensor)
    return model


def unsigned_codes(model):
    """The model with every int8 code (activations and weights) stored as uint8 code + 128 and zero
    point + 128: the same values. onnxruntime converts an int8 activation to uint8 itself only where
    its QuantizeLinear has one reader, so a residual Add (whose operand also feeds the next block)
    would otherwise mix int8 and uint8 and not fuse into QLinearAdd; uint8 weights make MLAS run
    its exact U8U8 kernel (check_integer.unsigned_weights says why)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    codes = {name for node in model.graph.node if node.op_type in ("QuantizeLinear", "DequantizeLinear")
             for name in (node.input[0], node.input[2] if len(node.input) > 2 else "")}
    for tensor in model.graph.initializer:
        if tensor.name in codes:
            values = numpy_helper.to_array(tensor)
            if values.dtype == np.int8:
                tensor.CopyFrom(numpy_helper.from_array((values.astype(np.int32) + 128).astype(np.uint8),
                                                        tensor.name))
    return model


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def compare(name, model_path, data, plans, quantdash, folder, integer_form, images, compile_c=False,
            fused_needed=("QLinearAdd",)):
    """eval --integer against onnxruntime on the rewritten QDQ export (and the C export): failures."""
    failures = 0
    for index, (label, default) in enumerate(plans.items()):
        plan = os.path.join(folder, f"{name}-plan{index}.json")
        with open(plan, "w") as handle:
            json.dump({"version": 1, "default": default}, handle)
        outputs = os.path.join(folder, f"{name}-{index}.npy")
        qdq = os.path.join(folder, f"{name}-{index}.onnx")
        common = ["--model", model_path, *data, "--plan", plan]
        integer = json.loads(run([quantdash, "eval", *common, "--integer", "--json", "--latency-runs", "0",
                                  "--save-outputs", outputs, "--batch-size", "250"]))["integer"]
        run([quantdash, "export", *common, "--format", "onnx", "--out", qdq, "--force"])
        ours = np.load(outputs).reshape(len(images), -1)
        model = unsigned_codes(integer_form(onnx.load(qdq), integer["inputScale"], integer["inputZeroPoint"],
                                                  integer["inputType"] == "int8"))
        onnx.checker.check_model(model)
        output_scale = float(numpy_helper.to_array(next(
            i for i in model.graph.initializer if i.name == model.graph.output[0].name + "_scale")))
        path = qdq + ".integer.onnx"
        onnx.save(model, path)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.optimized_model_filepath = path + ".optimized.onnx"
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        theirs = session.run(None, {session.get_inputs()[0].name: images})[0].reshape(len(images), -1)
        fused = sorted({n.op_type for n in onnx.load(path + ".optimized.onnx").graph.node
                        if n.op_type.startswith("QLinear")})
        differ = int((ours.argmax(axis=1) != theirs.argmax(axis=1)).sum())
        steps = float(np.abs(ours - theirs).max() / output_scale)
        # The same graph in float (QDQ, input quantized too): reported, as eval's fake-quantized
        # figure leaves the input float.
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        qdq_float = session.run(None, {session.get_inputs()[0].name: images})[0].reshape(len(images), -1)
        float_differ = int((ours.argmax(axis=1) != qdq_float.argmax(axis=1)).sum())
        float_steps = float(np.abs(ours - qdq_float).max() / output_scale)
        problems = []
        for op in fused_needed:
            if op not in fused:
                problems.append(f"onnxruntime did not fuse a {op}")
        if differ or steps > 1.0 + 1e-4:
            problems.append(f"{differ} images with another top-1, outputs up to {steps:.2f} steps")
        if compile_c:
            problems += c_export_problems(common, quantdash, folder, ours, images)
        print(f"{name:<12} {label:<30} integer {integer['top1'] * 100:5.1f}% (fake-quantized "
              f"{integer['fakeQuantizedTop1'] * 100:5.1f}%, {integer['differingPredictions']} differ, "
              f"{integer['maxOutputSteps']:.2f} steps); onnxruntime: {differ} differ, {steps:.2f} steps "
              f"[{', '.join(fused)}], QDQ in float {float_differ} differ, {float_steps:.2f} steps"
              f"{'; C export bit for bit' if compile_c and not problems else ''}"
              f"{'' if not problems else '  FAIL: ' + '; '.join(problems)}", flush=True)
        failures += 1 if problems else 0
    return failures


def c_export_problems(common, quantdash, folder, ours, images):
    base = os.path.join(folder, "residual")
    export = run([quantdash, "export", *common, "--format", "c", "--out", base, "--force"])
    if "integer int8" not in export:
        return [f"C export not integer: {export.strip()}"]
    with open(os.path.join(folder, "driver.c"), "w") as handle:
        handle.write(DRIVER)
    binary = os.path.join(folder, "residual-c")
    run(["cc", "-O2", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-o", binary,
         os.path.join(folder, "driver.c"), base + ".c", "-lm"])
    images.astype(np.float32).tofile(os.path.join(folder, "x.bin"))
    run([binary, os.path.join(folder, "x.bin"), os.path.join(folder, "c.bin")])
    compiled = np.fromfile(os.path.join(folder, "c.bin"), dtype=np.float32).reshape(ours.shape)
    return [] if np.array_equal(ours, compiled) else ["the C export's outputs differ from eval --integer's"]


def check(quantdash, folder, plans, integer_form, images):
    """The trained residual fixture, BatchNormalization folded, on the demo digits: failures."""
    path = os.path.join(folder, "residual.onnx")
    onnx.save(folded(FIXTURE), path)
    return compare("residual", path, [], plans, quantdash, folder, integer_form, images, compile_c=True)


def check_torchvision(quantdash, folder, plans, integer_form):
    """torchvision's ResNet-18, MobileNetV2, ResNeXt-50 (grouped), RegNetX-400MF and GoogLeNet
    (Concat) at 3x64x64, random weights (seed 0): failures."""
    import torch

    try:
        import torchvision
    except RuntimeError:  # a torchvision build whose C++ ops cannot load with this torch (a CUDA
        # wheel beside torch+cpu): skip their registration, the models are pure Python.
        for loaded in [n for n in sys.modules if n.startswith("torchvision")]:
            del sys.modules[loaded]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision

    torch.manual_seed(0)
    images = np.random.default_rng(0).standard_normal((64, 3, 64, 64)).astype(np.float32)
    calibration = np.random.default_rng(1).standard_normal((64, 3, 64, 64)).astype(np.float32)
    failures = 0
    models = {"resnet18": ("QLinearAdd",), "mobilenet_v2": ("QLinearAdd",), "resnext50_32x4d": ("QLinearAdd",),
              "regnet_x_400mf": ("QLinearAdd",), "googlenet": ("QLinearConcat",)}
    for name, fused_needed in models.items():
        options = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
        model = getattr(torchvision.models, name)(weights=None, **options)
        # BatchNormalization's statistics measured on the calibration images (as training would
        # leave them), so that activations keep their scale through the depth; then eval mode.
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.reset_running_stats()
                module.momentum = None  # a cumulative average
        with torch.no_grad():
            model.train()(torch.from_numpy(calibration))
        model.eval()
        path = os.path.join(folder, f"{name}.onnx")
        torch.onnx.export(model, torch.from_numpy(images[:1]), path, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}}, opset_version=13, dynamo=False)
        with torch.no_grad():
            labels = model(torch.from_numpy(images)).argmax(dim=1).numpy()
        np.save(os.path.join(folder, f"{name}-x.npy"), images)
        np.save(os.path.join(folder, f"{name}-y.npy"), labels.astype(np.int64))
        np.save(os.path.join(folder, f"{name}-calib.npy"), calibration)
        data = ["--data", os.path.join(folder, f"{name}-x.npy"), "--labels", os.path.join(folder, f"{name}-y.npy"),
                "--calibration", os.path.join(folder, f"{name}-calib.npy")]
        failures += compare(name, path, data, plans, quantdash, folder, integer_form, images,
                            fused_needed=fused_needed)
    return failures
