"""Conversion of inputs to jax.Arrays and of kerasish dtype names to JAX dtypes."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerasish.backend import floatx, standardize_dtype

#: Anything accepted where a tensor is expected: jax.Array (or tracer), NumPy array or
#: scalar, Python scalar.
ArrayLike = Any

PYTHON_SCALARS = (bool, int, float)


# ---------------------------------------------------------------------- dtypes
@functools.cache
def _canonical_dtype(name: str, x64_enabled: bool) -> np.dtype:
    # `x64_enabled` is only part of the cache key: the flag may change at run time.
    # Canonicalizing ourselves (float64 -> float32 when x64 is off) keeps JAX from
    # warning that an explicitly requested 64-bit dtype was truncated.
    return jax.dtypes.canonicalize_dtype(jnp.dtype(name))


def jax_dtype(dtype: Any) -> np.dtype:
    """The JAX dtype for a dtype-like value, 64-bit types narrowed when x64 is off."""
    return _canonical_dtype(standardize_dtype(dtype), bool(jax.config.jax_enable_x64))


def _python_scalar_dtype(x: bool | int | float) -> np.dtype:
    if isinstance(x, bool):
        return jax_dtype("bool")
    if isinstance(x, int):
        return jax_dtype("int32")
    return jax_dtype(floatx())


def _infer_dtype(x: Any) -> np.dtype | None:
    """The dtype `x` gets as a tensor: NumPy's, with Python's defaults made kerasish's.

    None when it cannot be known without JAX (a list holding traced values).
    """
    if isinstance(x, PYTHON_SCALARS):
        return _python_scalar_dtype(x)
    if hasattr(x, "dtype"):
        return jax_dtype(x.dtype)
    try:
        inferred = np.asarray(x).dtype
    except TypeError:
        return None
    # A nested list of Python numbers: NumPy's float64/int64 stand for Python's float
    # and int, which kerasish makes floatx and int32.
    if inferred == np.float64:
        return jax_dtype(floatx())
    if inferred == np.int64:
        return jax_dtype("int32")
    return jax_dtype(inferred)


def convert(x: ArrayLike, dtype: Any = None) -> jax.Array:
    target = None if dtype is None else jax_dtype(dtype)
    if isinstance(x, jax.Array):
        if target is None or x.dtype == target:
            return x
        return x.astype(target)
    if target is None:
        target = _infer_dtype(x)
    return jnp.asarray(x, dtype=target)


def tensor(x: ArrayLike) -> jax.Array:
    return x if isinstance(x, jax.Array) else convert(x)


def operand(x: ArrayLike) -> ArrayLike:
    # Python scalars stay as they are so that JAX's weak typing applies: 2.0 * a
    # float16 tensor stays float16, as NumPy's promotion rules say.
    return x if isinstance(x, (jax.Array, *PYTHON_SCALARS)) else convert(x)


def float_tensor(x: ArrayLike) -> jax.Array:
    """`x` as a tensor, integers and booleans made floatx (jnp would pick float32)."""
    x = tensor(x)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return x.astype(jax_dtype(floatx()))


def normalize_axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def static_key(key: Any) -> Any:
    # NumPy reads a list as an integer-array index; jnp refuses lists.
    if isinstance(key, list):
        return np.asarray(key)
    if isinstance(key, tuple):
        return tuple(np.asarray(k) if isinstance(k, list) else k for k in key)
    return key
