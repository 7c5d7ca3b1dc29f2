#!/usr/bin/env python3
"""Check `quantdash export --format c`: compiled, it computes what quantdash evaluates.

For both demo models and several plans, runs `quantdash export --format c`, compiles the model with
a small driver (`cc -O2 -std=c99 -pedantic -Wall -Wextra -Werror`), runs it on the 1000 held-out
demo digits (pixels / 255 as float32) and compares its outputs per image with quantdash's:

- int8 plans (8-bit symmetric weights per channel or per tensor, 8-bit activations by min-max or
  percentile calibration, with or without unstructured pruning) must give the **integer** form, and
  its outputs must equal `eval --integer --save-outputs` bit for bit on every image (so the output
  codes are identical, and so is top-1) — in the default float requantization and, for one plan,
  with `--requantization fixed-point` given to both export and eval (TFLite's int32 multiplier
  and shift), which the export line must name;
- other plans must give the **float** form (weights decoded to float) and agree with
  `eval --plan --save-outputs` on top-1 for all but at most 2 images (float arithmetic in another
  order), and on accuracy within 2 images.

Also requires the flash and peak RAM the export line prints to equal the header's
`NAME_FLASH_BYTES` / `NAME_RAM_BYTES` (which the generated source checks against `sizeof` at
compile time), and prints them beside the size model's bytes.

Usage: python3 Scripts/check_c_export.py [--quantdash PATH_TO_BINARY] [--cc COMPILER]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["numpy"])

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

import demo_data  # noqa: E402  (Scripts/demo_data.py)

ROOT = os.path.dirname(HERE)
FLOAT_TOLERANCE_IMAGES = 2
LAYERS = {"demo-mlp": ["fc1", "fc2", "fc3"], "demo-cnn": ["conv1", "conv2", "fc1", "fc2"]}
FORMS = {"integer int8": "int8", "float with decoded weights": "float"}

DRIVER = r"""
#include <stdio.h>
#include "NAME.h"

