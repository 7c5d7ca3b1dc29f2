"""b-bit symmetric per-output-channel weight quantization, in NumPy and in PyTorch.

The same formula as quantdash's `AffineQuantizer` (scheme symmetric, granularity channel) and
ONNX `QuantizeLinear`/`DequantizeLinear`, all in float32:

    qmax    = 2^(b-1) - 1
    scale_c = max |w_c| / qmax            (w_c: output channel c, i.e. row c of the weight;
                                           a scale of 0 or non-finite becomes 1, as in quantdash)
    q       = clip(round_half_even(w / scale_c), -qmax, qmax)    (a division, not * 1/scale)
    w'      = q * scale_c
"""
import numpy as np
import torch


def fake_quantize_numpy(weight, bits):
    """`weight` (float32, output channels first) quantized and dequantized, as a new float32 array."""
    qmax = np.float32(2 ** (bits - 1) - 1)
    channels = weight.shape[0]
    magnitude = np.abs(weight.reshape(channels, -1)).max(axis=1)
    scale = magnitude / qmax
    scale[~(np.isfinite(scale) & (scale > 0))] = np.float32(1)
    scale = scale.reshape((channels,) + (1,) * (weight.ndim - 1))
    q = np.clip(np.rint(weight / scale), -qmax, qmax)
    return q * scale


def fake_quantize_torch(weight, bits):
    """`weight` (a float32 tensor, output channels first) quantized and dequantized, as a new tensor."""
    qmax = float(2 ** (bits - 1) - 1)
    channels = weight.shape[0]
    magnitude = weight.reshape(channels, -1).abs().amax(dim=1)
    scale = magnitude / qmax
    scale = torch.where(torch.isfinite(scale) & (scale > 0), scale, torch.ones_like(scale))
    scale = scale.reshape((channels,) + (1,) * (weight.dim() - 1))
    q = torch.clamp(torch.round(weight / scale), -qmax, qmax)
    return q * scale
