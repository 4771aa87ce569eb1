"""Convolution and pooling on jax.lax: one XLA convolution or reduce_window per operation.

Every function takes channels-last tensors `(batch, *spatial, channels)`, as the
backend interface says; strides, dilations and pool sizes arrive as tuples, one entry
per spatial axis. Padding is always handed to XLA as explicit pairs computed by
`kerasish.backend.conv_utils`, so that "same" is exactly TF's rule on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kerasish.backend.conv_utils import (
    conv_transpose_padding,
    explicit_padding,
    pool_window_counts_1d,
)
from kerasish_jax._conversion import ArrayLike, tensor


def _dimension_numbers(n: int) -> lax.ConvDimensionNumbers:
    # Input and output (N, *spatial, C); kernel (*spatial, I, O).
    channels_last = (0, n + 1, *range(1, n + 1))
    return lax.ConvDimensionNumbers(
        lhs_spec=channels_last, rhs_spec=(n + 1, n, *range(n)), out_spec=channels_last
    )


def _common_dtype(x: jax.Array, kernel: jax.Array) -> tuple[jax.Array, jax.Array]:
    dtype = jnp.result_type(x.dtype, kernel.dtype)
    if not jnp.issubdtype(dtype, jnp.inexact):
        raise TypeError(
            f"Convolutions need floating inputs. Received: x.dtype={x.dtype}, "
            f"kernel.dtype={kernel.dtype}"
        )
    return x.astype(dtype), kernel.astype(dtype)


def conv(
    x: ArrayLike,
    kernel: ArrayLike,
    strides: Sequence[int],
    padding: str | Sequence[tuple[int, int]],
    dilation_rate: Sequence[int],
    groups: int = 1,
) -> jax.Array:
    x, kernel = _common_dtype(tensor(x), tensor(kernel))
    n = x.ndim - 2
    pads = explicit_padding(x.shape[1:-1], kernel.shape[:n], strides, padding, dilation_rate)
    return lax.conv_general_dilated(
        x,
        kernel,
        window_strides=tuple(strides),
        padding=pads,
        rhs_dilation=tuple(dilation_rate),
        dimension_numbers=_dimension_numbers(n),
        feature_group_count=int(groups),
    )


def conv_transpose(
    x: ArrayLike,
    kernel: ArrayLike,
    strides: Sequence[int],
    padding: str,
    output_padding: Sequence[int | None],
    dilation_rate: Sequence[int],
) -> jax.Array:
    x, kernel = _common_dtype(tensor(x), tensor(kernel))
    n = x.ndim - 2
    pads = [
        conv_transpose_padding(int(k), int(s), int(d), padding, op)
        for k, s, d, op in zip(kernel.shape[:n], strides, dilation_rate, output_padding)
    ]
    # The kernel is (*spatial, out, in): read through the conv numbers it is (I=out, O=in),
    # and transpose_kernel flips it spatially and swaps those two, as Keras's JAX backend.
    return lax.conv_transpose(
        x,
        kernel,
        strides=tuple(strides),
        padding=pads,
        rhs_dilation=tuple(dilation_rate),
        dimension_numbers=_dimension_numbers(n),
        transpose_kernel=True,
    )


def _window(
    x: jax.Array, pool_size: Sequence[int], strides: Sequence[int], padding: str
) -> tuple[tuple, tuple, list]:
    pads = explicit_padding(x.shape[1:-1], pool_size, strides, padding)
    return (1, *pool_size, 1), (1, *strides, 1), [(0, 0), *pads, (0, 0)]


def max_pool(
    x: ArrayLike, pool_size: Sequence[int], strides: Sequence[int], padding: str
) -> jax.Array:
    x = tensor(x)
    window, window_strides, pads = _window(x, pool_size, strides, padding)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        lowest = -np.inf
    else:
        lowest = jnp.iinfo(x.dtype).min if x.dtype != jnp.bool_ else False
    # lax.max with its identity as a host constant (a jnp array is traced under jit and
    # would give a generic reduce_window) becomes reduce_window_max, whose gradient
    # (select_and_scatter_add) goes to the first maximal element of each window.
    init = np.array(lowest, dtype=x.dtype)
    return lax.reduce_window(x, init, lax.max, window, window_strides, pads)


def avg_pool(
    x: ArrayLike, pool_size: Sequence[int], strides: Sequence[int], padding: str
) -> jax.Array:
    x = tensor(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise TypeError(f"avg_pool needs a floating input. Received: x.dtype={x.dtype}")
    window, window_strides, pads = _window(x, pool_size, strides, padding)
    sums = lax.reduce_window(x, np.array(0, dtype=x.dtype), lax.add, window, window_strides, pads)
    # The divisor counts only real elements. It depends on static shapes alone, so it
    # is a host constant and the pool stays one reduce_window.
    counts = np.ones((1,) * x.ndim, dtype=np.float64)
    for axis, (size, pool, stride) in enumerate(zip(x.shape[1:-1], pool_size, strides), start=1):
        per_axis = np.asarray(pool_window_counts_1d(int(size), int(pool), int(stride), padding))
        shape = [1] * x.ndim
        shape[axis] = len(per_axis)
        counts = counts * per_axis.reshape(shape)
    return sums / counts.astype(x.dtype)
