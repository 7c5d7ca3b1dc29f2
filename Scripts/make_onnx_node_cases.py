#!/usr/bin/env python3
"""Write ONNX's backend *node* test cases (one operator each) into DIR/node/.

The `onnx` wheel no longer ships the generated node cases, only the code that makes them
(`onnx.backend.test.case.node`); this script runs that code and writes each case as the
backend runner reads it: DIR/node/<case>/model.onnx and test_data_set_0/{input,output}_*.pb.
Cases whose inputs are sequences, maps or optionals are left out (the engine has tensors only).

Usage: python3 Scripts/make_onnx_node_cases.py DIR   (then Scripts/survey_onnx_backend_tests.sh DIR)
Creates its own venv (Scripts/.venv-zoo) with onnx and numpy.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".venv-zoo"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["onnx==1.23.2", "numpy"])

import shutil  # noqa: E402

import onnx.backend.test.case.node as node_cases  # noqa: E402
from onnx import TensorProto, numpy_helper  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = os.path.join(sys.argv[1], "node")
    written = 0
    for case in node_cases.collect_testcases():
        graph = case.model.graph
        if not all(value.type.HasField("tensor_type") for value in list(graph.input) + list(graph.output)):
            continue
        folder = os.path.join(root, case.name)
        shutil.rmtree(folder, ignore_errors=True)
        data = os.path.join(folder, "test_data_set_0")
        os.makedirs(data)
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        inputs, outputs = case.data_sets[0]
        for prefix, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            for index, value in enumerate(values):
                proto = value if isinstance(value, TensorProto) else numpy_helper.from_array(value, infos[index].name)
                with open(os.path.join(data, f"{prefix}_{index}.pb"), "wb") as f:
                    f.write(proto.SerializeToString())
        written += 1
    print(f"wrote {written} node cases to {root}")


if __name__ == "__main__":
    main()
