"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: transposed convolutions (upsampling)."""

from __future__ import annotations

from kerasish import ops
from kerasish.backend import conv_utils
from kerasish.layers._validation import standardize_tuple
from kerasish.layers.convolutional.base_conv import BaseConv, spatial_shape, with_channels


class BaseConvTranspose(BaseConv):
    """An N-D transposed convolution: the input gradient of a convolution, as a layer.

    Each input element spreads a `kernel_size` window of weights over the output,
    `strides` apart; overlapping windows add up. Not exported: use `Conv1DTranspose`,
    `Conv2DTranspose` or `Conv3DTranspose`.

    Args:
        rank: the number of spatial axes.
        filters: positive int, the number of output channels.
        kernel_size, strides, dilation_rate: int or `rank` ints.
        padding: "valid" (output size `(size - 1) * strides + max(kernel, strides)`)
            or "same" (output size `size * strides`).
        output_padding: None, or int or `rank` ints, each below the stride: the output
            size is then `(size - 1) * strides + kernel + output_padding` ("valid") or
            `(size - 1) * strides + kernel % 2 + output_padding` ("same"), for the
            dilated kernel extent.
        data_format, activation, use_bias, *_initializer, *_regularizer, *_constraint:
            as for `BaseConv`.

    Weights:
        `kernel` of shape `kernel_size + (filters, input_channels)` (output channels
        before input channels, as Keras keeps it), then `bias` of shape `(filters,)`.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        output_padding=None,
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
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
            rank=rank,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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
        name = type(self).__name__
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = standardize_tuple(
                name, output_padding, rank, "output_padding", allow_zero=True
            )
            for op, s in zip(self.output_padding, self.strides):
                if op >= s:
                    raise ValueError(
                        f"{name}: each `output_padding` must be smaller than its stride. "
                        f"Received: output_padding={self.output_padding}, strides={self.strides}"
                    )

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._input_channels(input_shape)
        paddings = self.output_padding or (None,) * self.rank
        out = [
            conv_utils.conv_transpose_output_length(size, k, s, self.padding, op, d)
            for size, k, s, op, d in zip(
                spatial_shape(input_shape, self.data_format),
                self.kernel_size,
                self.strides,
                paddings,
                self.dilation_rate,
            )
        ]
        self._check_output_size(input_shape, out)
        return with_channels(input_shape[0], out, self.filters, self.data_format)

    def build(self, input_shape):
        channels = self._input_channels(tuple(input_shape))
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self._built_channels = channels
        self.built = True

    def convolution_op(self, inputs, kernel):
        return ops.conv_transpose(
            inputs,
            kernel,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = self.output_padding
        return config


_TRANSPOSE_DOC_TAIL = """
    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints. Not above 1 together with `dilation_rate > 1`.
        padding: "valid" or "same" (output size `size * strides`).
        output_padding: None, or int or tuple of {rank} ints, each below its stride
            (see `BaseConvTranspose`).
        data_format: "channels_last" or "channels_first"; the configured
            `image_data_format` by default.
        dilation_rate: int or tuple of {rank} ints.
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after updates.

    Input shape:
        `(batch_size, *spatial, channels)` ("channels_last") or
        `(batch_size, channels, *spatial)` ("channels_first"), {rank} spatial axes.

    Output shape:
        `(batch_size, *new_spatial, filters)` or `(batch_size, filters, *new_spatial)`.
"""


class Conv1DTranspose(BaseConvTranspose):
    __doc__ = """1-D transposed convolution.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 8).astype("float32")
    >>> keras.layers.Conv1DTranspose(3, 4, strides=2, padding="same")(x).shape
    (4, 20, 3)
""" + _TRANSPOSE_DOC_TAIL.format(rank=1)

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
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
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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


class Conv2DTranspose(BaseConvTranspose):
    __doc__ = """2-D transposed convolution (sometimes called deconvolution), for upsampling images.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 8, 128).astype("float32")
    >>> keras.layers.Conv2DTranspose(32, 2, 2, activation="relu")(x).shape
    (4, 20, 16, 32)
""" + _TRANSPOSE_DOC_TAIL.format(rank=2)

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=(1, 1),
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
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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


class Conv3DTranspose(BaseConvTranspose):
    __doc__ = """3-D transposed convolution.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(2, 3, 4, 5, 6).astype("float32")
    >>> keras.layers.Conv3DTranspose(2, 3, strides=2, padding="same")(x).shape
    (2, 6, 8, 10, 2)
""" + _TRANSPOSE_DOC_TAIL.format(rank=3)

    # Keras's order: `data_format` comes before `output_padding` here.
    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        output_padding=None,
        dilation_rate=(1, 1, 1),
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
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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


Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
