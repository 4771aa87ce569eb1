"""Backend-neutral math: `kerasish.ops` mirrors `keras.ops` and dispatches to the active backend."""

from __future__ import annotations

from kerasish.ops import nn, numpy
from kerasish.ops.symbolic import KerasTensor, is_keras_tensor


def _export(module) -> list[str]:
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_") or not callable(obj) or isinstance(obj, type):
            continue
        if getattr(obj, "__module__", "") == module.__name__:
            globals()[name] = obj
            names.append(name)
    return names


__all__ = ["KerasTensor", "is_keras_tensor", "nn", "numpy"] + _export(numpy) + _export(nn)
