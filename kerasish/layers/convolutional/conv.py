"""Conv1D, Conv2D and Conv3D: convolution layers over 1, 2 and 3 spatial axes."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution (over time): `activation(conv1d(inputs, kernel) + bias)`.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 128).astype("float32")
    >>> keras.layers.Conv1D(32, 3, activation="relu")(x).shape
    (4, 8, 32)

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the window's length.
        strides: int or tuple of 1 int. Not above 1 together with `dilation_rate > 1`.
        padding: "valid", "same" or "causal" (zeros on the left only, so that
            `output[t]` depends on `inputs[:t + 1]` alone, as in WaveNet).
        data_format: "channels_last" (`(batch, steps, channels)`) or "channels_first"
            (`(batch, channels, steps)`); the configured `image_data_format` by default.
        dilation_rate: int or tuple of 1 int.
        groups: positive int dividing the input channels and `filters`.
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after updates.

    Input shape:
        `(batch_size, steps, channels)` ("channels_last") or
        `(batch_size, channels, steps)` ("channels_first").

    Output shape:
        `(batch_size, new_steps, filters)` or `(batch_size, filters, new_steps)`.
    """

    _allow_causal = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=1,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )

    def convolution_op(self, inputs, kernel):
        if self.padding != "causal":
            return super().convolution_op(inputs, kernel)
        # Causal: the whole dilated window's overhang as zeros before the first step.
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        time_axis = 1 if self.data_format == "channels_last" else 2
        widths = [(0, 0)] * 3
        widths[time_axis] = (left, 0)
        return ops.conv(
            ops.pad(inputs, widths),
            kernel,
            strides=self.strides,
            padding="valid",
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )


class Conv2D(BaseConv):
    """2-D convolution (over images): `activation(conv2d(inputs, kernel) + bias)`.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 10, 128).astype("float32")
    >>> keras.layers.Conv2D(32, 3, activation="relu")(x).shape
    (4, 8, 8, 32)

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the window's height and width.
        strides: int or tuple of 2 ints. Not above 1 together with `dilation_rate > 1`.
        padding: "valid" or "same" (output size `ceil(size / strides)`).
        data_format: "channels_last" (`(batch, height, width, channels)`) or
            "channels_first" (`(batch, channels, height, width)`); the configured
            `image_data_format` by default.
        dilation_rate: int or tuple of 2 ints.
        groups: positive int dividing the input channels and `filters`.
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after updates.

    Input shape:
        `(batch_size, height, width, channels)` ("channels_last") or
        `(batch_size, channels, height, width)` ("channels_first").

    Output shape:
        `(batch_size, new_height, new_width, filters)` or
        `(batch_size, filters, new_height, new_width)`.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=2,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class Conv3D(BaseConv):
    """3-D convolution (over volumes): `activation(conv3d(inputs, kernel) + bias)`.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(2, 6, 6, 6, 3).astype("float32")
    >>> keras.layers.Conv3D(4, 3)(x).shape
    (2, 4, 4, 4, 4)

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 3 ints.
        strides: int or tuple of 3 ints. Not above 1 together with `dilation_rate > 1`.
        padding: "valid" or "same".
        data_format: "channels_last" (`(batch, d1, d2, d3, channels)`) or
            "channels_first" (`(batch, channels, d1, d2, d3)`).
        dilation_rate: int or tuple of 3 ints.
        groups: positive int dividing the input channels and `filters`.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as Conv2D.

    Input shape:
        `(batch_size, d1, d2, d3, channels)` ("channels_last") or
        `(batch_size, channels, d1, d2, d3)` ("channels_first").

    Output shape:
        `(batch_size, new_d1, new_d2, new_d3, filters)` or channels first.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=3,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
