#!/usr/bin/env python3
"""Convert ../shared/datasets/mnist_5k.csv.gz into the package's demo data (IDX, uint8).

Each CSV row is 784 pixel values (0-255, row-major 28x28) followed by the label (0-9); the
file holds 500 digits per class. Split per class, in file order: the first 400 rows go to the
training split (4000 images), the last 100 to the held-out split (1000 images).

Writes four IDX files (the format of LeCun's MNIST distribution) into
Sources/QuantCore/Resources/Demo/. Re-running it produces byte-identical files.

Usage: python3 Scripts/convert_mnist.py [path/to/mnist_5k.csv.gz]
"""
import gzip
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_SOURCE = os.path.join(ROOT, "..", "shared", "datasets", "mnist_5k.csv.gz")
OUT = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")
TRAIN_PER_CLASS = 400
HELD_OUT_PER_CLASS = 100


def write_idx(path, dims, payload):
    """IDX: magic 0x00000800 | type (0x08 = uint8) << 8 | rank, big-endian int32 dims, data."""
    header = struct.pack(">I", 0x0800 | len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(bytes(payload))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    rows_by_class = {c: [] for c in range(10)}
    with gzip.open(source, "rt") as f:
        for line_number, line in enumerate(f, start=1):
            fields = line.strip().split(",")
            if len(fields) != 785:
                sys.exit(f"{source}: line {line_number}: expected 785 fields, got {len(fields)}")
            pixels = [int(v) for v in fields[:784]]
            label = int(fields[784])
            if not 0 <= label <= 9 or any(not 0 <= p <= 255 for p in pixels):
                sys.exit(f"{source}: line {line_number}: value out of range")
            rows_by_class[label].append(pixels)

    splits = {"train": [], "heldout": []}
    for label in range(10):
        rows = rows_by_class[label]
        if len(rows) != TRAIN_PER_CLASS + HELD_OUT_PER_CLASS:
            sys.exit(f"{source}: class {label} has {len(rows)} rows, expected 500")
        splits["train"] += [(pixels, label) for pixels in rows[:TRAIN_PER_CLASS]]
        splits["heldout"] += [(pixels, label) for pixels in rows[TRAIN_PER_CLASS:]]

    os.makedirs(OUT, exist_ok=True)
    for name, items in splits.items():
        images = bytearray()
        for pixels, _ in items:
            images.extend(pixels)
        labels = bytes(label for _, label in items)
        write_idx(os.path.join(OUT, f"mnist-{name}-images.idx3-ubyte"), [len(items), 28, 28], images)
        write_idx(os.path.join(OUT, f"mnist-{name}-labels.idx1-ubyte"), [len(items)], labels)
        print(f"{name}: {len(items)} images")


if __name__ == "__main__":
    main()
