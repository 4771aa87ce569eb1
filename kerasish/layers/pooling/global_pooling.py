"""GlobalAveragePooling1D/2D/3D and GlobalMaxPooling1D/2D/3D: one value per channel."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers._validation import check_input_ndim, standardize_data_format
from kerasish.layers.layer import Layer
from kerasish.layers.reshaping._base import spec_like_input


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis (the max or the mean), leaving `(batch, channels)`.

    Args:
        pool_dimensions: the number of spatial axes (1, 2 or 3).
        data_format: "channels_last" or "channels_first"; the configured
            `image_data_format` by default.
        keepdims: keep the spatial axes, with size 1.
    """

    def __init__(
        self, pool_dimensions: int, data_format: str | None = None, keepdims: bool = False, **kwargs
    ):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.data_format = standardize_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.built = True

    def _spatial_axes(self) -> tuple[int, ...]:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.pool_dimensions))

    def _check_input(self, shape) -> None:
        check_input_ndim(self.name, type(self).__name__, shape, self.pool_dimensions + 2)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_input(input_shape)
        channel = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channel)
        ones = (1,) * self.pool_dimensions
        if self.data_format == "channels_last":
            return (input_shape[0], *ones, channel)
        return (input_shape[0], channel, *ones)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _GlobalAverage(BaseGlobalPooling):
    def call(self, inputs):
        self._check_input(ops.shape(inputs))
        return ops.mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class _GlobalMax(BaseGlobalPooling):
    def compute_output_spec(self, inputs):
        # The max of integers stays integer, as the eager call gives.
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        self._check_input(ops.shape(inputs))
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


_ARGS = """
    Args:
        data_format: "channels_last" (`(batch, *spatial, channels)`) or
            "channels_first" (`(batch, channels, *spatial)`); the configured
            `image_data_format` by default.
        keepdims: keep the {rank} spatial axes with size 1 (as Keras does, for
            broadcasting against the input).

    Input shape:
        `(batch_size, *spatial, channels)` or `(batch_size, channels, *spatial)`,
        {rank} spatial axes.

    Output shape:
        `(batch_size, channels)`; with `keepdims`, `(batch_size, 1, ..., 1, channels)`
        or `(batch_size, channels, 1, ..., 1)`.
"""


class GlobalAveragePooling1D(_GlobalAverage):
    __doc__ = """The mean over time, per channel; masked steps (a mask from e.g. Masking) are left out.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.array([[[1.0], [2.0], [6.0]]], "float32")
    >>> keras.ops.convert_to_numpy(keras.layers.GlobalAveragePooling1D()(x)).tolist()
    [[3.0]]
""" + _ARGS.format(rank=1)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        self._check_input(ops.shape(inputs))
        steps = self._spatial_axes()[0]
        # mask: (batch, steps) -> broadcast along the channel axis.
        weights = ops.cast(ops.expand_dims(mask, 2 if steps == 1 else 1), ops.dtype(inputs))
        total = ops.sum(ops.multiply(inputs, weights), axis=steps, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(weights, axis=steps, keepdims=self.keepdims))

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    __doc__ = """The mean over height and width, per channel.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)
    >>> keras.ops.convert_to_numpy(keras.layers.GlobalAveragePooling2D()(x)).tolist()
    [[3.0, 4.0]]
""" + _ARGS.format(rank=2)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalAveragePooling3D(_GlobalAverage):
    __doc__ = """The mean over three spatial axes, per channel.\n""" + _ARGS.format(rank=3)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=3, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling1D(_GlobalMax):
    __doc__ = """The maximum over time, per channel.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.array([[[1.0], [7.0], [6.0]]], "float32")
    >>> keras.ops.convert_to_numpy(keras.layers.GlobalMaxPooling1D()(x)).tolist()
    [[7.0]]
""" + _ARGS.format(rank=1)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalMax):
    __doc__ = """The maximum over height and width, per channel.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)
    >>> keras.ops.convert_to_numpy(keras.layers.GlobalMaxPooling2D(keepdims=True)(x)).shape
    (1, 1, 1, 2)
""" + _ARGS.format(rank=2)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling3D(_GlobalMax):
    __doc__ = """The maximum over three spatial axes, per channel.\n""" + _ARGS.format(rank=3)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(pool_dimensions=3, data_format=data_format, keepdims=keepdims, **kwargs)


GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
