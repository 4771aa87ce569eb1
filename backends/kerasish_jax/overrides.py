"""Fused JAX versions of composite ops, which `kerasish.ops` uses instead of its own."""

from __future__ import annotations

from collections.abc import Callable

import jax

from kerasish_jax._conversion import ArrayLike, float_tensor, normalize_axis, tensor

# Each function takes the arguments of the `kerasish.ops` function of the same name.
# Integer input is made floatx first, as the composites' exp would promote it.


def softmax(x: ArrayLike, axis: int | tuple | None = -1) -> jax.Array:
    return jax.nn.softmax(float_tensor(x), axis=normalize_axis(axis))


def log_softmax(x: ArrayLike, axis: int | tuple | None = -1) -> jax.Array:
    return jax.nn.log_softmax(float_tensor(x), axis=normalize_axis(axis))


def logsumexp(x: ArrayLike, axis: int | tuple | None = None, keepdims: bool = False) -> jax.Array:
    return jax.scipy.special.logsumexp(
        float_tensor(x), axis=normalize_axis(axis), keepdims=keepdims
    )


def relu(x: ArrayLike) -> jax.Array:
    # Integer input stays integer, as in the composite. jax.nn.relu is a custom_jvp
    # whose gradient at x == 0 is 0, as the contract asks.
    return jax.nn.relu(tensor(x))


def gelu(x: ArrayLike, approximate: bool = True) -> jax.Array:
    return jax.nn.gelu(float_tensor(x), approximate=approximate)


def softplus(x: ArrayLike) -> jax.Array:
    return jax.nn.softplus(float_tensor(x))


def silu(x: ArrayLike) -> jax.Array:
    return jax.nn.silu(float_tensor(x))


OVERRIDES: dict[str, Callable] = {
    "softmax": softmax,
    "log_softmax": log_softmax,
    "logsumexp": logsumexp,
    "relu": relu,
    "gelu": gelu,
    "softplus": softplus,
    "silu": silu,
}
