"""Activation functions by object or by Keras's string names."""

from __future__ import annotations

from kerasish import ops
from kerasish.saving.serialization import (
    get_registered_name,
    get_registered_object,
    unknown_name_error,
)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), optionally leaky below `threshold` and capped at `max_value`."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    out = ops.where(ops.greater(x, threshold), x, ops.multiply(ops.subtract(x, threshold), negative_slope))
    if max_value is not None:
        out = ops.minimum(out, max_value)
    return out


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    return ops.relu6(x)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def silu(x):
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def tanh(x):
    return ops.tanh(x)


def sigmoid(x):
    return ops.sigmoid(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def exponential(x):
    return ops.exp(x)


def linear(x):
    return x


def mish(x):
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


ALL_OBJECTS = {
    fn.__name__: fn
    for fn in (
        relu, leaky_relu, relu6, elu, selu, softplus, softsign, silu, gelu, tanh, sigmoid,
        hard_sigmoid, exponential, linear, mish, log_softmax, softmax,
    )
}
ALL_OBJECTS["swish"] = silu


def serialize(activation):
    if activation is None:
        return "linear"
    name = getattr(activation, "__name__", None)
    if name in ALL_OBJECTS and ALL_OBJECTS[name] is activation:
        return name
    return get_registered_name(activation)


def get(identifier):
    """An activation function from a callable, a string name, None (linear) or a config."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        identifier = identifier.get("config", identifier.get("class_name"))
    if isinstance(identifier, str):
        fn = get_registered_object(identifier, module_objects=ALL_OBJECTS)
        if fn is None:
            raise unknown_name_error("activation", identifier, ALL_OBJECTS)
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")
