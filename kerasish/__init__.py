"""kerasish: Keras-style deep learning on JAX (XLA) and a trainable NumPy reference backend.

Code written for Keras 3 runs with `import kerasish as keras`.
"""

from __future__ import annotations

import importlib

from kerasish import (
    activations,
    backend,
    config,
    constraints,
    initializers,
    layers,
    models,
    ops,
    random,
    regularizers,
    saving,
    utils,
)
from kerasish.layers import Input, Layer
from kerasish.models import Model, Sequential
from kerasish.ops.symbolic import KerasTensor
from kerasish.variables import Variable

__version__ = "0.1.0"


def version() -> str:
    """The version of kerasish, e.g. "0.1.0"."""
    return __version__


_LAZY_MODULES = ("callbacks", "datasets", "losses", "metrics", "optimizers")


def __getattr__(name):
    # The training modules load on first use, which keeps `import kerasish` quick.
    if name in _LAZY_MODULES:
        return importlib.import_module(f"kerasish.{name}")
    raise AttributeError(f"module 'kerasish' has no attribute {name!r}")


__all__ = [
    "Input", "KerasTensor", "Layer", "Model", "Sequential", "Variable", "activations", "backend",
    "callbacks", "config", "constraints", "datasets", "initializers", "layers", "losses", "metrics", "models",
    "ops", "optimizers", "random", "regularizers", "saving", "utils", "version",
]
