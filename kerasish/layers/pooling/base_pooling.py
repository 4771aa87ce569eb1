"""BasePooling: the windowed max or average pool that the MaxPooling*/AveragePooling* layers specialize."""

from __future__ import annotations

from kerasish import ops
from kerasish.backend import conv_utils
from kerasish.layers._validation import check_input_ndim, standardize_data_format, standardize_tuple
from kerasish.layers.convolutional.base_conv import (
    spatial_shape,
    standardize_padding,
    with_channels,
)
from kerasish.layers.layer import Layer
from kerasish.layers.reshaping._base import spec_like_input


class BasePooling(Layer):
    """A pool over `pool_dimensions` spatial axes: the max or the mean of each window.

    Args:
        pool_size: int or `pool_dimensions` ints, the window's size.
        strides: int or `pool_dimensions` ints; `pool_size` when None.
        pool_dimensions: the number of spatial axes (1, 2 or 3).
        pool_mode: "max" or "average".
        padding: "valid" or "same" (output size `ceil(size / strides)`; a "same"
            average counts only the real elements of a border window).
        data_format: "channels_last" or "channels_first"; the configured
            `image_data_format` by default.
    """

    def __init__(
        self,
        pool_size,
        strides,
        pool_dimensions: int,
        pool_mode: str = "max",
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        layer = type(self).__name__
        self.pool_dimensions = pool_dimensions
        self.pool_size = standardize_tuple(layer, pool_size, pool_dimensions, "pool_size")
        self.strides = (
            self.pool_size
            if strides is None
            else standardize_tuple(layer, strides, pool_dimensions, "strides")
        )
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"{layer}: `pool_mode` must be 'max' or 'average'. Received: pool_mode={pool_mode!r}"
            )
        self.pool_mode = pool_mode
        self.padding = standardize_padding(layer, padding)
        self.data_format = standardize_data_format(layer, data_format)
        self.built = True

    def _check_input(self, shape) -> None:
        check_input_ndim(self.name, type(self).__name__, shape, self.pool_dimensions + 2)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_input(input_shape)
        out = [
            conv_utils.conv_output_length(size, p, s, self.padding)
            for size, p, s in zip(
                spatial_shape(input_shape, self.data_format), self.pool_size, self.strides
            )
        ]
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Input of layer {self.name!r} ({type(self).__name__}) is smaller than its pool "
                f"window: the output would be empty. Received: input_shape={input_shape}, "
                f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"
            )
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        return with_channels(input_shape[0], out, channels, self.data_format)

    def compute_output_spec(self, inputs):
        # A max pool of integers stays integer, as the eager call gives.
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        self._check_input(ops.shape(inputs))
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(
            inputs,
            pool_size=self.pool_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
