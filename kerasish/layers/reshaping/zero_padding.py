"""ZeroPadding1D and ZeroPadding2D: add zeros at the ends of the spatial axes."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers._validation import check_input_ndim, standardize_data_format, standardize_tuple
from kerasish.layers.layer import Layer
from kerasish.layers.reshaping._base import spec_like_input
from kerasish.layers.reshaping.cropping import _pairs_2d


def _padded(size, pad: tuple[int, int]):
    return None if size is None else size + pad[0] + pad[1]


class ZeroPadding1D(Layer):
    """Pads a sequence with zeros along its time axis.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.ones((2, 2, 3), "float32")
    >>> keras.layers.ZeroPadding1D(padding=2)(x).shape
    (2, 6, 3)

    Args:
        padding: int, or tuple of 2 ints: how many zeros to add at the start and at the
            end of the padded axis (an int adds as many at both ends).
        data_format: "channels_last" (`(batch, steps, features)`, pads axis 1) or
            "channels_first" (`(batch, features, steps)`, pads axis 2); the configured
            `image_data_format` by default.

    Input shape:
        `(batch_size, axis_to_pad, features)` with "channels_last".

    Output shape:
        `(batch_size, padded_axis, features)` with "channels_last".
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format("ZeroPadding1D", data_format)
        self.padding = standardize_tuple("ZeroPadding1D", padding, 2, "padding", allow_zero=True)

    def _axis(self) -> int:
        return 2 if self.data_format == "channels_first" else 1

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "ZeroPadding1D", input_shape, 3)
        out = list(input_shape)
        out[self._axis()] = _padded(input_shape[self._axis()], self.padding)
        return tuple(out)

    def build(self, input_shape):
        check_input_ndim(self.name, "ZeroPadding1D", input_shape, 3)
        self.built = True

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        check_input_ndim(self.name, "ZeroPadding1D", ops.shape(inputs), 3)
        widths = [(0, 0)] * 3
        widths[self._axis()] = self.padding
        return ops.pad(inputs, widths)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding2D(Layer):
    """Pads images with zeros at the top, bottom, left and right.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.ones((1, 2, 2, 1), "float32")
    >>> keras.layers.ZeroPadding2D(padding=1)(x).shape
    (1, 4, 4, 1)

    Args:
        padding: int (the same at every edge), tuple of 2 ints (symmetric height and
            width padding) or tuple of 2 tuples of 2 ints
            `((top_pad, bottom_pad), (left_pad, right_pad))`.
        data_format: "channels_last" (`(batch, height, width, channels)`) or
            "channels_first" (`(batch, channels, height, width)`); the configured
            `image_data_format` by default.

    Input shape:
        4D: `(batch_size, height, width, channels)` with "channels_last".

    Output shape:
        4D: `(batch_size, padded_height, padded_width, channels)` with "channels_last".
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format("ZeroPadding2D", data_format)
        self.padding = _pairs_2d("ZeroPadding2D", padding, "padding")

    def _spatial_axes(self) -> tuple[int, int]:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "ZeroPadding2D", input_shape, 4)
        out = list(input_shape)
        for axis, pad in zip(self._spatial_axes(), self.padding):
            out[axis] = _padded(input_shape[axis], pad)
        return tuple(out)

    def build(self, input_shape):
        check_input_ndim(self.name, "ZeroPadding2D", input_shape, 4)
        self.built = True

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        check_input_ndim(self.name, "ZeroPadding2D", ops.shape(inputs), 4)
        widths = [(0, 0)] * 4
        for axis, pad in zip(self._spatial_axes(), self.padding):
            widths[axis] = pad
        return ops.pad(inputs, widths)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
