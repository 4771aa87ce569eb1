"""SeparableConv1D and SeparableConv2D: a depthwise convolution, then a pointwise one."""

from __future__ import annotations

from kerasish import constraints, initializers, ops, regularizers
from kerasish.layers._validation import check_positive_int
from kerasish.layers.convolutional.base_conv import BaseConv, add_bias


class BaseSeparableConv(BaseConv):
    """An N-D depthwise-separable convolution: far fewer weights than a full convolution.

    Each input channel is convolved with its own `depth_multiplier` filters (the
    depthwise step, which has the window, strides and dilation), and a window-1
    convolution then mixes the `channels * depth_multiplier` results into `filters`
    channels (the pointwise step). Not exported: use `SeparableConv1D` or
    `SeparableConv2D`.

    Args:
        rank: the number of spatial axes.
        depth_multiplier: positive int, depthwise filters per input channel.
        filters: positive int, the number of output channels.
        kernel_size, strides, dilation_rate: int or `rank` ints (depthwise step).
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first".
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: projections.

    Weights:
        `depthwise_kernel` of shape `kernel_size + (channels, depth_multiplier)`,
        `pointwise_kernel` of shape `(1,) * rank + (channels * depth_multiplier,
        filters)`, then `bias` of shape `(filters,)`.
    """

    _strided_dilation_allowed = True

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
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
            kernel_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        name = type(self).__name__
        self.depth_multiplier = check_positive_int(name, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = self.kernel_initializer
        self.depthwise_regularizer = self.kernel_regularizer
        self.depthwise_constraint = self.kernel_constraint
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(tuple(input_shape))
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
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

    def call(self, inputs):
        self._input_channels(ops.shape(inputs))
        outputs = ops.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        if self.bias is not None:
            outputs = add_bias(outputs, self.bias, self.rank, self.data_format)
        return self.activation(outputs)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        for key in ("initializer", "regularizer", "constraint"):
            config[f"depthwise_{key}"] = config.pop(f"kernel_{key}")
        return {
            **config,
            "depth_multiplier": self.depth_multiplier,
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


_SEPARABLE_ARGS = """
    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {rank} ints, the depthwise window.
        strides: int or tuple of {rank} ints.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first"; the configured
            `image_data_format` by default.
        dilation_rate: int or tuple of {rank} ints.
        depth_multiplier: positive int, depthwise filters per input channel.
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: projections.

    Input shape:
        `(batch_size, *spatial, channels)` ("channels_last") or
        `(batch_size, channels, *spatial)` ("channels_first"), {rank} spatial axes.

    Output shape:
        `(batch_size, *new_spatial, filters)`, or channels first.
"""


class SeparableConv1D(BaseSeparableConv):
    __doc__ = """1-D depthwise-separable convolution.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 12).astype("float32")
    >>> keras.layers.SeparableConv1D(8, 3, padding="same")(x).shape
    (4, 10, 8)
""" + _SEPARABLE_ARGS.format(rank=1)

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=1,
            depth_multiplier=depth_multiplier,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    __doc__ = """2-D depthwise-separable convolution.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 10, 12).astype("float32")
    >>> keras.layers.SeparableConv2D(16, 3, depth_multiplier=2)(x).shape
    (4, 8, 8, 16)
""" + _SEPARABLE_ARGS.format(rank=2)

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=2,
            depth_multiplier=depth_multiplier,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
