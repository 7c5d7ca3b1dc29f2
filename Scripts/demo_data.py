"""Shared helper for the Python cross-checks: the bundled demo data as NumPy arrays.

Import after `ensure_venv([... "numpy" ...])` (Scripts/venv.py), since it needs numpy.
"""
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "Sources", "QuantCore", "Resources", "Demo")


def read_idx(path):
    """An IDX file (uint8 payload, as written by Scripts/convert_mnist.py) as a NumPy array."""
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def demo_split(split):
    """`split` ("heldout" or "train") as images [N, 1, 28, 28] float32 (pixels / 255) and int64 labels."""
    images = read_idx(os.path.join(DEMO, f"mnist-{split}-images.idx3-ubyte")).astype(np.float32) / 255.0
    labels = read_idx(os.path.join(DEMO, f"mnist-{split}-labels.idx1-ubyte")).astype(np.int64)
    return images.reshape(-1, 1, 28, 28), labels
