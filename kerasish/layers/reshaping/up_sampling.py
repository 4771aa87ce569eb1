"""UpSampling1D and UpSampling2D: repeat (or interpolate) along the spatial axes."""

from __future__ import annotations

import numpy as np

from kerasish import ops
from kerasish.layers._validation import check_input_ndim, standardize_data_format, standardize_tuple
from kerasish.layers.layer import Layer
from kerasish.layers.reshaping._base import spec_like_input

_INTERPOLATIONS = ("nearest", "bilinear")


def _upsampled(size, factor: int):
    return None if size is None else size * factor


def _bilinear_along(x, axis: int, factor: int):
    """Linear interpolation by an integer `factor` along `axis`.

    Output sample i sits at input coordinate (i + 0.5) / factor - 0.5 (half-pixel
    centers), clamped to the edge samples: the rule of `jax.image.resize`, so the
    numbers match Keras's `UpSampling2D(interpolation="bilinear")`. The gather indices
    and weights depend only on static sizes, so they are computed on the host.
    """
    size = ops.shape(x)[axis]
    coords = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0.0, size - 1)
    low = np.floor(coords).astype("int32")
    high = np.minimum(low + 1, size - 1).astype("int32")
    weight_shape = [1] * ops.ndim(x)
    weight_shape[axis] = size * factor
    high_weight = ops.convert_to_tensor((coords - low).reshape(weight_shape), dtype=ops.dtype(x))
    low_values = ops.take(x, ops.convert_to_tensor(low), axis=axis)
    high_values = ops.take(x, ops.convert_to_tensor(high), axis=axis)
    return ops.add(low_values, ops.multiply(ops.subtract(high_values, low_values), high_weight))


class UpSampling1D(Layer):
    """Repeats each time step `size` times along the time axis.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(6, dtype="float32").reshape(1, 2, 3)
    >>> keras.ops.convert_to_numpy(keras.layers.UpSampling1D(size=2)(x)).tolist()
    [[[0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [3.0, 4.0, 5.0]]]

    Args:
        size: positive int, the upsampling factor.

    Input shape:
        `(batch_size, steps, features)`.

    Output shape:
        `(batch_size, upsampled_steps, features)`.
    """

    def __init__(self, size: int = 2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"UpSampling1D: expected an integer value for `size`. Received: size={size!r} of type {type(size).__name__}")
        if size <= 0:
            raise ValueError(f"UpSampling1D: argument `size` must be a positive integer. Received: size={size}")
        self.size = size

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "UpSampling1D", input_shape, 3)
        return (input_shape[0], _upsampled(input_shape[1], self.size), input_shape[2])

    def build(self, input_shape):
        check_input_ndim(self.name, "UpSampling1D", input_shape, 3)
        self.built = True

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        check_input_ndim(self.name, "UpSampling1D", ops.shape(inputs), 3)
        return ops.repeat(inputs, self.size, axis=1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Upsamples images by integer factors along height and width.

    With `interpolation="nearest"` each row and column is repeated; with "bilinear"
    the new pixels are interpolated between their neighbours (half-pixel centers,
    edges clamped, as `jax.image.resize` and Keras do).

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(12, dtype="float32").reshape(2, 2, 1, 3)
    >>> keras.layers.UpSampling2D(size=(1, 2))(x).shape
    (2, 2, 2, 3)

    Args:
        size: int, or tuple of 2 ints: the upsampling factors for rows and columns.
        data_format: "channels_last" (`(batch, height, width, channels)`) or
            "channels_first" (`(batch, channels, height, width)`); the configured
            `image_data_format` by default.
        interpolation: "nearest" or "bilinear".

    Input shape:
        4D: `(batch_size, rows, cols, channels)` with "channels_last".

    Output shape:
        4D: `(batch_size, upsampled_rows, upsampled_cols, channels)` with "channels_last".
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format("UpSampling2D", data_format)
        self.size = standardize_tuple("UpSampling2D", size, 2, "size")
        if not isinstance(interpolation, str) or interpolation.lower() not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: argument `interpolation` must be one of {_INTERPOLATIONS} (Keras's "
                f"'bicubic', 'lanczos3' and 'lanczos5' are not implemented). Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation.lower()

    def _spatial_axes(self) -> tuple[int, int]:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "UpSampling2D", input_shape, 4)
        out = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            out[axis] = _upsampled(input_shape[axis], factor)
        return tuple(out)

    def build(self, input_shape):
        check_input_ndim(self.name, "UpSampling2D", input_shape, 4)
        self.built = True

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        check_input_ndim(self.name, "UpSampling2D", ops.shape(inputs), 4)
        x = inputs
        for axis, factor in zip(self._spatial_axes(), self.size):
            if factor == 1:
                continue
            if self.interpolation == "nearest":
                x = ops.repeat(x, factor, axis=axis)
            else:
                x = _bilinear_along(x, axis, factor)
        return x

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
