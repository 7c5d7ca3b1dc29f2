"""Shared helper: run a script inside its own virtual environment with pinned-enough packages.

`ensure_venv(["onnxruntime", "numpy"])` creates `Scripts/.venv` on first use (pip from PyPI),
installs what is missing, and re-executes the calling script with the venv's Python.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get("QUANTDASH_VENV", os.path.join(HERE, ".venv"))


def ensure_venv(packages):
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        print(f"creating virtual environment {VENV}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    missing = []
    for package in packages:
        module = package.split("==")[0].split(">=")[0].replace("-", "_")
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
        if probe.returncode != 0:
            missing.append(package)
    if missing:
        print(f"installing {' '.join(missing)} into {VENV}", file=sys.stderr)
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *missing])
    os.execv(python, [python, *sys.argv])
