"""What the reshaping layers share: output specs that keep the input's dtype."""

from __future__ import annotations

from kerasish.backend.dtypes import is_float
from kerasish.layers.layer import Layer
from kerasish.ops.symbolic import KerasTensor


def spec_like_input(layer: Layer, inputs: KerasTensor, shape) -> KerasTensor:
    """A KerasTensor of `shape` with the dtype the layer's eager call gives for `inputs`.

    These layers only move values around, so integer inputs stay integers; floating
    inputs are cast to the layer's dtype first, as `Layer.__call__` does.
    """
    dtype = inputs.dtype
    if layer.autocast and is_float(dtype):
        dtype = layer.compute_dtype
    return KerasTensor(shape, dtype)
