"""DepthwiseConv1D and DepthwiseConv2D: each input channel convolved with its own filters."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers._validation import check_positive_int
from kerasish.layers.convolutional.base_conv import BaseConv


class BaseDepthwiseConv(BaseConv):
    """An N-D depthwise convolution: `depth_multiplier` filters per input channel.

    Unlike a grouped convolution with one group per channel, the output's channel count
    follows the input's: `channels * depth_multiplier`, channel `c * depth_multiplier +
    m` being input channel `c` through its filter `m`. Not exported: use
    `DepthwiseConv1D` or `DepthwiseConv2D`.

    Args:
        rank: the number of spatial axes.
        depth_multiplier: positive int, filters per input channel.
        kernel_size, strides, dilation_rate: int or `rank` ints.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first".
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.
        depthwise_constraint, bias_constraint: projections after updates.

    Weights:
        `kernel` of shape `kernel_size + (channels, depth_multiplier)` (Keras 3's
        name), then `bias` of shape `(channels * depth_multiplier,)`.
    """

    _strided_dilation_allowed = True

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        name = type(self).__name__
        self.depth_multiplier = check_positive_int(name, "depth_multiplier", depth_multiplier)
        # `filters` is known only once the input's channels are: 1 stands in until build.
        super().__init__(
            rank=rank,
            filters=1,
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

    # Keras names the kernel's arguments "depthwise_*" here.
    @property
    def depthwise_initializer(self):
        return self.kernel_initializer

    @property
    def depthwise_regularizer(self):
        return self.kernel_regularizer

    @property
    def depthwise_constraint(self):
        return self.kernel_constraint

    def _output_filters(self, channels: int) -> int:
        return channels * self.depth_multiplier

    def build(self, input_shape):
        channels = self._input_channels(tuple(input_shape))
        self.filters = channels * self.depth_multiplier
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
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
        return ops.depthwise_conv(
            inputs,
            kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            del config[key]
        for key in ("initializer", "regularizer", "constraint"):
            config[f"depthwise_{key}"] = config.pop(f"kernel_{key}")
        return {**config, "depth_multiplier": self.depth_multiplier}


_DEPTHWISE_ARGS = """
    Args:
        kernel_size: int or tuple of {rank} ints.
        strides: int or tuple of {rank} ints.
        padding: "valid" or "same".
        depth_multiplier: positive int, filters per input channel.
        data_format: "channels_last" or "channels_first"; the configured
            `image_data_format` by default.
        dilation_rate: int or tuple of {rank} ints.
        activation: an activation; None for linear.
        use_bias: whether to add a bias.
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.
        depthwise_constraint, bias_constraint: projections after updates.

    Input shape:
        `(batch_size, *spatial, channels)` ("channels_last") or
        `(batch_size, channels, *spatial)` ("channels_first"), {rank} spatial axes.

    Output shape:
        `(batch_size, *new_spatial, channels * depth_multiplier)`, or channels first.
"""


class DepthwiseConv1D(BaseDepthwiseConv):
    __doc__ = """1-D depthwise convolution: each channel convolved with its own filters.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 12).astype("float32")
    >>> keras.layers.DepthwiseConv1D(3, depth_multiplier=2)(x).shape
    (4, 8, 24)
""" + _DEPTHWISE_ARGS.format(rank=1)

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=1,
            depth_multiplier=depth_multiplier,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    __doc__ = """2-D depthwise convolution: each channel convolved with its own filters.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> x = np.random.rand(4, 10, 10, 12).astype("float32")
    >>> keras.layers.DepthwiseConv2D(3, 3, depth_multiplier=2)(x).shape
    (4, 3, 3, 24)
""" + _DEPTHWISE_ARGS.format(rank=2)

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            rank=2,
            depth_multiplier=depth_multiplier,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
