#!/usr/bin/env python3
"""Check `quantdash eval --integer` against onnxruntime's int8 kernels.

For both demo models and a set of int8 plans (8-bit symmetric weights per channel or per tensor,
8-bit activations by min-max or percentile calibration), runs `quantdash eval --plan --integer
--json --save-outputs` (the integer model's dequantized outputs on the 1000 held-out digits) and
`quantdash export --format onnx` (QDQ), then rewrites the QDQ export into the form onnxruntime
fuses into integer operators: the input quantized with the parameters quantdash reports, the
float biases of Conv/Gemm replaced by `DequantizeLinear` of int32 biases
(round-half-even(bias / (s_x · s_w)) in float32, what quantdash computes), and the quantization of
each quantized activation repeated after the Relu / MaxPool / Flatten that follow it (exact: those
operators keep the grid), so each Conv and Gemm reads `DequantizeLinear` and writes
`QuantizeLinear`. onnxruntime then runs QLinearConv / QGemm (MLAS) and int8 MaxPool; the script
lists the fused operators from the optimized graph and compares, per image, top-1 and the
outputs in steps of the output scale, three ways: (s8) the export's int8 weights, where MLAS's
AVX2 U8S8 kernel multiplies with vpmaddubsw, whose int16 pair sums saturate once weights pass
±64 (onnxruntime documents this; its quantizer's reduce_range avoids it), so differences there
are reported, not failed; (u8) the same weights stored as uint8 with zero point 128, the same
values run by MLAS's U8U8 kernel, which does not saturate; (float) onnxruntime with graph
optimizations off (QDQ in float). Exits non-zero unless the u8 and float runs give every image
the same top-1 and every output within one step, and onnxruntime fused integer operators.
Then the same three plans on a trained residual CNN whose residual Add joins two scales
(Scripts/integer_residual.py: against onnxruntime's QLinearAdd, and its C export bit for bit);
with --torchvision also torchvision's ResNet-18, MobileNetV2, ResNeXt-50, RegNetX-400MF and GoogLeNet
(its Concats as QLinearConcat: `quantized_concats`).

Creates its own venv (Scripts/.venv) with onnx, onnxruntime and numpy.

With --torchvision it runs in the transformer check's venv (Scripts/.venv-transformer: CPU
PyTorch, onnx, onnxruntime, numpy, as make_transformer.PACKAGES pins them) and adds torchvision
there without its dependencies (its metadata asks for another torch build; the models it builds
are pure Python).

Usage: python3 Scripts/check_integer.py [--quantdash PATH_TO_BINARY] [--torchvision]
"""
import os
import sys

TORCHVISION = "--torchvision" in sys.argv
if TORCHVISION:
    os.environ.setdefault("QUANTDASH_VENV", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                         ".venv-transformer"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

if TORCHVISION:
    ensure_venv(["torch==2.13.0+cpu", "onnx==1.23.2", "onnxruntime", "numpy"],
                without_dependencies={"torchvision==0.28.0": "torchvision", "pillow": "PIL"})
else:
    ensure_venv(["onnx", "onnxruntime", "numpy"])

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)
import integer_residual  # noqa: E402  (Scripts/integer_residual.py)
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")

