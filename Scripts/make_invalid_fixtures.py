#!/usr/bin/env python3
"""Generate the hostile-file fixtures: one tiny file per failure, each asserted by its message.

  Tests/Fixtures/invalid/onnx/     broken ONNX models (ONNXInvalidFileTests, ONNXExternalDataTests)
  Tests/Fixtures/invalid/idx/      broken IDX files, plain and gzip (InvalidIDXFileTests)
  Tests/Fixtures/invalid/data/     more broken .npy/.npz/.csv files (InvalidDataFileTests; the
                                   first ones come from make_data_fixtures.py)
  Tests/Fixtures/invalid/plans/    broken plan JSON files (InvalidPlanFileTests)
  Tests/Fixtures/invalid/sessions/ three generated session files (SessionFixtureTests; the others
                                   are hand-written)
  Tests/Fixtures/external-data/    a valid model whose weight lives in a side file (location key)

Every file is a few hundred bytes at most; several claim gigabytes in their headers, which the
readers must refuse before allocating anything.

Run once (it creates Scripts/.venv with numpy and onnx):
    python3 Scripts/make_invalid_fixtures.py
"""
from venv import ensure_venv  # Scripts/venv.py

ensure_venv(["numpy", "onnx"])

import gzip  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import struct  # noqa: E402
import zipfile  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
ONNX_DIR = os.path.join(FIXTURES, "invalid", "onnx")
IDX_DIR = os.path.join(FIXTURES, "invalid", "idx")
DATA_DIR = os.path.join(FIXTURES, "invalid", "data")
PLAN_DIR = os.path.join(FIXTURES, "invalid", "plans")
SESSION_DIR = os.path.join(FIXTURES, "invalid", "sessions")
EXTERNAL_DIR = os.path.join(FIXTURES, "external-data")


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ONNX ------------------------------------------------------------------------------------------

def weight(name="w", dims=(2, 2), values=None, raw=True):
    """A float initializer, by default [[1, 2], [3, 4]] as raw_data."""
    values = np.arange(1, 1 + int(np.prod(dims)), dtype=np.float32) if values is None else np.array(values, np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, list(dims), values.tobytes() if raw else values.tolist(), raw=raw)


def model(nodes, initializers=(), inputs=(("x", [1, 2]),), outputs=(("y", [1, 2]),)):
    graph = helper.make_graph(
        list(nodes), "tiny",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        list(initializers))
    result = helper.make_model(graph, producer_name="make_invalid_fixtures", opset_imports=[helper.make_opsetid("", 13)])
    result.ir_version = 8
    return result


def matmul(inputs=("x", "w"), output="y", name="mm"):
    return helper.make_node("MatMul", list(inputs), [output], name=name)


def raw_tensor(name, dims, raw_bytes, data_type=TensorProto.FLOAT):
    """A TensorProto whose dims and raw_data need not agree (helper.make_tensor checks)."""
    tensor = TensorProto()
    tensor.name = name
    tensor.data_type = data_type
    tensor.dims.extend(dims)
    tensor.raw_data = raw_bytes
    return tensor


def external(name, dims, location, offset=None, length=None):
    tensor = TensorProto()
    tensor.name = name
    tensor.data_type = TensorProto.FLOAT
    tensor.dims.extend(dims)
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = tensor.external_data.add()
            entry.key, entry.value = key, str(value)
    return tensor


def save(folder, name, proto):
    write(folder, name, proto.SerializeToString())


