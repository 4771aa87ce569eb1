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
    """`x` where x >= 0, else `negative_slope * x`."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return ops.relu6(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` where x > 0, else `alpha * (exp(x) - 1)`."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled exponential linear unit (self-normalizing)."""
    return ops.selu(x)


def softplus(x):
    """log(1 + exp(x))."""
    return ops.softplus(x)


def softsign(x):
    """x / (|x| + 1)."""
    return ops.softsign(x)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit: x * P(X <= x) for a standard normal X (tanh approximation with `approximate=True`)."""
    return ops.gelu(x, approximate=approximate)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return ops.sigmoid(x)


def hard_sigmoid(x):
    """A piecewise-linear sigmoid: relu6(x + 3) / 6."""
    return ops.hard_sigmoid(x)


def exponential(x):
    """exp(x)."""
    return ops.exp(x)


def linear(x):
    """The identity: `x` unchanged."""
    return x


def mish(x):
    """x * tanh(softplus(x))."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`."""
    return ops.log_softmax(x, axis=axis)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`."""
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
    """The name an activation is saved under ("relu", ..., or its registered name)."""
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
