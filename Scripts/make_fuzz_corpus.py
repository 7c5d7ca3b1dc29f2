#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus to Fuzz/Corpus/<target>/ (small valid and near-valid inputs).

Run from the repository root: python3 Scripts/make_fuzz_corpus.py. Needs NumPy (for .npy/.npz).
Deterministic: the same repository gives the same files.
"""
import gzip
import io
import pathlib
import shutil
import struct
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "Corpus"
DEMO = ROOT / "Sources" / "QuantCore" / "Resources" / "Demo"
FIXTURES = ROOT / "Tests" / "Fixtures"


def target(name):
    folder = CORPUS / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def npy_bytes(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array)
    else:
        np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


def arrays():
    rng = np.random.default_rng(7)
    return {
        "f4-2d": rng.standard_normal((3, 4)).astype("<f4"),
        "f8-1d": rng.standard_normal(5).astype("<f8"),
        "u1-3d": rng.integers(0, 255, (2, 3, 3)).astype("u1"),
        "i1": np.array([-3, 0, 7], dtype="i1"),
        "u2": np.array([1, 65535], dtype="<u2"),
        "i4": np.array([[1, -2], [3, 4]], dtype="<i4"),
        "i8-labels": np.array([0, 1, 9, 3], dtype="<i8"),
        "scalar": np.array(1.5, dtype="<f4"),
        "empty": np.zeros((0, 4), dtype="<f4"),
    }


def npy():
    folder = target("FuzzNpy")
    for name, array in arrays().items():
        (folder / f"{name}.npy").write_bytes(npy_bytes(array))
    (folder / "v2.npy").write_bytes(npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3), (2, 0)))
    (folder / "v3.npy").write_bytes(npy_bytes(np.arange(3, dtype="<i8"), (3, 0)))
    for path in sorted((FIXTURES / "invalid" / "data").glob("*.npy")):
        (folder / f"invalid-{path.name}").write_bytes(path.read_bytes()[:4096])


def npz():
    folder = target("FuzzNpz")
    data = arrays()
    rng = np.random.default_rng(8)
    x = rng.integers(0, 255, (4, 1, 4, 4)).astype("u1")
    y = np.array([0, 1, 2, 3], dtype="<i8")
    for compression, suffix in [(zipfile.ZIP_STORED, "stored"), (zipfile.ZIP_DEFLATED, "deflated")]:
        for name, members in [("xy", {"x": x, "y": y}), ("all", data)]:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression) as archive:
                for member, array in members.items():
                    info = zipfile.ZipInfo(f"{member}.npy", date_time=(2026, 1, 1, 0, 0, 0))
                    info.compress_type = compression
                    archive.writestr(info, npy_bytes(array))
            (folder / f"{name}-{suffix}.npz").write_bytes(buffer.getvalue())
    for path in sorted((FIXTURES / "invalid" / "data").glob("*.npz")):
        (folder / f"invalid-{path.name}").write_bytes(path.read_bytes())


def idx_bytes(code, array, fmt):
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(fmt).tobytes()


def idx():
    folder = target("FuzzIDX")
    images = (DEMO / "mnist-heldout-images.idx3-ubyte").read_bytes()
    labels = (DEMO / "mnist-heldout-labels.idx1-ubyte").read_bytes()
    three = images[:4] + struct.pack(">I", 2) + images[8:16] + images[16 : 16 + 2 * 784]
    small = {
        "images-2x28x28": three,
        "labels-8": labels[:4] + struct.pack(">I", 8) + labels[8:16],
        "u1-2x3": idx_bytes(0x08, np.arange(6).reshape(2, 3), "u1"),
        "i1": idx_bytes(0x09, np.array([-1, 2, -3]), "i1"),
        "i2": idx_bytes(0x0B, np.array([[-300, 2], [3, 400]]), ">i2"),
        "i4": idx_bytes(0x0C, np.array([1 << 20, -5]), ">i4"),
        "f4": idx_bytes(0x0D, np.array([[0.5, -1.0, 3.25]]), ">f4"),
        "f8": idx_bytes(0x0E, np.array([1e-3, 2.0]), ">f8"),
    }
    for name, content in small.items():
        (folder / f"{name}.idx").write_bytes(content)
        (folder / f"{name}.idx.gz").write_bytes(gzip.compress(content, mtime=0))
    named = gzip.GzipFile(filename="labels-ubyte", mode="wb", fileobj=(buffer := io.BytesIO()), mtime=0)
    named.write(small["labels-8"])
    named.close()
    (folder / "labels-fname.idx.gz").write_bytes(buffer.getvalue())


def onnx():
    folder = target("FuzzONNX")
    for path in sorted((FIXTURES / "onnx-backend-tests").rglob("*.onnx")):
        if path.stat().st_size <= 16384:
            relative = path.relative_to(FIXTURES / "onnx-backend-tests")
            (folder / ("-".join(relative.parts))).write_bytes(path.read_bytes())


def plans():
    folder = target("FuzzPlan")
    for path in sorted((ROOT / "docs" / "examples").glob("*.json")):
        (folder / path.name).write_bytes(path.read_bytes())


VALID_SESSION = """{
  "createdAt" : "2026-11-18T11:06:40Z",
  "data" : {
    "path" : "demo",
    "sha256" : "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
  },
  "model" : {
    "path" : "demo-mlp",
    "sha256" : "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  },
  "name" : "mlp-4bit",
  "notes" : "fc1 tolerates 4 bits",
  "plan" : {
    "default" : {
      "activationBits" : "float",
      "bits" : 8,
      "calibration" : "minmax",
      "granularity" : "channel",
      "prune" : "none",
      "range" : "minmax",
      "rounding" : "nearest-even",
      "scheme" : "symmetric"
    },
    "layers" : {
      "fc1" : {
        "bits" : 4
      }
    },
    "version" : 1
  },
  "results" : {
    "agreement" : 0.98,
    "compressionRatio" : 6.25,
    "count" : 1000,
    "floatBytes" : 940584,
    "isExact" : true,
    "nll" : 0.25,
    "sizeBytes" : 150000,
    "top1" : 0.951,
    "top5" : 0.995
  },
  "updatedAt" : "2026-11-18T11:07:40Z",
  "version" : 1,
  "view" : {
    "selectedLayer" : "fc1"
  }
}
"""


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def proto_fields(data):
    """A protobuf message as [(field, wire type, value)]; length-delimited values stay bytes."""
    fields, i = [], 0
    while i < len(data):
        key, shift = 0, 0
        while True:
            key |= (data[i] & 0x7F) << shift
            shift += 7
            i += 1
            if not data[i - 1] & 0x80:
                break
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, shift = 0, 0
            while True:
                value |= (data[i] & 0x7F) << shift
                shift += 7
                i += 1
                if not data[i - 1] & 0x80:
                    break
        elif wire == 2:
            length, shift = 0, 0
            while True:
                length |= (data[i] & 0x7F) << shift
                shift += 7
                i += 1
                if not data[i - 1] & 0x80:
                    break
            value, i = data[i : i + length], i + length
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        else:
            raise ValueError(f"wire type {wire}")
        fields.append((field, wire, value))
    return fields


def proto_bytes(fields):
    out = bytearray()
    for field, wire, value in fields:
        out += varint(field << 3 | wire)
        if wire == 0:
            out += varint(value)
        elif wire == 2:
            out += varint(len(value)) + value
        else:
            out += value
    return bytes(out)


def edit(fields, field, change):
    return [(f, w, change(v) if f == field else v) for f, w, v in fields]


def round_two():
    """Seeds for the classes of issue 16 (reliability, round two)."""
    # IDX: two gzip members, zero padding, a trailer declaring 3.85 GB, a long zero body.
    folder = CORPUS / "FuzzIDX"
    labels = (DEMO / "mnist-heldout-labels.idx1-ubyte").read_bytes()[:40]
    labels = labels[:4] + struct.pack(">I", 32) + labels[8:40]
    two = gzip.compress(labels[:20], mtime=0) + gzip.compress(labels[20:], mtime=0)
    (folder / "r2-two-members.idx.gz").write_bytes(two)
    (folder / "r2-zero-padded.idx.gz").write_bytes(two + bytes(16))
    bomb = bytearray(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 100000) + bytes(100000), mtime=0))
    bomb[-4:] = struct.pack("<I", 3_850_000_000)
    (folder / "r2-lying-trailer.idx.gz").write_bytes(bytes(bomb))
    # NPZ: a deflated entry of zeros whose directory declares 4 GB - 1.
    folder = CORPUS / "FuzzNpz"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("x.npy", date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, npy_bytes(np.zeros((4096, 16), dtype="u1")))
    data = bytearray(buffer.getvalue())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = struct.pack("<I", 0xFFFFFFFE)
    data[central + 24 : central + 28] = struct.pack("<I", 0xFFFFFFFE)
    (folder / "r2-declares-4gb.npz").write_bytes(bytes(data))
    # Plans: repeated keys, numbers no exporter can store, control characters and a long name.
    folder = CORPUS / "FuzzPlan"
    seeds = {
        "r2-duplicate-key": '{"version": 1, "default": {"bits": 4, "bits": 8}}',
        "r2-group-int-max": '{"version": 1, "default": {"bits": 4, "granularity": "group", '
        '"groupSize": 9223372036854775807}}',
        "r2-group-2-32": '{"version": 1, "default": {"bits": 4, "granularity": "group", "groupSize": 4294967297}}',
        "r2-pattern-huge": '{"version": 1, "default": {"bits": 8, "prune": {"pattern": "1:9223372036854775807"}}}',
        "r2-escape-name": '{"version": 1, "layers": {"fc\\u001b]0;x\\u0007": {"bits": 4}}}',
        "r2-long-name": '{"version": 1, "layers": {"' + "y" * 2000 + '": {"bits": 4}}}',
    }
    for name, text in seeds.items():
        (folder / f"{name}.json").write_text(text)
    # ONNX: IR and opset 99, two nodes with one name, a name with escape sequences.
    folder = CORPUS / "FuzzONNX"
    base = (FIXTURES / "onnx-backend-tests" / "pytorch-operator" / "test_operator_addmm" / "model.onnx").read_bytes()
    model = proto_fields(base)
    (folder / "r2-ir-99.onnx").write_bytes(proto_bytes(edit(model, 1, lambda _: 99)))
    opset99 = edit(model, 8, lambda opset: proto_bytes(edit(proto_fields(opset), 2, lambda _: 99)))
    (folder / "r2-opset-99.onnx").write_bytes(proto_bytes(opset99))

    def renamed(name):
        def graph(g):
            return proto_bytes(edit(proto_fields(g), 1, lambda node: proto_bytes(
                [(f, w, name if f == 3 else v) for f, w, v in proto_fields(node)] +
                ([] if any(f == 3 for f, _, _ in proto_fields(node)) else [(3, 2, name)]))))
        return proto_bytes(edit(model, 7, graph))

    (folder / "r2-escape-name.onnx").write_bytes(renamed(b"relu\x1b]0;pwned\x07\x1b[2J"))
    (folder / "r2-duplicate-node.onnx").write_bytes(renamed(b"dup"))


def sessions():
    folder = target("FuzzSession")
    for path in sorted((FIXTURES / "invalid" / "sessions").glob("*.json")):
        (folder / f"invalid-{path.name}").write_bytes(path.read_bytes())
    (folder / "valid.json").write_text(VALID_SESSION)


def csv():
    folder = target("FuzzCSV")
    # The first byte picks the label column (see Fuzz/Sources/FuzzCSV); 0 is "first".
    lines = (FIXTURES / "data" / "heldout50.csv").read_text().splitlines()
    header = ",".join(["label"] + [f"p{i}" for i in range(4)])
    rows = [",".join(line.split(",")[:5]) for line in lines[1:6] if line]
    (folder / "first.csv").write_bytes(b"\x00" + "\n".join([header] + rows).encode() + b"\n")
    (folder / "last-crlf.csv").write_bytes(b"\x08" + "\r\n".join(["1,2,3", "4.5,-1e3,7", " 0 , 1 ,2"]).encode())
    (folder / "index.csv").write_bytes(b"\x11" + b"0.1,0.2,3\n0.3,0.4,5\n")
    for path in sorted((FIXTURES / "invalid" / "data").glob("*.csv")):
        (folder / f"invalid-{path.name}").write_bytes(b"\x00" + path.read_bytes()[:4096])


if __name__ == "__main__":
    npy()
    npz()
    idx()
    onnx()
    plans()
    sessions()
    csv()
    round_two()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in CORPUS.rglob('*') if p.is_file())} files, {total} bytes to {CORPUS}")
