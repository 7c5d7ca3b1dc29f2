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
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in CORPUS.rglob('*') if p.is_file())} files, {total} bytes to {CORPUS}")
