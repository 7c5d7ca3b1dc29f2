"""The peers' virtual environment: Benchmarks/.venv (git-ignored), kept apart from Scripts/.venv.

PyTorch is ~1 GB, so the benchmark scripts do not add it to the venv the CI cross-checks share.
`QUANTDASH_VENV` still overrides the location. `ensure()` creates/fills the venv and re-executes
the calling script inside it (Scripts/venv.py does the work).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "..", "..", "Scripts")
PACKAGES = ["onnxruntime", "numpy", "onnx", "torch==2.13.0+cpu"]
# torchvision's model definitions (make_imagenet_models.py) without its declared torch (a CUDA build);
# the values are the import names probed.
WITHOUT_DEPENDENCIES = {"torchvision==0.28.0": "torchvision", "pillow": "PIL"}


def ensure(with_torchvision=False):
    """Run the calling script in Benchmarks/.venv with onnxruntime, numpy, onnx and CPU-only PyTorch
    (and torchvision's model definitions when `with_torchvision`)."""
    os.environ.setdefault("QUANTDASH_VENV", os.path.normpath(os.path.join(HERE, "..", ".venv")))
    sys.path.insert(0, os.path.normpath(SCRIPTS))
    from venv import ensure_venv  # Scripts/venv.py, which reads QUANTDASH_VENV when imported

    ensure_venv(PACKAGES, without_dependencies=WITHOUT_DEPENDENCIES if with_torchvision else None)
