"""Convolution and pooling on NumPy, composed of tape primitives so that they differentiate.

A convolution is im2col: pad, extract the patches (`autodiff.convolution`), one matrix
product (batched over groups). A transposed convolution is a stride-1 convolution of
the stride-dilated input with the flipped kernel, as XLA defines it. Pools reduce the
patches. Tensors are channels-last, `(batch, *spatial, channels)`, as the backend
interface says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasish.backend.conv_utils import (
    conv_transpose_padding,
    explicit_padding,
    pool_window_counts_1d,
)
from kerasish_numpy.autodiff import primitives as P
from kerasish_numpy.autodiff.convolution import extract_patches
from kerasish_numpy.autodiff.core import Box, strip


def _operand(x: Any) -> Any:
    return x if type(x) is Box else P.to_tensor(x)


def _floating(x: Any, kernel: Any) -> tuple[Any, Any]:
    x, kernel = _operand(x), _operand(kernel)
    dtype = np.result_type(strip(x).dtype, strip(kernel).dtype)
    if dtype.kind != "f":
        raise TypeError(
            f"Convolutions need floating inputs. Received: x.dtype={strip(x).dtype}, "
            f"kernel.dtype={strip(kernel).dtype}"
        )
    return P.cast(x, dtype.name), P.cast(kernel, dtype.name)


def _pad_spatial(x: Any, pads: Sequence[tuple[int, int]], value: float = 0) -> Any:
    """`x` with (before, after) added to each spatial axis; negative amounts crop."""
    if all(a == 0 and b == 0 for a, b in pads):
        return x
    shape = np.shape(strip(x))
    crop = tuple(slice(max(-a, 0), size - max(-b, 0)) for (a, b), size in zip(pads, shape[1:-1]))
    if any(a < 0 or b < 0 for a, b in pads):
        x = P.getitem(x, (slice(None), *crop, slice(None)))
    grow = [(max(a, 0), max(b, 0)) for a, b in pads]
    if any(a or b for a, b in grow):
        x = P.pad(x, [(0, 0), *grow, (0, 0)], value)
    return x


def conv(
    x: Any,
    kernel: Any,
    strides: Sequence[int],
    padding: str | Sequence[tuple[int, int]],
    dilation_rate: Sequence[int],
    groups: int = 1,
) -> Any:
    x, kernel = _floating(x, kernel)
    x_shape, k_shape = np.shape(strip(x)), np.shape(strip(kernel))
    n = len(x_shape) - 2
    pads = explicit_padding(x_shape[1:-1], k_shape[:n], strides, padding, dilation_rate)
    patches = extract_patches(_pad_spatial(x, pads), k_shape[:n], strides, dilation_rate)
    p_shape = np.shape(strip(patches))
    out_spatial = p_shape[1 : n + 1]
    rows = p_shape[0] * math.prod(out_spatial)
    window = math.prod(k_shape[:n])
    filters = k_shape[-1]
    if groups == 1:
        matrix = P.reshape(patches, (rows, window * k_shape[-2]))
        out = P.matmul(matrix, P.reshape(kernel, (window * k_shape[-2], filters)))
        return P.reshape(out, (p_shape[0], *out_spatial, filters))
    # Groups: one batched product, (groups, rows, window * in_per_group) against
    # (groups, window * in_per_group, out_per_group); channel c is in group c // per_group.
    in_per_group, out_per_group = k_shape[-2], filters // groups
    matrix = P.reshape(patches, (rows, window, groups, in_per_group))
    matrix = P.reshape(P.transpose(matrix, (2, 0, 1, 3)), (groups, rows, window * in_per_group))
    weights = P.reshape(kernel, (window, in_per_group, groups, out_per_group))
    weights = P.reshape(
        P.transpose(weights, (2, 0, 1, 3)), (groups, window * in_per_group, out_per_group)
    )
    out = P.transpose(P.matmul(matrix, weights), (1, 0, 2))
    return P.reshape(out, (p_shape[0], *out_spatial, filters))


def conv_transpose(
    x: Any,
    kernel: Any,
    strides: Sequence[int],
    padding: str,
    output_padding: Sequence[int | None],
    dilation_rate: Sequence[int],
) -> Any:
    x, kernel = _floating(x, kernel)
    x_shape, k_shape = np.shape(strip(x)), np.shape(strip(kernel))
    n = len(x_shape) - 2
    pads = [
        conv_transpose_padding(int(k), int(s), int(d), padding, op)
        for k, s, d, op in zip(k_shape[:n], strides, dilation_rate, output_padding)
    ]
    # The input, stride-dilated (strides - 1 zeros between elements) and padded, in one
    # placement into zeros: index_add is differentiable (its VJP is the strided slice).
    placed = []
    full_shape = [x_shape[0]]
    for size, s, (before, after) in zip(x_shape[1:-1], strides, pads):
        span = (size - 1) * s + 1
        placed.append(slice(before, before + span, s))
        full_shape.append(before + span + after)
    full_shape.append(x_shape[-1])
    dilated = P.index_add(x, tuple(full_shape), (slice(None), *placed, slice(None)))
    # (*spatial, out, in) flipped in space and read as (*spatial, in, out).
    flipped = P.flip(kernel, axis=tuple(range(n)))
    flipped = P.transpose(flipped, (*range(n), n + 1, n))
    return conv(dilated, flipped, (1,) * n, "valid", dilation_rate)


def _pool_patches(x: Any, pool_size, strides, padding, value: float) -> Any:
    x_shape = np.shape(strip(x))
    pads = explicit_padding(x_shape[1:-1], pool_size, strides, padding)
    n = len(x_shape) - 2
    patches = extract_patches(_pad_spatial(x, pads, value), pool_size, strides, (1,) * n)
    p_shape = np.shape(strip(patches))
    # Window axes merged into one: (batch, *out, window, channels).
    return P.reshape(patches, (*p_shape[: n + 1], -1, p_shape[-1]))


def max_pool(x: Any, pool_size: Sequence[int], strides: Sequence[int], padding: str) -> Any:
    x = _operand(x)
    dtype = strip(x).dtype
    if dtype.kind == "f":
        lowest = -np.inf
    elif dtype.kind == "b":
        lowest = False
    else:
        lowest = np.iinfo(dtype).min
    windows = _pool_patches(x, pool_size, strides, padding, lowest)
    # The gradient goes to the first maximal element of each window, as XLA's
    # select_and_scatter does: a constant mask of those elements selects the maxima.
    first = np.argmax(strip(windows), axis=-2)
    size = np.shape(strip(windows))[-2]
    chosen = np.arange(size).reshape(size, 1) == np.expand_dims(first, -2)
    return P.sum(P.where(chosen, windows, np.zeros((), dtype)), axis=-2)


def avg_pool(x: Any, pool_size: Sequence[int], strides: Sequence[int], padding: str) -> Any:
    x = _operand(x)
    dtype = strip(x).dtype
    if dtype.kind != "f":
        raise TypeError(f"avg_pool needs a floating input. Received: x.dtype={dtype}")
    windows = _pool_patches(x, pool_size, strides, padding, 0.0)
    x_spatial = np.shape(strip(x))[1:-1]
    n = len(x_spatial)
    counts = np.ones((1,) * (n + 2), dtype=np.float64)
    for axis, (size, pool, stride) in enumerate(zip(x_spatial, pool_size, strides), start=1):
        per_axis = np.asarray(pool_window_counts_1d(int(size), int(pool), int(stride), padding))
        shape = [1] * (n + 2)
        shape[axis] = len(per_axis)
        counts = counts * per_axis.reshape(shape)
    return P.divide(P.sum(windows, axis=-2), counts.astype(dtype))
