"""Quantization-aware fine-tuning with distillation in PyTorch: the peer of `quantdash finetune`.

The same recipe as quantdash's `FineTuner` (Sources/QuantCore/Training/FineTuner.swift):
- student = the demo model with its weights fake-quantized as a quantdash plan defines them:
  `--bits B` is B-bit *asymmetric per-output-channel* min/max weights (quantdash scheme
  "asymmetric", granularity "channel": lo' = min(min w, 0), hi' = max(max w, 0),
  scale = (hi' - lo') / (2^B - 1), zp = clamp(-round(lo' / scale), 0, 2^B - 1),
  w' = (clamp(round(w / scale) + zp, 0, 2^B - 1) - zp) * scale, rounding half to even, a zero
  or non-finite scale becoming 1); `--sparsity S` prunes round(S * n) smallest |w| of every
  layer as `torch.nn.utils.prune.l1_unstructured` does, the mask fixed from the float weights
  (pruned weights stay 0). Biases stay float. Backward is straight-through (STE).
- teacher = the float model; loss = T^2 * KL(softmax(t/T) || softmax(s/T)) + w * CE(s, y),
  both batch means; Adam (PyTorch defaults), cosine-annealed learning rate over all steps,
  batches drawn from a seeded shuffle of the 4000 bundled training digits, no augmentation.
- held-out top-1 of the *quantized* student on the 1000 bundled held-out digits (never trained
  on) before training and after each epoch; the result is the last epoch's weights.

Prints one JSON object: before/after top-1, float top-1, wall and CPU seconds of training
(without the held-out evaluations), threads. Usage (from the repository root):

    python3 Benchmarks/peers/finetune_peer.py --model Sources/QuantCore/Resources/Demo/demo-cnn.onnx --bits 2
    python3 Benchmarks/peers/finetune_peer.py --model Sources/QuantCore/Resources/Demo/demo-mlp.onnx --sparsity 0.8
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "Scripts"))

if __name__ == "__main__" and os.environ.get("QUANTDASH_FINETUNE_NO_VENV") != "1":
    import peers_venv  # noqa: E402

    peers_venv.ensure()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import onnx_torch  # noqa: E402
from demo_data import demo_split  # noqa: E402


def fake_quantize_asymmetric(weight, bits):
    """Asymmetric per-output-channel min/max fake quantization (quantdash's AffineQuantizer), float32."""
    qmax = float(2**bits - 1)
    flat = weight.reshape(weight.shape[0], -1)
    low = torch.clamp(flat.amin(dim=1), max=0.0)
    high = torch.clamp(flat.amax(dim=1), min=0.0)
    scale = (high - low) / qmax
    valid = torch.isfinite(scale) & (scale > 0)
    scale = torch.where(valid, scale, torch.ones_like(scale))
    zero_point = torch.where(valid, torch.clamp(-torch.round(low / scale), 0.0, qmax), torch.zeros_like(scale))
    shape = (weight.shape[0],) + (1,) * (weight.dim() - 1)
    scale, zero_point = scale.reshape(shape), zero_point.reshape(shape)
    q = torch.clamp(torch.round(weight / scale) + zero_point, 0.0, qmax)
    return (q - zero_point) * scale


def sparsity_mask(weight, sparsity):
    """True where `l1_unstructured(amount=sparsity)` prunes: round(s * n) smallest |w|."""
    count = round(sparsity * weight.numel())
    mask = torch.zeros(weight.numel(), dtype=torch.bool)
    if count > 0:
        mask[torch.topk(weight.abs().flatten(), count, largest=False).indices] = True
    return mask.reshape(weight.shape)


class Student:
    """The plan applied to a module's layers with STE: forward sees quantized/pruned weights."""

    def __init__(self, module, bits, sparsity):
        self.module, self.bits = module, bits
        self.layers = list(module.layers.values())
        self.masks = [sparsity_mask(layer.weight.detach(), sparsity) if sparsity else None for layer in self.layers]
        with torch.no_grad():
            for layer, mask in zip(self.layers, self.masks):
                if mask is not None:
                    layer.weight[mask] = 0
        self.latent = [layer.weight for layer in self.layers]

    def effective(self, index, weight):
        mask = self.masks[index]
        if mask is not None:
            weight = weight.masked_fill(mask, 0.0)
        if self.bits is not None:
            weight = weight + (fake_quantize_asymmetric(weight.detach(), self.bits) - weight.detach())
        return weight

    def __call__(self, x):
        # Swap each layer's parameter for its quantized view for one forward pass.
        originals = []
        for index, layer in enumerate(self.layers):
            originals.append(layer.weight)
            del layer.weight
            layer.weight = self.effective(index, originals[-1])
        try:
            return self.module(x)
        finally:
            for layer, weight in zip(self.layers, originals):
                del layer.weight
                layer.weight = weight


def top1(forward, images, labels):
    with torch.no_grad():
        return float((forward(images).argmax(dim=1) == labels).float().mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--bits", type=int)
    parser.add_argument("--sparsity", type=float)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--label-weight", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.bits is None and args.sparsity is None:
        parser.error("give --bits and/or --sparsity")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_x, train_y = (torch.from_numpy(a) for a in demo_split("train"))
    held_x, held_y = (torch.from_numpy(a) for a in demo_split("heldout"))
    teacher = onnx_torch.load(args.model)
    module = onnx_torch.load(args.model)
    student = Student(module, args.bits, args.sparsity)
    float_top1 = top1(teacher, held_x, held_y)
    with torch.no_grad():
        teacher_logits = teacher(train_x)
    before = top1(student, held_x, held_y)

    biases = [layer.bias for layer in student.layers if layer.bias is not None]
    optimizer = torch.optim.Adam(student.latent + biases, lr=args.learning_rate)
    steps_per_epoch = math.ceil(len(train_x) / args.batch_size)
    total = args.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    generator = torch.Generator().manual_seed(args.seed)
    temperature, history, seconds, cpu_seconds = args.temperature, [], 0.0, 0.0
    for epoch in range(args.epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        order = torch.randperm(len(train_x), generator=generator)
        for first in range(0, len(order), args.batch_size):
            batch = order[first:first + args.batch_size]
            logits = student(train_x[batch])
            soft_teacher = F.softmax(teacher_logits[batch] / temperature, dim=1)
            kl = F.kl_div(F.log_softmax(logits / temperature, dim=1), soft_teacher, reduction="batchmean")
            loss = temperature**2 * kl + args.label_weight * F.cross_entropy(logits, train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu_start
        history.append(top1(student, held_x, held_y))
        print(f"epoch {epoch + 1}/{args.epochs}: held-out top-1 {history[-1] * 100:.2f} %", file=sys.stderr)
    print(json.dumps({
        "peer": f"PyTorch {torch.__version__}", "model": os.path.basename(args.model), "bits": args.bits,
        "sparsity": args.sparsity, "epochs": args.epochs, "steps": total, "temperature": temperature,
        "label_weight": args.label_weight, "learning_rate": args.learning_rate, "float_top1": float_top1,
        "before_top1": before, "after_top1": history[-1], "epoch_top1": history, "train_seconds": seconds, "train_cpu_seconds": cpu_seconds,
        "threads": args.threads}))


if __name__ == "__main__":
    main()
