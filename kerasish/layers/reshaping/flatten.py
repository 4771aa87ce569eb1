"""Flatten: every axis but the batch axis into one."""

from __future__ import annotations

import numpy as np

from kerasish import ops
from kerasish.backend.config import image_data_format
from kerasish.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: `(batch, d1, d2, ...)` -> `(batch, d1*d2*...)`.

    Args:
        data_format: "channels_last" or "channels_first"; with "channels_first" the
            channel axis is moved last first, so that both orders flatten alike.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = image_data_format() if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"Argument `data_format` must be 'channels_last' or 'channels_first'. Received: data_format={data_format!r}")
        self.data_format = data_format
        self._min_input_ndim = 1
        self.built = True

    def call(self, inputs):
        shape = ops.shape(inputs)
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = ops.transpose(inputs, (0, *range(2, len(shape)), 1))
        return ops.reshape(inputs, (shape[0], int(np.prod(shape[1:], dtype=np.int64))))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        flat = None if any(d is None for d in rest) else int(np.prod(rest, dtype=np.int64))
        return (input_shape[0], flat)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
