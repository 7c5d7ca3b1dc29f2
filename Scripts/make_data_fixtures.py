#!/usr/bin/env python3
"""Generate the data-file fixtures under Tests/Fixtures/data/ and Tests/Fixtures/invalid/data/.

Valid files hold the first 50 bundled held-out demo digits (Sources/QuantCore/Resources/Demo),
written by NumPy itself so the Swift readers are checked against the real writer:
  heldout50.npz            x uint8 (50, 28, 28), y int64 (50,)       np.savez_compressed (deflated)
  heldout50-stored.npz     the same arrays, np.savez (stored)
  two-inputs.npz           input_ids, attention_mask int64 (3, 5): a transformer's two inputs, no labels
  two-inputs-short-mask.npz  the same with only 2 mask rows (refused)
  heldout50-x-f32.npy      float32 (50, 784), pixels / 255
  heldout50-y.npy          int64 (50,)
  heldout50.csv            header row p0..p783,label; 784 uint8 pixels then the label (last)
Invalid files each break one rule; Tests/QuantCoreTests/ModelIO/InvalidDataFileTests.swift
asserts the one-line message of each.

Run once (it creates Scripts/.venv with numpy):
    python3 Scripts/make_data_fixtures.py
"""
from venv import ensure_venv  # Scripts/venv.py

ensure_venv(["numpy"])

import io  # noqa: E402
import os  # noqa: E402
import zipfile  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")
VALID = os.path.join(ROOT, "Tests", "Fixtures", "data")
INVALID = os.path.join(ROOT, "Tests", "Fixtures", "invalid", "data")


def read_idx(name):
    with open(os.path.join(DEMO, name), "rb") as f:
        data = f.read()
    rank = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    return np.frombuffer(data[4 + 4 * rank:], dtype=np.uint8).reshape(shape)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def raw_npy(header, payload):
    """A version 1.0 .npy file with this header dict text, padded as NumPy pads it."""
    text = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode("latin1") + payload


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(VALID, exist_ok=True)
    os.makedirs(INVALID, exist_ok=True)
    x = read_idx("mnist-heldout-images.idx3-ubyte")[:50].copy()
    y = read_idx("mnist-heldout-labels.idx1-ubyte")[:50].astype(np.int64)
    np.savez_compressed(os.path.join(VALID, "heldout50.npz"), x=x, y=y)
    np.savez(os.path.join(VALID, "heldout50-stored.npz"), x=x, y=y)
    ids = np.array([[101, 7, 8, 9, 102], [101, 5, 102, 0, 0], [101, 3, 4, 102, 0]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    np.savez(os.path.join(VALID, "two-inputs.npz"), input_ids=ids, attention_mask=mask)
    np.savez(os.path.join(VALID, "two-inputs-short-mask.npz"), input_ids=ids, attention_mask=mask[:2])
    np.save(os.path.join(VALID, "heldout50-x-f32.npy"), (x.reshape(50, 784) / np.float32(255)).astype(np.float32))
    np.save(os.path.join(VALID, "heldout50-y.npy"), y)
    with open(os.path.join(VALID, "heldout50.csv"), "w") as f:
        f.write(",".join([f"p{i}" for i in range(784)] + ["label"]) + "\n")
        for image, label in zip(x.reshape(50, 784), y):
            f.write(",".join(str(int(v)) for v in image) + f",{label}\n")

    small = np.arange(12, dtype=np.float32).reshape(3, 4)
    good = npy_bytes(small)
    write(INVALID, "truncated.npy", good[:-5])
    write(INVALID, "bad-magic.npy", b"\x93NUMPX" + good[6:])
    write(INVALID, "fortran-order.npy", npy_bytes(np.asfortranarray(small)))
    payload = small.tobytes()
    write(INVALID, "count-mismatch.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", payload))
    huge = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    write(INVALID, "huge-shape.npy", raw_npy(huge, payload))
    write(INVALID, "unknown-dtype.npy", npy_bytes(small.astype(np.complex64)))
    with zipfile.ZipFile(os.path.join(INVALID, "no-x.npz"), "w") as archive:
        archive.writestr("images.npy", good)
        archive.writestr("y.npy", npy_bytes(np.arange(3, dtype=np.int64)))
    with zipfile.ZipFile(os.path.join(INVALID, "negative-label.npz"), "w") as archive:
        archive.writestr("x.npy", good)
        archive.writestr("y.npy", npy_bytes(np.array([0, -1, 2], dtype=np.int64)))
    with open(os.path.join(INVALID, "bad-value.csv"), "w") as f:
        f.write("label,a,b\n1,0.5,0.25\n0,0.75,1O\n")
    write(INVALID, "unknown.format", b"1,2,3\n")
    # A label the 10-class demo models cannot predict (checked by the CLI, which knows the model).
    with open(os.path.join(INVALID, "label-out-of-range.csv"), "w") as f:
        f.write(",".join(["0"] * 784) + ",12\n")


if __name__ == "__main__":
    main()
