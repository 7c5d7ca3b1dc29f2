#!/usr/bin/env python3
"""Check `quantdash export --format tflite` in the LiteRT interpreter.

For both demo models and several plans, runs `quantdash export --format tflite`, reads which form
the file is (metadata `quantdash.format`: full-integer int8, or float32 with dequantized weights)
and requires the form the plan calls for: int8 plans (8-bit symmetric weights and 8-bit
activations, per channel or per tensor, min-max or percentile; also with `--int8-io`) must give
the full-integer file, the others (8-, 4-, 3-bit, mixed widths, pruned, k-means, asymmetric 8-bit
weights with 8-bit activations, 6-bit activations) the float one. Parses the file with the
`tflite` package (operators, tensors, input shape, metadata), runs it in LiteRT
(`ai-edge-litert`, its default CPU kernels) on the 1000 held-out demo digits (pixels / 255,
[N, 1, 28, 28]: the input keeps the ONNX model's NCHW shape; with `--int8-io` the script
quantizes them with the input tensor's scale and zero point) and compares top-1 with quantdash's:
`eval --integer` for the int8 files (also per image: predictions that differ, and the largest
output difference in steps of the output scale, from `--save-outputs`), `eval --plan` for the
float ones. Which requantization LiteRT runs depends on its kernels, so the int8 files are
compared output for output three ways: the default interpreter (XNNPACK, which requantizes with a
float32 multiplier rounded half to even, as MLAS does) against `eval --integer` (the float
requantization), which must agree bit for bit; and LiteRT's own optimized kernels and its
reference kernels (no delegate; gemmlowp fixed point: int32 multiplier and shift) against
`eval --integer --requantization fixed-point`, which must agree within one step of the output
scale: CONV_2D is bit for bit, FULLY_CONNECTED rounds some ties otherwise (the optimized kernel's
last shift rounds ties up, the reference kernel rounds once; docs/integer-inference.md says where,
measured layer by layer). Prints a table with the form and the file size beside quantdash's size
model; exits non-zero unless every plan's top-1 agrees within one image, every int8 file meets
those bounds, every file has the expected form and every file parses.

Creates its own venv (Scripts/.venv-tflite) with tflite, ai-edge-litert and numpy.

Usage: python3 Scripts/check_tflite_export.py [--quantdash PATH_TO_BINARY]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-tflite"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["tflite", "ai-edge-litert", "numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from importlib.metadata import version  # noqa: E402

import numpy as np  # noqa: E402
import tflite  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)

ROOT = os.path.dirname(HERE)
TOLERANCE_IMAGES = 1
LAYERS = {"demo-mlp": ["fc1", "fc2", "fc3"], "demo-cnn": ["conv1", "conv2", "fc1", "fc2"]}


def plans(layers):
    """Plan label → (plan JSON, expected form, export flags) for a model with these layer names."""
    first, last = layers[0], layers[-1]
    int8_channel = {"default": {"bits": 8, "scheme": "symmetric", "granularity": "channel", "activationBits": 8}}
    return {
        "w8 sym channel": ({"default": {"bits": 8, "scheme": "symmetric", "granularity": "channel"}}, "float", []),
        "w4 asym tensor": ({"default": {"bits": 4, "scheme": "asymmetric", "granularity": "tensor"}}, "float", []),
        "mixed 3/4b, ends 8b": ({"default": {"bits": 3, "granularity": "channel"},
                                 "layers": {first: {"bits": 8}, layers[1]: {"bits": 4}, last: {"bits": 8}}},
                                "float", []),
        "w4 2:4 pruned": ({"default": {"bits": 4, "scheme": "asymmetric", "granularity": "channel",
                                       "prune": {"pattern": "2:4"}}}, "float", []),
        "w3 kmeans": ({"default": {"bits": 3, "scheme": "kmeans"}}, "float", []),
        "w8 asym a8 minmax": ({"default": {"bits": 8, "scheme": "asymmetric", "granularity": "channel",
                                           "activationBits": 8, "calibration": "minmax"}}, "float", []),
        "w4a6 (clamped)": ({"default": {"bits": 4, "granularity": "channel", "activationBits": 6}}, "float", []),
        "int8 channel minmax": (int8_channel, "int8", []),
        "int8 tensor pctl": ({"default": {"bits": 8, "scheme": "symmetric", "granularity": "tensor",
                                          "activationBits": 8, "calibration": "percentile"}}, "int8", []),
        "int8 channel, int8 I/O": (int8_channel, "int8", ["--int8-io"]),
    }


FORMS = {"full-integer int8": "int8", "float32 with dequantized weights": "float"}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def structure(path):
    """Operators (by name), tensor count, input shape and metadata (name → text), read with `tflite`."""
    with open(path, "rb") as f:
        buffer = f.read()
    if not tflite.Model.ModelBufferHasIdentifier(buffer, 0):
        raise RuntimeError(f"{path}: no TFL3 identifier")
    model = tflite.Model.GetRootAsModel(buffer, 0)
    graph = model.Subgraphs(0)
    operators = []
    for index in range(graph.OperatorsLength()):
        code = model.OperatorCodes(graph.Operators(index).OpcodeIndex())
        operators.append(tflite.BUILTIN_OPCODE2NAME[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())])
    tensor = graph.Tensors(graph.Inputs(0))
    metadata = {}
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        metadata[entry.Name().decode()] = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes().decode()
    return operators, graph.TensorsLength(), [int(d) for d in tensor.ShapeAsNumpy()], metadata


def litert_outputs(path, images, resolver=OpResolverType.AUTO):
    """The float outputs of the file on `images` (int8 inputs quantized, int8 outputs dequantized, with the
    tensors' own parameters) and the output's scale (None for a float output), with LiteRT's default
    kernels (XNNPACK) or `resolver`'s."""
    interpreter = Interpreter(model_path=path, experimental_op_resolver_type=resolver)
    source = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(source["index"], list(images.shape))
    interpreter.allocate_tensors()
    if source["dtype"] == np.int8:
        scale, zero_point = source["quantization"]
        images = np.clip(np.round(images / scale) + zero_point, -128, 127).astype(np.int8)
    interpreter.set_tensor(source["index"], images)
    interpreter.invoke()
    target = interpreter.get_output_details()[0]
    outputs = interpreter.get_tensor(target["index"])
    if target["dtype"] == np.int8:
        scale, zero_point = target["quantization"]
        return (outputs.astype(np.float32) - zero_point) * scale, scale
    # A DEQUANTIZE output ("NAME/dequantized"): the scale of the int8 tensor NAME it reads.
    codes = [d for d in interpreter.get_tensor_details() if d["name"] + "/dequantized" == target["name"]]
    return outputs, (codes[0]["quantization"][0] if codes else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    args = parser.parse_args()
    images, labels = demo_data.demo_split("heldout")

    print(f"ai-edge-litert {version('ai-edge-litert')}, tflite {version('tflite')}; "
          f"{len(labels)} held-out digits, input [N, 1, 28, 28]")
    print("int8 files are compared with eval --integer (differ: images whose top-1 differs; steps: largest "
          "|output difference| / output scale, LiteRT's default XNNPACK kernels against the float "
          "requantization; opt/fxp and ref/fxp: LiteRT's optimized and reference kernels without delegate "
          "against --requantization fixed-point, largest steps/values differing of 10 per image), float files "
          "with eval --plan")
    header = (f"{'plan':<24} {'model':<5} {'form':<5} {'ops':>3} {'quantdash':>9} {'LiteRT':>7} {'diff':>5} "
              f"{'differ':>6} {'steps':>5} {'opt/fxp':>8} {'ref/fxp':>8}  {'.tflite bytes':>13} {'size model':>10} "
              f"{'float32':>9}")
    print(header)
    print("-" * len(header))
    failures = 0
    shown_structure = set()
    with tempfile.TemporaryDirectory() as folder:
        for demo, layers in LAYERS.items():
            for index, (label, (plan, expected_form, flags)) in enumerate(plans(layers).items()):
                plan_path = os.path.join(folder, f"{demo}-plan{index}.json")
                with open(plan_path, "w") as f:
                    json.dump({"version": 1, **plan}, f)
                path = os.path.join(folder, f"{demo}-plan{index}.tflite")
                run([args.quantdash, "export", "--plan", plan_path, "--format", "tflite", "--out", path,
                     "--model", demo, "--force"] + flags)
                operators, tensor_count, input_shape, metadata = structure(path)
                form = FORMS.get(metadata.get("quantdash.format"), "?")
                key = (demo, form)
                if key not in shown_structure:
                    shown_structure.add(key)
                    print(f"  {demo} {form}: {tensor_count} tensors, input {input_shape}, metadata "
                          f"{sorted(metadata)}; operators {' '.join(operators)}")
                if input_shape != [1, 1, 28, 28] or "quantdash.plan" not in metadata:
                    raise RuntimeError(f"{path}: input {input_shape}, metadata {sorted(metadata)}")
                outputs, output_scale = litert_outputs(path, images)
                litert = int((outputs.argmax(axis=1) == labels).sum())
                differ, steps, optimized, reference = "", "", "", ""
                exact = True
                if form == "int8":
                    outputs_path = os.path.join(folder, f"{demo}-plan{index}.npy")
                    ours = json.loads(run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--integer",
                                           "--json", "--save-outputs", outputs_path, "--batch-size", "250"]))
                    # --batch-size 250: what export uses for the demo data (percentile calibration
                    # grows its histogram batch by batch; see check_integer.py).
                    quantdash = ours["integer"]["correct"]
                    our_outputs = np.load(outputs_path).reshape(len(labels), -1)
                    differ = str(int((our_outputs.argmax(axis=1) != outputs.argmax(axis=1)).sum()))
                    if not output_scale:
                        raise RuntimeError(f"{path}: the int8 output's scale is not in the file")
                    gap = float(np.abs(our_outputs - outputs.reshape(len(labels), -1)).max() / output_scale)
                    steps = f"{gap:.1f}"
                    fixed_path = os.path.join(folder, f"{demo}-plan{index}-fixed.npy")
                    run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--integer",
                         "--requantization", "fixed-point", "--latency-runs", "0", "--save-outputs", fixed_path,
                         "--batch-size", "250"])
                    fixed_outputs = np.load(fixed_path).reshape(len(labels), -1)
                    within, texts = [], []
                    for resolver in (OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES, OpResolverType.BUILTIN_REF):
                        theirs, _ = litert_outputs(path, images, resolver)
                        steps_off = np.abs(fixed_outputs - theirs.reshape(len(labels), -1)) / output_scale
                        within.append(float(steps_off.max()) <= 1.0 + 1e-4)
                        texts.append(f"{float(steps_off.max()):.0f}/{int((steps_off > 1e-4).sum())}")
                    optimized, reference = texts
                    exact = gap == 0 and all(within)
                else:
                    ours = json.loads(run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--json"]))
                    quantdash = ours["accuracy"]["correct"]
                diff = litert - quantdash
                ok = abs(diff) <= TOLERANCE_IMAGES and form == expected_form and exact
                failures += 0 if ok else 1
                size = ours["size"]
                note = "" if ok else (f"  FAIL{'' if form == expected_form else f' (expected {expected_form})'}"
                                      f"{'' if exact else ' (int8 outputs off: XNNPACK not bit for bit with the float requantization, or optimized/reference kernels more than one step from the fixed point)'}")
                print(f"{label:<24} {demo[5:]:<5} {form:<5} {len(operators):>3} {quantdash / 10:>8.1f}% "
                      f"{litert / 10:>6.1f}% {diff:>+5d} {differ:>6} {steps:>5} {optimized:>8} {reference:>8}  "
                      f"{os.path.getsize(path):>13,} "
                      f"{size['bytes']:>10,} {size['floatBytes']:>9,}{note}")
    print(f"{'all plans agree' if failures == 0 else f'{failures} FAILED'} "
          f"(tolerance {TOLERANCE_IMAGES} image; int8 files: XNNPACK bit for bit with the float requantization, "
          f"LiteRT's own kernels within one step of the fixed point; float files store float32 weights, so only the int8 files' "
          f"size is near the size model's)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
