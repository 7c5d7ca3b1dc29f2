#!/usr/bin/env python3
"""Generate Tests/QuantCoreTests/Pruning/PruningOracleFixtures.swift from PyTorch's pruning.

The oracle is `torch.nn.utils.prune.l1_unstructured(module, "weight", amount=s)` on an
`nn.Linear`: it prunes `round(s · n)` weights (Python's `round`, half to even, of the float64
product) with the smallest `|w|`, chosen by `torch.topk(|w|, k, largest=False)`.

- Counts: for many sizes `n` and sparsities `s` (every percent, exact halves such as `0.5 · odd n`,
  `0.25 · (4k + 2)`, `0.125 · (8k + 4)`, values just below and above a half, and random ones), the
  number of zeros in the `weight_mask` torch builds, over weights with distinct magnitudes.
- Masks: small weights, half of them drawn from a coarse grid so that equal magnitudes are common,
  with torch's mask. Among equal magnitudes at the boundary torch's choice follows its `topk`
  selection algorithm (not a documented order); the test compares everything else exactly and
  the boundary by count (quantdash prunes equal magnitudes lower index first).

Deterministic (fixed seeds). Creates its own venv (Scripts/.venv-torch) with CPU-only PyTorch.
Usage: python3 Scripts/generate_pruning_oracles.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-torch"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

ensure_venv(["torch==2.13.0+cpu", "numpy"])

import struct  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.nn.utils import prune  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "Tests", "QuantCoreTests", "Pruning", "PruningOracleFixtures.swift")
rng = np.random.default_rng(20261206)


def torch_mask(weights, sparsity):
    """The mask `l1_unstructured` leaves on an nn.Linear holding `weights` (True = pruned)."""
    layer = torch.nn.Linear(weights.shape[1], weights.shape[0], bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weights))
    prune.l1_unstructured(layer, name="weight", amount=float(sparsity))
    return (layer.weight_mask == 0).numpy().reshape(-1)


def count_cases():
    pairs = set()
    sizes = list(range(1, 22)) + [99, 100, 101, 255, 1000, 1001, 12345]
    for n in sizes:
        every = 1 if n in (7, 10, 100, 101, 1000, 12345) else 5
        for percent in range(0, 101, every):
            pairs.add((percent / 100, n))
        for sparsity in [0.5, 0.25, 0.125, 0.375, 0.75, 0.875, 1 / 3, 2 / 3, 0.8, 0.9, 0.95, 0.99]:
            pairs.add((sparsity, n))
        for j in range(0, n, max(1, n // 8)):  # (j + 1/2) / n: a product that lands on (or next to) a half
            pairs.add(((j + 0.5) / n, n))
            pairs.add((float(np.nextafter((j + 0.5) / n, 0)), n))
            pairs.add((float(np.nextafter((j + 0.5) / n, 1)), n))
        for sparsity in rng.uniform(0, 1, 4):
            pairs.add((float(sparsity), n))
    cases = []
    for sparsity, n in sorted(pairs, key=lambda p: (p[1], p[0])):
        weights = (rng.permutation(n).astype(np.float32) + 1) * rng.choice([-1, 1], n).astype(np.float32)
        pruned = int(torch_mask(weights.reshape(1, n) / n, sparsity).sum())
        cases.append((float(sparsity), n, pruned))
    return cases


def mask_cases():
    cases = []
    for index in range(120):
        rows, columns = int(rng.integers(1, 7)), int(rng.integers(1, 13))
        weights = rng.standard_normal((rows, columns)).astype(np.float32)
        if index % 2:  # a coarse grid: equal magnitudes (and ±0) are common
            weights = (np.round(weights * 4) / 4).astype(np.float32)
        sparsity = float(rng.choice([0.5, 0.8, round(float(rng.uniform(0, 1)), 2), float(rng.uniform(0, 1))]))
        mask = torch_mask(weights, sparsity)
        cases.append((rows, columns, weights.reshape(-1), sparsity, mask))
    return cases


def double_bits(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def table(rows, per_line):
    lines = []
    for start in range(0, len(rows), per_line):
        lines.append("        " + " ".join(rows[start:start + per_line]))
    return "\n".join(lines)


def main():
    counts = count_cases()
    masks = mask_cases()
    count_rows = [f"(0x{double_bits(s):016X}, {n}, {k})," for s, n, k in counts]
    mask_rows = []
    for rows, columns, weights, sparsity, mask in masks:
        words = [f"0x{w:08X}," for w in weights.view(np.uint32).tolist()]
        bits = "\n".join("                " + " ".join(words[i:i + 8]) for i in range(0, len(words), 8))
        pruned = "".join("1" if m else "0" for m in mask)
        mask_rows.append(
            f"        PruningOracleCase(\n"
            f"            shape: [{rows}, {columns}], sparsityBits: 0x{double_bits(sparsity):016X},\n"
            f"            mask: \"{pruned}\",\n"
            + (f"            weightBits: [{' '.join(words)[:-1]}]),"  # one line: no trailing comma
               if len(words) <= 6 else f"            weightBits: [\n{bits}\n            ]),"))
    source = f"""// Generated by Scripts/generate_pruning_oracles.py (torch {torch.__version__}).
// Do not edit; run the script again.

/// One weight tensor and the mask `torch.nn.utils.prune.l1_unstructured` gave it.
struct PruningOracleCase {{
    /// The weight's shape `[out, in]` (an `nn.Linear` weight).
    var shape: [Int]
    /// The sparsity (`amount`) as a float64 bit pattern.
    var sparsityBits: UInt64
    /// One character per weight in flat order, `1` = pruned.
    var mask: String
    /// The weights as float32 bit patterns, flat order.
    var weightBits: [UInt32]
}}

/// What PyTorch's magnitude pruning does (see the script for how each table is made).
enum PruningOracleFixtures {{
    /// `(sparsity bits (float64), weight count, weights torch pruned)`.
    static let counts: [(UInt64, Int, Int)] = [
{table(count_rows, 3)}
    ]

    /// Weights with torch's masks; half of them have many equal magnitudes.
    static let masks: [PruningOracleCase] = [
{chr(10).join(mask_rows)}
    ]
}}
"""
    with open(OUT, "w") as f:
        f.write(source)
    print(f"wrote {OUT}: {len(counts)} counts, {len(masks)} masks")


if __name__ == "__main__":
    sys.exit(main())