PLANS = {
    "w8 sym channel, a8 minmax": {"bits": 8, "scheme": "symmetric", "granularity": "channel",
                                  "activationBits": 8},
    "w8 sym tensor, a8 minmax": {"bits": 8, "scheme": "symmetric", "granularity": "tensor",
                                 "activationBits": 8},
    "w8 sym channel, a8 percentile": {"bits": 8, "scheme": "symmetric", "granularity": "channel",
                                      "activationBits": 8, "calibration": "percentile"},
}
PASS_THROUGH = {"Relu", "Clip", "MaxPool", "Flatten", "Reshape", "GlobalAveragePool"}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def quantized_concats(model):
    """The export with a QuantizeLinear / DequantizeLinear pair after every Concat of quantized
    values, on the parameters the integer model gives its output (docs/integer-inference.md,
    "Concat": the inputs' own when they agree, else the widest input's when they differ only in
    scale), so that onnxruntime runs QLinearConcat and the Conv after it reads codes. The
    export itself keeps each input on its own grid (as the fake-quantized model does)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    nodes, added = [], []
    for node in graph.node:
        params = [] if node.op_type == "Concat" else None
        for name in node.input if params is not None else []:
            source = producer.get(name)
            while source is not None and source.op_type in PASS_THROUGH:
                source = producer.get(source.input[0])
            if source is None or source.op_type != "DequantizeLinear":
                params = None
                break
            params.append((inits[source.input[1]], inits[source.input[2]]))
        if not params:
            nodes.append(node)
            continue
        zero_points = {(int(z), z.dtype.name) for _, z in params}
        if len(zero_points) != 1:
            raise RuntimeError(f"{node.name}: a Concat of inputs with other zero points (not replicated here)")
        scale, zero_point = max(params, key=lambda p: float(p[0]))
        out = node.output[0]
        node.output[0] = out + "_cat_float"
        added += [numpy_helper.from_array(scale, out + "_cat_scale"),
                  numpy_helper.from_array(zero_point, out + "_cat_zero_point")]
        nodes += [node,
                  helper.make_node("QuantizeLinear", [node.output[0], out + "_cat_scale", out + "_cat_zero_point"],
                                   [out + "_cat_q"], name=out + "_cat_quantize"),
                  helper.make_node("DequantizeLinear", [out + "_cat_q", out + "_cat_scale", out + "_cat_zero_point"],
                                   [out], name=out + "_cat_dequantize")]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    return model


def integer_form(model, input_scale, input_zero_point, input_signed):
    """The QDQ export rewritten so that onnxruntime fuses every Conv/Gemm into an integer operator."""
    model = quantized_concats(model)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    new_inits = []
    nodes = []
    quant = {}  # value -> (scale name, zero-point name)

    input_name = graph.input[0].name
    zp_type = np.int8 if input_signed else np.uint8
    new_inits += [numpy_helper.from_array(np.array(input_scale, dtype=np.float32), "input_int_scale"),
                  numpy_helper.from_array(np.array(input_zero_point, dtype=zp_type), "input_int_zero_point")]
    nodes += [helper.make_node("QuantizeLinear", [input_name, "input_int_scale", "input_int_zero_point"],
                               ["input_int_q"], name="input_int_quantize"),
              helper.make_node("DequantizeLinear", ["input_int_q", "input_int_scale", "input_int_zero_point"],
                               ["input_int_dq"], name="input_int_dequantize")]
    quant["input_int_dq"] = ("input_int_scale", "input_int_zero_point")
    inits.update({i.name: i for i in new_inits})

    for node in graph.node:
        node = onnx.NodeProto.FromString(node.SerializeToString())
        for slot, name in enumerate(node.input):
            if name == input_name:
                node.input[slot] = "input_int_dq"
        if node.op_type == "DequantizeLinear" and node.input[0] in producer \
                and producer[node.input[0]].op_type == "QuantizeLinear":
            quant[node.output[0]] = (node.input[1], node.input[2])
        if node.op_type in ("Conv", "Gemm") and len(node.input) > 2 and node.input[2] in inits:
            x_scale = numpy_helper.to_array(inits[quant[node.input[0]][0]]).astype(np.float32)
            w_dq = producer[node.input[1]]
            w_scale = numpy_helper.to_array(inits[w_dq.input[1]]).astype(np.float32)
            bias = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
            bias_scale = (x_scale * w_scale).astype(np.float32) * np.ones_like(bias)
            codes = np.round(bias / bias_scale).astype(np.int32)  # NumPy rounds half to even
            base = node.input[2]
            new_inits += [numpy_helper.from_array(codes, base + "_int32"),
                          numpy_helper.from_array(bias_scale.astype(np.float32), base + "_int32_scale"),
                          numpy_helper.from_array(np.zeros_like(codes), base + "_int32_zero_point")]
            nodes.append(helper.make_node("DequantizeLinear", [base + "_int32", base + "_int32_scale",
                                                               base + "_int32_zero_point"],
                                          [base + "_int32_dq"], name=base + "_int32_dequantize", axis=0))
            node.input[2] = base + "_int32_dq"
        if node.op_type in PASS_THROUGH and node.input[0] in quant:
            scale, zero_point = quant[node.input[0]]
            out = node.output[0]
            node.output[0] = out + "_int_float"
            nodes.append(node)
            nodes += [helper.make_node("QuantizeLinear", [out + "_int_float", scale, zero_point], [out + "_int_q"],
                                       name=out + "_int_quantize"),
                      helper.make_node("DequantizeLinear", [out + "_int_q", scale, zero_point], [out],
                                       name=out + "_int_dequantize")]
            quant[out] = (scale, zero_point)
            continue
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    return model


def unsigned_weights(model):
    """The same model with every int8 weight stored as uint8 code + 128 and zero point 128: the
    same values, but onnxruntime's MLAS picks its U8U8 kernel, which does not saturate."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for tensor in model.graph.initializer:
        if tensor.name.endswith(".weight_quantized") or tensor.name.endswith(".weight_zero_point"):
            values = numpy_helper.to_array(tensor)
            if values.dtype == np.int8:
                tensor.CopyFrom(numpy_helper.from_array((values.astype(np.int32) + 128).astype(np.uint8),
                                                        tensor.name))
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    parser.add_argument("--torchvision", action="store_true",
                        help="also five torchvision CNNs (in Scripts/.venv-transformer, with torchvision)")
    args = parser.parse_args()

    images = demo_data.read_idx(os.path.join(DEMO, "mnist-heldout-images.idx3-ubyte")).astype(np.float32) / 255.0
    labels = demo_data.read_idx(os.path.join(DEMO, "mnist-heldout-labels.idx1-ubyte")).astype(np.int64)
    images = images.reshape(-1, 1, 28, 28)

    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    header = (f"{'plan':<30} {'model':<5} {'integer':>8} {'fake-q':>7}  "
              + "  ".join(f"{name + ' top-1':>7} {'diff':>4} {'steps':>5}" for name in ("s8", "u8", "float"))
              + "  integer operators in ORT")
    print("s8: ORT on the export's int8 weights (MLAS U8S8, vpmaddubsw on AVX2: int16 pair sums may saturate);")
    print("u8: the same weights as uint8 with zero point 128 (MLAS U8U8, exact); float: ORT with optimizations off")
    print("diff: images whose top-1 differs from eval --integer; steps: max |output difference| / output scale")
    print(header)
    print("-" * len(header))
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for index, (label, default) in enumerate(PLANS.items()):
            plan_path = os.path.join(folder, f"plan{index}.json")
            with open(plan_path, "w") as f:
                json.dump({"version": 1, "default": default}, f)
            for demo in ("demo-mlp", "demo-cnn"):
                qdq_path = os.path.join(folder, f"plan{index}-{demo}.onnx")
                outputs_path = os.path.join(folder, f"plan{index}-{demo}.npy")
                run([args.quantdash, "export", "--plan", plan_path, "--format", "onnx", "--out", qdq_path,
                     "--model", demo, "--force"])
                ours = json.loads(run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--integer",
                                       "--json", "--save-outputs", outputs_path, "--batch-size", "250"]))
                # --batch-size 250: what export uses for the demo data. --save-outputs otherwise runs
                # batches of 16, and percentile calibration (a histogram grown batch by batch)
                # then gives slightly different activation scales than the export's.
                integer = ours["integer"]
                our_outputs = np.load(outputs_path).reshape(len(labels), -1)

                model = integer_form(onnx.load(qdq_path), integer["inputScale"], integer["inputZeroPoint"],
                                     integer["inputType"] == "int8")
                onnx.checker.check_model(model)
                output_scale = float(numpy_helper.to_array(next(
                    i for i in model.graph.initializer if i.name == model.graph.output[0].name + "_scale")))
                row = [f"{label:<30} {demo[5:]:<5} {integer['top1'] * 100:>7.1f}% "
                       f"{integer['fakeQuantizedTop1'] * 100:>6.1f}%"]
                ok = True
                for variant in ("s8", "u8", "float"):
                    path = os.path.join(folder, f"plan{index}-{demo}-{variant}.onnx")
                    onnx.save(unsigned_weights(model) if variant == "u8" else model, path)
                    options = ort.SessionOptions()
                    options.log_severity_level = 3
                    if variant == "float":
                        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                    else:
                        options.optimized_model_filepath = path + ".optimized.onnx"
                    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
                    outputs = session.run(None, {session.get_inputs()[0].name: images})[0].reshape(len(labels), -1)
                    differ = int((our_outputs.argmax(axis=1) != outputs.argmax(axis=1)).sum())
                    steps = float(np.abs(our_outputs - outputs).max() / output_scale)
                    row.append(f"{float((outputs.argmax(axis=1) == labels).mean()) * 100:>6.1f}% {differ:>4} "
                               f"{steps:>5.1f}")
                    if variant != "float":
                        fused = collections.Counter(n.op_type for n in onnx.load(path + ".optimized.onnx").graph.node
                                                    if n.op_type.startswith("QLinear") or n.op_type == "QGemm")
                        ok = ok and sum(fused.values()) > 0  # onnxruntime really ran integer operators
                        operators = ", ".join(f"{op}×{count}" for op, count in sorted(fused.items()))
                    if variant != "s8":  # the s8 run is reported, not required (vpmaddubsw saturates)
                        ok = ok and differ == 0 and steps <= 1.0 + 1e-4
                failures += 0 if ok else 1
                print("  ".join(row) + f"  {operators}{'' if ok else '  FAIL'}")
        print("residual Add of two scales (Scripts/integer_residual.py): eval --integer against onnxruntime's "
              "QLinearAdd on the rewritten QDQ export, and the C export")
        failures += integer_residual.check(args.quantdash, folder, PLANS, integer_form, images)
        if args.torchvision:
            failures += integer_residual.check_torchvision(args.quantdash, folder, PLANS, integer_form)
    print("all plans agree" if failures == 0 else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
