"""BaseConv: the N-D convolution layer that Conv1D, Conv2D and Conv3D specialize."""

from __future__ import annotations

from collections.abc import Sequence

from kerasish import activations, constraints, initializers, ops, regularizers
from kerasish.backend import conv_utils
from kerasish.layers._validation import (
    check_input_ndim,
    check_positive_int,
    standardize_data_format,
    standardize_tuple,
)
from kerasish.layers.layer import Layer


def standardize_padding(layer: str, padding, allow_causal: bool = False) -> str:
    """`padding` lower-cased, checked against "valid", "same" (and "causal" if allowed)."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    normalized = padding.lower() if isinstance(padding, str) else padding
    if normalized not in allowed:
        raise ValueError(
            f"{layer}: argument `padding` must be one of {', '.join(map(repr, allowed))}. "
            f"Received: padding={padding!r}"
        )
    return normalized


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def spatial_shape(shape: Sequence, data_format: str) -> tuple:
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def with_channels(batch, spatial: Sequence, channels, data_format: str) -> tuple:
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


def add_bias(outputs, bias, rank: int, data_format: str):
    """`outputs + bias`, the bias broadcast along the channel axis of `data_format`."""
    size = ops.shape(bias)[0]
    shape = (
        (1,) * (rank + 1) + (size,) if data_format == "channels_last" else (1, size) + (1,) * rank
    )
    return ops.add(outputs, ops.reshape(bias, shape))


class BaseConv(Layer):
    """An N-D convolution layer: `activation(conv(inputs, kernel) + bias)`.

    The kernel is cross-correlated with the input (no flip), as in every deep-learning
    library. Not exported: use `Conv1D`, `Conv2D` or `Conv3D`.

    Args:
        rank: the number of spatial axes (1, 2 or 3).
        filters: positive int, the number of output channels.
        kernel_size: int or `rank` ints, the window's size.
        strides: int or `rank` ints, the step between windows. Strides above 1 cannot be
            combined with a dilation rate above 1.
        padding: "valid" (no padding) or "same" (output size `ceil(size / strides)`,
            zeros split evenly, the odd one after); Conv1D also takes "causal".
        data_format: "channels_last" (`(batch, *spatial, channels)`) or
            "channels_first" (`(batch, channels, *spatial)`); the configured
            `image_data_format` by default.
        dilation_rate: int or `rank` ints, the step between a window's elements.
        groups: positive int dividing both the input channels and `filters`: the
            channels are split into that many groups, each convolved with its own
            `filters // groups` filters.
        activation: an activation (name or callable); None for linear.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections applied after each update.

    Weights:
        `kernel` of shape `kernel_size + (channels // groups, filters)`, then `bias`
        of shape `(filters,)`.
    """

    _allow_causal = False
    # Keras refuses strides > 1 with dilation_rate > 1 for Conv* (TF could not run it);
    # its depthwise and separable layers accept the pair.
    _strided_dilation_allowed = False

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        groups: int = 1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        self.rank = rank
        self.filters = check_positive_int(name, "filters", filters)
        self.groups = check_positive_int(name, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"{name}: `filters` must be divisible by `groups`. "
                f"Received: filters={filters}, groups={groups}"
            )
        self.kernel_size = standardize_tuple(name, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(name, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(name, dilation_rate, rank, "dilation_rate")
        if (
            not self._strided_dilation_allowed
            and max(self.strides) > 1
            and max(self.dilation_rate) > 1
        ):
            raise ValueError(
                f"{name}: `strides > 1` cannot be combined with `dilation_rate > 1`. "
                f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        self.padding = standardize_padding(name, padding, allow_causal=self._allow_causal)
        self.data_format = standardize_data_format(name, data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    # -------------------------------------------------------------- shapes
    def _input_channels(self, shape) -> int:
        """The channel count of an input of `shape`, after checking its rank (and, once
        built, that the channels match the kernel)."""
        name = type(self).__name__
        check_input_ndim(self.name, name, shape, self.rank + 2)
        channels = shape[channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(
                f"Input of layer {self.name!r} ({name}) must have a known channel axis "
                f"({self.data_format}). Full shape received: {tuple(shape)}"
            )
        expected = getattr(self, "_built_channels", None)
        if expected is not None and channels != expected:
            raise ValueError(
                f"Input of layer {self.name!r} ({name}) is incompatible: the layer was built for "
                f"{expected} input channels, found {channels}. Full shape received: {tuple(shape)}"
            )
        return int(channels)

    def _check_output_size(self, input_shape, output_spatial) -> None:
        if any(d is not None and d <= 0 for d in output_spatial):
            raise ValueError(
                f"Input of layer {self.name!r} ({type(self).__name__}) is too small for its "
                f"window: the output would be empty. Received: input_shape={tuple(input_shape)}, "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}, padding={self.padding!r}"
            )

    def _output_filters(self, channels: int) -> int:
        return self.filters

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = self._input_channels(input_shape)
        out = [
            conv_utils.conv_output_length(size, k, s, self.padding, d)
            for size, k, s, d in zip(
                spatial_shape(input_shape, self.data_format),
                self.kernel_size,
                self.strides,
                self.dilation_rate,
            )
        ]
        self._check_output_size(input_shape, out)
        return with_channels(input_shape[0], out, self._output_filters(channels), self.data_format)

    # --------------------------------------------------------------- build
    def build(self, input_shape):
        channels = self._input_channels(tuple(input_shape))
        if channels % self.groups:
            raise ValueError(
                f"Input of layer {self.name!r} ({type(self).__name__}): the input channels "
                f"({channels}) must be divisible by `groups`. Received: groups={self.groups}, "
                f"input_shape={tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels // self.groups, self.filters),
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

    # ---------------------------------------------------------------- call
    def convolution_op(self, inputs, kernel):
        return ops.conv(
            inputs,
            kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )

    def call(self, inputs):
        self._input_channels(ops.shape(inputs))
        outputs = self.convolution_op(inputs, self.kernel)
        if self.bias is not None:
            outputs = add_bias(outputs, self.bias, self.rank, self.data_format)
        return self.activation(outputs)

    # -------------------------------------------------------------- config
    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
