"""Shared helper: run a script inside its own virtual environment with pinned-enough packages.

`ensure_venv(["onnxruntime", "numpy"])` creates `Scripts/.venv` on first use (pip from PyPI),
installs what is missing, and re-executes the calling script with the venv's Python.

`without_dependencies={"nvidia-modelopt==0.47.0": "modelopt"}` installs a package with
`pip --no-deps` (for a package whose declared dependencies are far larger than the part a script
reads, e.g. ModelOpt's pure-numpy functions without torch and CUDA); the value is the import
name probed, without importing it, to decide whether it is missing.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get("QUANTDASH_VENV", os.path.join(HERE, ".venv"))


def _is_missing(python, module, execute):
    if execute:
        code = f"import {module}"
    else:
        code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([python, "-c", code], capture_output=True).returncode != 0


def ensure_venv(packages, without_dependencies=None):
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        print(f"creating virtual environment {VENV}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    missing = []
    for package in packages:
        module = package.split("==")[0].split(">=")[0].replace("-", "_")
        if _is_missing(python, module, execute=True):
            missing.append(package)
    if missing:
        print(f"installing {' '.join(missing)} into {VENV}", file=sys.stderr)
        subprocess.check_call([*pip, *missing])
    bare = [p for p, module in (without_dependencies or {}).items() if _is_missing(python, module, execute=False)]
    if bare:
        print(f"installing {' '.join(bare)} (without dependencies) into {VENV}", file=sys.stderr)
        subprocess.check_call([*pip, "--no-deps", *bare])
    os.execv(python, [python, *sys.argv])
