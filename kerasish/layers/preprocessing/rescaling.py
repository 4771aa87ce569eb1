"""Rescaling: `inputs * scale + offset`, e.g. pixels from [0, 255] to [0, 1]."""

from __future__ import annotations

import numpy as np

from kerasish import ops
from kerasish.backend.config import image_data_format
from kerasish.layers.layer import Layer


def _plain(value):
    """A float, or a (nested) list of floats for per-channel values: what configs hold."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`, in training and inference alike.

    To map [0, 255] to [0, 1] use `scale=1/255`; to [-1, 1], `scale=1/127.5, offset=-1`.
    Integer inputs give floating outputs (the layer's dtype).

    Args:
        scale: a float, or one value per channel.
        offset: a float, or one value per channel.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            array = np.asarray(value)
            if array.dtype.kind not in "fiu":
                raise TypeError(
                    f"Argument `{name}` of Rescaling must be a number or an array of numbers. Received: {name}={value!r}"
                )
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = ops.convert_to_tensor(np.asarray(self.scale), dtype=dtype)
        offset = ops.convert_to_tensor(np.asarray(self.offset), dtype=dtype)
        scale_shape = tuple(ops.shape(scale))
        if scale_shape and image_data_format() == "channels_first":
            # Per-channel values face the channels axis of (channels, rows, cols) images.
            scale = ops.reshape(scale, scale_shape + (1,) * (3 - len(scale_shape)))
        return ops.add(ops.multiply(ops.cast(inputs, dtype), scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}
