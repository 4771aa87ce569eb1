"""Core layers: Dense, Activation, Identity."""

from __future__ import annotations

from kerasish import activations, constraints, initializers, ops, regularizers
from kerasish.layers.layer import Layer


def _check_positive_int(name, value, layer):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Received an invalid value for `{name}` of {layer}, expected a positive integer. Received: {name}={value!r}")


class Dense(Layer):
    """A densely-connected layer: `activation(dot(inputs, kernel) + bias)`.

    Applies to the last axis of inputs of any rank of 2 or more.

    Args:
        units: positive int, the size of the output's last axis.
        activation: an activation (name or callable); None for linear.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: projections after updates.

    Input shape:
        `(batch_size, ..., input_dim)`.

    Output shape:
        `(batch_size, ..., units)`.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _check_positive_int("units", units, "Dense")
        for name, value in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha), ("quantization_config", quantization_config)):
            # Keras 3 writes these into every Dense config; only their "off" value is supported.
            if value is not None:
                raise ValueError(f"Dense layer: `{name}` is not supported by kerasish. Received: {name}={value!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._min_input_ndim = 2
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense layer {self.name!r}: the last axis of the input must be known. Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight(
            name="kernel", shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        last = ops.shape(inputs)[-1]
        if last != self.kernel.shape[0]:
            raise ValueError(
                f"Input of layer {self.name!r} (Dense) is incompatible: expected the last axis to be "
                f"{self.kernel.shape[0]}, found {last}. Full shape received: {ops.shape(inputs)}"
            )
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        if self.built and input_shape[-1] is not None and input_shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Input of layer {self.name!r} (Dense) is incompatible: expected the last axis to be "
                f"{self.kernel.shape[0]}, found {input_shape[-1]}. Full shape received: {tuple(input_shape)}"
            )
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Applies an activation function: `Activation("relu")`."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value`.

    Downstream layers that support masking (RNNs, ...) skip those timesteps; the
    output has them zeroed.

    Args:
        mask_value: the value that marks a timestep as padding.

    Input shape:
        `(batch_size, timesteps, features)`.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, previous_mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.multiply(inputs, ops.cast(keep, ops.dtype(inputs)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
