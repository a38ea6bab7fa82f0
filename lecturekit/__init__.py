"""lecturekit: models, losses, data and widgets for Stat 212b, Lecture 16 (deep generative models).

The math core (topic modules such as :mod:`lecturekit.em`) imports neither ipywidgets nor
matplotlib; :mod:`lecturekit.viz` draws and :mod:`lecturekit.widgets` builds the interactive
figures. Submodules load on first use: ``lk.em``, ``lk.data``, ``lk.widgets``.
"""

from __future__ import annotations

import importlib

from .projector import present
from .utils import get_device, seed

__version__ = "0.1.0"
__all__ = ["__version__", "seed", "get_device", "present"]

_SUBMODULES = {
    "utils", "checks", "data", "download", "nn", "train", "checkpoint", "em", "viz", "widgets",
    "expfam", "meanfield", "vae", "hvi", "frey", "ssvae", "boltzmann", "ais", "flows", "diffusion", "gan",
    "lapgan", "homework", "grading", "exercises", "nbtools", "cli", "recipes", "projector", "site",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lecturekit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