def make_onnx():
    good = model([matmul()], [weight()])
    save(ONNX_DIR, "truncated.onnx", good)
    data = good.SerializeToString()
    write(ONNX_DIR, "truncated.onnx", data[: len(data) // 2])
    write(ONNX_DIR, "garbage.onnx", b"this is not an ONNX model, just text\n")
    write(ONNX_DIR, "empty.onnx", b"")
    save(ONNX_DIR, "cycle.onnx", model(
        [helper.make_node("Add", ["x", "c"], ["b"], name="a"), helper.make_node("Relu", ["b"], ["c"], name="r")],
        outputs=(("c", [1, 2]),)))
    save(ONNX_DIR, "dangling-input.onnx", model([matmul(("x", "ghost"))]))
    save(ONNX_DIR, "duplicate-output.onnx", model(
        [matmul(), helper.make_node("Relu", ["x"], ["y"], name="relu")], [weight()]))
    save(ONNX_DIR, "duplicate-initializer.onnx", model([matmul()], [weight(), weight(values=[5, 6, 7, 8])]))
    save(ONNX_DIR, "missing-output.onnx", model([matmul()], [weight()], outputs=(("z", [1, 2]),)))
    save(ONNX_DIR, "raw-data-mismatch.onnx", model([matmul()], [raw_tensor("w", [2, 2], np.zeros(3, np.float32).tobytes())]))
    save(ONNX_DIR, "negative-dim.onnx", model([matmul()], [raw_tensor("w", [-1, 2], np.zeros(2, np.float32).tobytes())]))
    save(ONNX_DIR, "overflow-dims.onnx", model([matmul()], [raw_tensor("w", [2**40, 2**40], np.zeros(1, np.float32).tobytes())]))
    # Zero rows, but the other axes multiply past Int.max: refused, not kept as a time bomb.
    save(ONNX_DIR, "zero-and-overflow-dims.onnx", model([matmul()], [raw_tensor("w", [0, 2**40, 2**40], b"")]))
    # 10^10 floats (40 GB) declared, 16 bytes present: refused before anything is allocated.
    save(ONNX_DIR, "absurd-dims.onnx", model([matmul()], [raw_tensor("w", [100000, 100000], np.zeros(4, np.float32).tobytes())]))
    absurd = TensorProto()
    absurd.name, absurd.data_type = "w", TensorProto.FLOAT
    absurd.dims.extend([100000, 100000])
    absurd.float_data.extend([1, 2, 3, 4])
    save(ONNX_DIR, "absurd-dims-float-data.onnx", model([matmul()], [absurd]))
    save(ONNX_DIR, "unsupported-op.onnx", model(
        [helper.make_node("NonMaxSuppression", ["x", "x"], ["y"], name="nms")]))
    save(ONNX_DIR, "unsupported-dtype.onnx", model(
        [matmul()], [raw_tensor("w", [2, 2], np.ones(4, np.float16).tobytes(), TensorProto.FLOAT16)]))
    save(ONNX_DIR, "nan-weight.onnx", model([matmul()], [weight(values=[1, 2, float("nan"), 4])]))
    save(ONNX_DIR, "inf-weight.onnx", model([matmul()], [weight(values=[float("-inf"), 2, 3, 4])]))
    # A valid model with 3 input features: it cannot take 784-pixel digits (checked by the CLI).
    save(ONNX_DIR, "input-3-features.onnx", model(
        [matmul()], [weight(dims=(3, 10), values=np.linspace(-1, 1, 30))], inputs=(("x", [1, 3]),),
        outputs=(("y", [1, 10]),)))

    # Valid files whose attributes or input shape ask for terabytes once run (inspect, eval):
    # refused by the operators before anything is allocated.
    image = (("x", [1, 1, 4, 4]),)
    pads = helper.make_tensor("pads", TensorProto.INT64, [8], [0, 0, 2**40, 0, 0, 0, 0, 0])
    save(ONNX_DIR, "run-pad-huge.onnx", model(
        [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad")], [pads], inputs=image, outputs=(("y", None),)))
    save(ONNX_DIR, "run-conv-huge-pads.onnx", model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[2**20] * 4)], [weight(dims=(1, 1, 1, 1), values=[1])],
        inputs=image, outputs=(("y", None),)))
    save(ONNX_DIR, "run-pool-huge-pads.onnx", model(
        [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[1, 1], pads=[2**20] * 4)],
        inputs=image, outputs=(("y", None),)))
    save(ONNX_DIR, "run-input-huge.onnx", model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")], inputs=(("x", [1, 2**40]),), outputs=(("y", None),)))

    # External data: the side file holds [1, 2, 3, 4] as float32 (16 bytes).
    side = np.arange(1, 5, dtype=np.float32).tobytes()
    write(ONNX_DIR, "weights.bin", side)
    save(ONNX_DIR, "external-absolute.onnx", model([matmul()], [external("w", [2, 2], "/etc/passwd")]))
    save(ONNX_DIR, "external-dotdot.onnx", model([matmul()], [external("w", [2, 2], "../onnx/weights.bin")]))
    save(ONNX_DIR, "external-missing.onnx", model([matmul()], [external("w", [2, 2], "missing.bin")]))
    save(ONNX_DIR, "external-offset.onnx", model([matmul()], [external("w", [2, 2], "weights.bin", offset=1000)]))
    save(ONNX_DIR, "external-length.onnx", model([matmul()], [external("w", [2, 2], "weights.bin", length=64)]))
    save(ONNX_DIR, "external-size-mismatch.onnx", model([matmul()], [external("w", [2, 2], "weights.bin", 8)]))
    save(ONNX_DIR, "external-no-location.onnx", model([matmul()], [external("w", [2, 2], None)]))
    save(ONNX_DIR, "external-bad-offset.onnx", model([matmul()], [external("w", [2, 2], "weights.bin", offset="-4")]))
    # Valid: the weight at offset 16 of a 32-byte side file (first 16 bytes are padding).
    write(EXTERNAL_DIR, "tiny.weights", b"\0" * 16 + side)
    save(EXTERNAL_DIR, "tiny.onnx", model([matmul()], [external("w", [2, 2], "tiny.weights", offset=16, length=16)]))
    # Issue 16.8: a weight of 2 GiB in 2gib.bin, which the test creates as a sparse file.
    save(EXTERNAL_DIR, "2gib.onnx", model([matmul()], [external("w", [8, 1 << 26], "2gib.bin")],
                                          inputs=(("x", [1, 8]),), outputs=(("y", [1, 1 << 26]),)))


# IDX -------------------------------------------------------------------------------------------

def be32(value):
    return struct.pack(">I", value)


def idx(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(be32(d) for d in dims) + payload


def make_idx():
    write(IDX_DIR, "bad-magic.idx", b"PK\x03\x04\0\0\0\0")
    write(IDX_DIR, "too-short.idx", b"\0\0")
    write(IDX_DIR, "unknown-type.idx", idx(0x07, [1], b"\x05"))
    write(IDX_DIR, "rank-zero.idx", bytes([0, 0, 0x08, 0, 7]))
    write(IDX_DIR, "rank-nine.idx", bytes([0, 0, 0x08, 9]) + b"\0" * 36)
    write(IDX_DIR, "truncated-header.idx", bytes([0, 0, 0x08, 3]) + be32(1))
    write(IDX_DIR, "truncated-data.idx", idx(0x08, [2, 2, 2], bytes([1, 2, 3, 4, 5])))
    # A million 28×28 images claimed in 30 bytes: refused before 784 MB are allocated.
    write(IDX_DIR, "lying-dims.idx3-ubyte", idx(0x08, [1_000_000, 28, 28], b"\x09" * 14))
    write(IDX_DIR, "overflow-dims.idx", idx(0x0E, [0xFFFFFFFF] * 3, b"\x01\x02"))
    write(IDX_DIR, "zero-and-overflow-dims.idx", idx(0x0E, [0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b""))
    write(IDX_DIR, "trailing-bytes.idx", idx(0x08, [2], b"\x01\x02\x03"))
    # Gzip: cut short, a damaged CRC, and a valid gzip of a broken IDX file.
    good = gzip.compress(idx(0x08, [2, 2], bytes([1, 2, 3, 4])), mtime=0)
    write(IDX_DIR, "truncated.idx.gz", good[:7])
    write(IDX_DIR, "bad-crc.idx.gz", good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:])
    write(IDX_DIR, "gzip-of-truncated.idx.gz", gzip.compress(idx(0x08, [4, 4], b"\x01"), mtime=0))
    # Float images with a NaN at flat index 5 (sample 1 of [2, 2, 2]).
    write(IDX_DIR, "nan-float32.idx", idx(0x0D, [2, 2, 2], struct.pack(">8f", 0, 1, 2, 3, 4, float("nan"), 6, 7)))
    # Labels: float, rank 2, and two labels for the 1000 bundled held-out images.
    write(IDX_DIR, "labels-float.idx1-ubyte", idx(0x0D, [2], struct.pack(">2f", 1, 2)))
    write(IDX_DIR, "labels-rank2.idx1-ubyte", idx(0x08, [2, 1], b"\x01\x02"))
    write(IDX_DIR, "labels-two.idx1-ubyte", idx(0x08, [2], b"\x01\x02"))
    # An empty data set: zero images of 2×2.
    write(IDX_DIR, "empty.idx3-ubyte", idx(0x08, [0, 2, 2], b""))


# NumPy and CSV ---------------------------------------------------------------------------------

def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def raw_npy(header, payload, major=1):
    """A .npy file with this header dict text, padded as NumPy pads it."""
    prefix = 10 if major == 1 else 12
    text = header + " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    size = len(text).to_bytes(2 if major == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([major, 0]) + size + text.encode("latin1") + payload


def zip_entry(archive, name, data):
    """Adds an entry with a fixed timestamp, so regenerating gives the same bytes."""
    archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)


def make_data():
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    nan = values.copy()
    nan[1, 1] = np.nan
    write(DATA_DIR, "nan.npy", npy_bytes(nan))
    inf = values.astype(np.float64)
    inf[0, 2] = 1e300  # finite as float64, infinite once read as float32
    with zipfile.ZipFile(os.path.join(DATA_DIR, "inf.npz"), "w") as archive:
        zip_entry(archive, "x.npy", npy_bytes(inf))
        zip_entry(archive, "y.npy", npy_bytes(np.array([0, 1], dtype=np.int64)))
    write(DATA_DIR, "empty.npy", npy_bytes(np.zeros((0, 4), np.float32)))
    write(DATA_DIR, "zero-and-overflow-dims.npy",
          raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4000000000000, 4000000000), }", b""))
    write(DATA_DIR, "negative-dim.npy",
          raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", b"\0" * 16))
    # The header length field claims 65535 bytes; the file has about 80.
    lying = bytearray(npy_bytes(values))
    lying[8:10] = (65535).to_bytes(2, "little")
    write(DATA_DIR, "header-length-lie.npy", bytes(lying))
    # Version 2 with a 4 GiB header length.
    write(DATA_DIR, "huge-header-v2.npy", b"\x93NUMPY\x02\x00" + b"\xff\xff\xff\xff" + b"{}")
    write(DATA_DIR, "scalar-images.npy", npy_bytes(np.float32(3)))
    with zipfile.ZipFile(os.path.join(DATA_DIR, "float-labels.npz"), "w") as archive:
        zip_entry(archive, "x.npy", npy_bytes(values))
        zip_entry(archive, "y.npy", npy_bytes(np.array([0.5, 1], dtype=np.float32)))
    with zipfile.ZipFile(os.path.join(DATA_DIR, "label-count.npz"), "w") as archive:
        zip_entry(archive, "x.npy", npy_bytes(values))
        zip_entry(archive, "y.npy", npy_bytes(np.array([0, 1, 2], dtype=np.int64)))
    with zipfile.ZipFile(os.path.join(DATA_DIR, "single-class.npz"), "w") as archive:
        zip_entry(archive, "x.npy", npy_bytes(values))
        zip_entry(archive, "y.npy", npy_bytes(np.array([0, 0], dtype=np.int64)))
    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(archive_bytes, "w") as archive:
        zip_entry(archive, "x.npy", npy_bytes(values))
    write(DATA_DIR, "truncated.npz", archive_bytes.getvalue()[:60])
    write(DATA_DIR, "nan.csv", "label,a,b\n1,0.5,0.25\n0,nan,1\n")
    write(DATA_DIR, "ragged.csv", "label,a,b\n1,0.5,0.25\n0,0.75\n")
    write(DATA_DIR, "fractional-label.csv", "label,a,b\n1,0.5,0.25\n2.5,0.75,1\n")
    write(DATA_DIR, "huge-label.csv", "label,a,b\n99999999999999999999,0.5,0.25\n")
    write(DATA_DIR, "max-int-label.csv", "label,a,b\n9223372036854775807,0.5,0.25\n")
    write(DATA_DIR, "header-only.csv", "label,a,b\n")
    write(DATA_DIR, "empty.csv", "")


# Plans -----------------------------------------------------------------------------------------

def make_plans():
    write(PLAN_DIR, "empty.json", "")
    write(PLAN_DIR, "not-json.json", "bits: 4\n")
    write(PLAN_DIR, "truncated.json", '{ "version": 1, "default": { "bits": 4 ')
    write(PLAN_DIR, "top-level-array.json", "[1, 2, 3]\n")
    write(PLAN_DIR, "wrong-version.json", '{ "version": 99 }\n')
    write(PLAN_DIR, "unknown-field.json", '{ "version": 1, "default": { "bitz": 4 } }\n')
    write(PLAN_DIR, "bits-out-of-range.json", '{ "version": 1, "default": { "bits": 17 } }\n')
    write(PLAN_DIR, "huge-bits.json", '{ "version": 1, "default": { "bits": 1e400 } }\n')
    write(PLAN_DIR, "unknown-scheme.json", '{ "version": 1, "default": { "scheme": "int3" } }\n')
    write(PLAN_DIR, "negative-threshold.json",
          '{ "version": 1, "default": { "bits": 8, "prune": { "threshold": -1 } } }\n')
    write(PLAN_DIR, "binary-with-8-bits.json", '{ "version": 1, "default": { "scheme": "binary", "bits": 8 } }\n')
    write(PLAN_DIR, "unknown-layer.json", '{ "version": 1, "layers": { "no_such_layer": { "bits": 4 } } }\n')
    write(PLAN_DIR, "deep-nesting.json", "[" * 20000 + "]" * 20000)


def make_sessions():
    # The rest of invalid/sessions/ is hand-written; these three are easier to generate.
    write(SESSION_DIR, "deep-nesting.json", "[" * 20000 + "]" * 20000)
    write(SESSION_DIR, "not-utf8.json", b"\xff\xfe{\x00\"\x00v\x00")
    write(SESSION_DIR, "huge-version.json", '{ "version": 1e400 }\n')


def main():
    make_sessions()
    make_onnx()
    make_idx()
    make_data()
    make_plans()
    for folder in (ONNX_DIR, IDX_DIR, PLAN_DIR, EXTERNAL_DIR):
        largest = max(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))
        assert largest <= 200_000, f"{folder}: a fixture of {largest} bytes is not tiny"
    onnx.checker.check_model(os.path.join(EXTERNAL_DIR, "tiny.onnx"))  # the valid one is valid


if __name__ == "__main__":
    main()
