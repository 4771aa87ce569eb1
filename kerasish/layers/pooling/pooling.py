"""MaxPooling1D/2D/3D and AveragePooling1D/2D/3D."""

from __future__ import annotations

from kerasish.layers.pooling.base_pooling import BasePooling

_ARGS = """
    Args:
        pool_size: int or tuple of {rank} ints, the window's size.
        strides: int or tuple of {rank} ints; `pool_size` when None.
        padding: "valid" or "same" (output size `ceil(size / strides)`).
        data_format: "channels_last" (`(batch, *spatial, channels)`) or
            "channels_first" (`(batch, channels, *spatial)`); the configured
            `image_data_format` by default.

    Input shape:
        `(batch_size, *spatial, channels)` or `(batch_size, channels, *spatial)`,
        {rank} spatial axes.

    Output shape:
        `(batch_size, *pooled_spatial, channels)`, or channels first; "valid" gives
        `(size - pool_size) // strides + 1` per axis, "same" `ceil(size / strides)`.
"""


class MaxPooling1D(BasePooling):
    __doc__ = """Max pooling over time: the maximum of each window of steps, per channel.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    >>> keras.ops.convert_to_numpy(keras.layers.MaxPooling1D(pool_size=2, strides=1)(x)).ravel().tolist()
    [2.0, 3.0, 4.0, 5.0]
""" + _ARGS.format(rank=1)

    def __init__(
        self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=1,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


class MaxPooling2D(BasePooling):
    __doc__ = """Max pooling over images: the maximum of each window, per channel.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> keras.ops.convert_to_numpy(keras.layers.MaxPooling2D()(x))[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
""" + _ARGS.format(rank=2)

    def __init__(
        self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=2,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


class MaxPooling3D(BasePooling):
    __doc__ = (
        """Max pooling over volumes: the maximum of each window, per channel.\n"""
        + _ARGS.format(rank=3)
    )

    def __init__(
        self,
        pool_size=(2, 2, 2),
        strides=None,
        padding="valid",
        data_format=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=3,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


class AveragePooling1D(BasePooling):
    __doc__ = """Average pooling over time: the mean of each window of steps, per channel.

    With "same" padding a border window averages its real steps only.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    >>> keras.ops.convert_to_numpy(keras.layers.AveragePooling1D(2, padding="same")(x)).ravel().tolist()
    [1.5, 3.5, 5.0]
""" + _ARGS.format(rank=1)

    def __init__(
        self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=1,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


class AveragePooling2D(BasePooling):
    __doc__ = """Average pooling over images: the mean of each window, per channel.

    With "same" padding a border window averages its real elements only.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> keras.ops.convert_to_numpy(keras.layers.AveragePooling2D(2)(x))[0, :, :, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
""" + _ARGS.format(rank=2)

    def __init__(
        self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=2,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


class AveragePooling3D(BasePooling):
    __doc__ = (
        """Average pooling over volumes: the mean of each window, per channel.\n"""
        + _ARGS.format(rank=3)
    )

    def __init__(
        self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=3,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