/* argv: input float32 file (examples back to back), output float32 file */
int main(int argc, char **argv)
{
    static float input[UPPER_INPUT_COUNT];
    static float logits[UPPER_OUTPUT_COUNT];
    FILE *in, *out;
    if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) { return 2; }
    while (fread(input, sizeof input, 1, in) == 1) {
        (void)NAME_predict(input, logits);
        if (fwrite(logits, sizeof logits, 1, out) != 1) { return 3; }
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 4;
}
"""


def plans(layers):
    """Plan label → (plan JSON, expected form[, flags for export and eval]) for a model with these layer names."""
    first = layers[0]

    def int8(granularity, **extra):
        return {"bits": 8, "scheme": "symmetric", "granularity": granularity, "activationBits": 8, **extra}

    return {
        "int8 channel minmax": ({"default": int8("channel")}, "int8"),
        "int8 tensor pctl": ({"default": int8("tensor", calibration="percentile")}, "int8"),
        "int8 chan, fixed-point": ({"default": int8("channel")}, "int8", ["--requantization", "fixed-point"]),
        "int8 channel, 50% pruned": ({"default": int8("channel", prune={"sparsity": 0.5})}, "int8"),
        "int8 mixed, 2:4 pruned": ({"default": int8("channel", prune={"pattern": "2:4"}),
                                    "layers": {first: int8("tensor")}}, "int8"),
        "w4 asym tensor, pruned": ({"default": {"bits": 4, "scheme": "asymmetric", "granularity": "tensor",
                                                "prune": {"threshold": 0.03}}}, "float"),
        "w8 sym a8, first float": ({"default": int8("channel"), "layers": {first: {"bits": "float"}}}, "float"),
    }


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return result.stdout


def define(header, name):
    match = re.search(rf"#define \w+_{name} (\S+)", header)
    if not match:
        raise RuntimeError(f"the header has no _{name}")
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quantdash", default=os.path.join(ROOT, ".build", "release", "quantdash"))
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = parser.parse_args()
    images, labels = demo_data.demo_split("heldout")
    cc_version = run([args.cc, "--version"]).splitlines()[0]
    print(f"{args.cc}: {cc_version}; {len(labels)} held-out digits")
    print("int8 form: outputs compared with eval --integer bit for bit (differ: values that differ); "
          "float form: top-1 with eval --plan (differ: images whose top-1 differs)")
    header_line = (f"{'plan':<24} {'model':<5} {'form':<5} {'quantdash':>9} {'C':>7} {'differ':>6}  "
                   f"{'flash B':>8} {'size model':>10} {'RAM B':>7}")
    print(header_line)
    print("-" * len(header_line))
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        inputs_path = os.path.join(folder, "heldout.f32")
        images.astype(np.float32).tofile(inputs_path)
        for demo, layers in LAYERS.items():
            for index, (label, (plan, expected_form, *extra)) in enumerate(plans(layers).items()):
                flags = extra[0] if extra else []
                plan_path = os.path.join(folder, f"{demo}-plan{index}.json")
                with open(plan_path, "w") as f:
                    json.dump({"version": 1, **plan}, f)
                name = f"m{index}_{demo[5:]}"
                base = os.path.join(folder, name)
                line = run([args.quantdash, "export", "--plan", plan_path, "--format", "c", "--out", base,
                            "--model", demo, "--force"] + flags)
                match = re.search(r"C99 model of [^,]+, ([^,(]+?)(?: \(([\w-]+) requantization\))?, (\d+) bytes of "
                                  r"flash .*?, (\d+) bytes of peak RAM", line)
                if not match:
                    raise RuntimeError(f"unexpected export line: {line}")
                form, flash, ram = FORMS.get(match.group(1), "?"), int(match.group(3)), int(match.group(4))
                # The integer form says which requantization it runs: the one asked for (float by default).
                asked = flags[flags.index("--requantization") + 1] if "--requantization" in flags else "float"
                sizes_agree = form != "int8" or match.group(2) == asked
                with open(base + ".h") as f:
                    header = f.read()
                sizes_agree = sizes_agree and define(header, "FLASH_BYTES") == flash and define(header, "RAM_BYTES") == ram
                driver = os.path.join(folder, f"{name}_driver.c")
                with open(driver, "w") as f:
                    f.write(DRIVER.replace("UPPER", name.upper()).replace("NAME", name))
                program = os.path.join(folder, f"{name}_run")
                run([args.cc, "-O2", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-o", program,
                     driver, base + ".c"] + (["-lm"] if form == "float" else []))
                outputs_path = os.path.join(folder, f"{name}.out")
                run([program, inputs_path, outputs_path])
                c_outputs = np.fromfile(outputs_path, dtype=np.float32).reshape(len(labels), -1)
                ours_path = os.path.join(folder, f"{name}.npy")
                integer = ["--integer", "--latency-runs", "0"] if form == "int8" else []
                # --batch-size 250: what export uses for the demo data (percentile calibration grows its
                # histogram batch by batch; see check_integer.py).
                ours = json.loads(run([args.quantdash, "eval", "--model", demo, "--plan", plan_path, "--json",
                                       "--save-outputs", ours_path, "--batch-size", "250"]
                                      + integer + (flags if form == "int8" else [])))
                our_outputs = np.load(ours_path).reshape(len(labels), -1)
                quantdash = ours["integer"]["correct"] if form == "int8" else ours["accuracy"]["correct"]
                c_correct = int((c_outputs.argmax(axis=1) == labels).sum())
                if form == "int8":
                    differ = int((c_outputs.view(np.uint32) != our_outputs.view(np.uint32)).sum())
                    ok = differ == 0 and c_correct == quantdash
                else:
                    differ = int((c_outputs.argmax(axis=1) != our_outputs.argmax(axis=1)).sum())
                    ok = differ <= FLOAT_TOLERANCE_IMAGES and abs(c_correct - quantdash) <= FLOAT_TOLERANCE_IMAGES
                ok = ok and form == expected_form and sizes_agree
                failures += 0 if ok else 1
                note = "" if ok else (f"  FAIL{'' if form == expected_form else f' (expected {expected_form})'}"
                                      f"{'' if sizes_agree else ' (header sizes or requantization differ from the line)'}")
                print(f"{label:<24} {demo[5:]:<5} {form:<5} {quantdash / 10:>8.1f}% {c_correct / 10:>6.1f}% "
                      f"{differ:>6}  {flash:>8,} {ours['size']['bytes']:>10,} {ram:>7,}{note}")
    print("all plans agree" if failures == 0 else f"{failures} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
