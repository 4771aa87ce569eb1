"""Cropping1D and Cropping2D: trim the ends of the spatial axes."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers._validation import check_input_ndim, standardize_data_format, standardize_tuple
from kerasish.layers.layer import Layer
from kerasish.layers.reshaping._base import spec_like_input


def _pairs_2d(layer: str, value, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """An int, 2 ints or 2 pairs of ints as ((top, bottom), (left, right)), all >= 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        pair = standardize_tuple(layer, value, 2, name, allow_zero=True)
        return (pair, pair)
    if not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(
            f"{layer}: argument `{name}` must be an int, a tuple of 2 ints or a tuple of 2 tuples "
            f"of 2 ints. Received: {name}={value!r}"
        )
    return (
        standardize_tuple(layer, value[0], 2, f"{name}[0]", allow_zero=True),
        standardize_tuple(layer, value[1], 2, f"{name}[1]", allow_zero=True),
    )


def _cropped(layer, size, crop: tuple[int, int], shape):
    if size is None:
        return None
    if crop[0] + crop[1] >= size:
        raise ValueError(
            f"{layer}: the values of `cropping` must together be smaller than the axis they crop. "
            f"Received: input_shape={tuple(shape)}, cropping={crop}"
        )
    return size - crop[0] - crop[1]


def _crop_slice(crop: tuple[int, int], size: int) -> slice:
    return slice(crop[0], size - crop[1])


class Cropping1D(Layer):
    """Crops along the time axis (axis 1) of a sequence.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(12).reshape(2, 3, 2)
    >>> keras.ops.convert_to_numpy(keras.layers.Cropping1D(cropping=1)(x)).tolist()
    [[[2, 3]], [[8, 9]]]

    Args:
        cropping: int, or tuple of 2 ints: how many steps to trim at the start and at
            the end (an int trims as many at both ends).

    Input shape:
        `(batch_size, axis_to_crop, features)`.

    Output shape:
        `(batch_size, cropped_axis, features)`.
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple("Cropping1D", cropping, 2, "cropping", allow_zero=True)

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "Cropping1D", input_shape, 3)
        length = _cropped(f"Cropping1D layer {self.name!r}", input_shape[1], self.cropping, input_shape)
        return (input_shape[0], length, input_shape[2])

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        shape = ops.shape(inputs)
        self.compute_output_shape(shape)
        return ops.get_item(inputs, (slice(None), _crop_slice(self.cropping, shape[1])))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """Crops along the height and width axes of images.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.zeros((2, 28, 28, 3), "float32")
    >>> keras.layers.Cropping2D(cropping=((2, 2), (4, 4)))(x).shape
    (2, 24, 20, 3)

    Args:
        cropping: int (the same at every edge), tuple of 2 ints (symmetric height and
            width cropping) or tuple of 2 tuples of 2 ints
            `((top_crop, bottom_crop), (left_crop, right_crop))`.
        data_format: "channels_last" (`(batch, height, width, channels)`) or
            "channels_first" (`(batch, channels, height, width)`); the configured
            `image_data_format` by default.

    Input shape:
        4D: `(batch_size, height, width, channels)` with "channels_last".

    Output shape:
        4D: `(batch_size, cropped_height, cropped_width, channels)` with "channels_last".
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format("Cropping2D", data_format)
        self.cropping = _pairs_2d("Cropping2D", cropping, "cropping")

    def _spatial_axes(self) -> tuple[int, int]:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "Cropping2D", input_shape, 4)
        out = list(input_shape)
        for axis, crop in zip(self._spatial_axes(), self.cropping):
            out[axis] = _cropped(f"Cropping2D layer {self.name!r}", input_shape[axis], crop, input_shape)
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        shape = ops.shape(inputs)
        self.compute_output_shape(shape)
        key = [slice(None)] * 4
        for axis, crop in zip(self._spatial_axes(), self.cropping):
            key[axis] = _crop_slice(crop, shape[axis])
        return ops.get_item(inputs, tuple(key))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
