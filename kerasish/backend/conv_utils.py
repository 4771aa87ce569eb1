"""Padding and output-size arithmetic of convolutions and pools, as Keras (and TF) define it.

Plain Python on ints, shared by `kerasish.ops`, the layers and every backend, so that
"same" means exactly one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "conv_output_length",
    "conv_transpose_output_length",
    "conv_transpose_padding",
    "explicit_padding",
    "pool_window_counts_1d",
    "same_padding",
]


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of one axis for TF's "same": output size ceil(size / stride).

    The total padding is the least that lets ceil(size / stride) windows of extent
    `(kernel - 1) * dilation + 1` fit; when it is odd, the extra element goes after.
    """
    extent = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def explicit_padding(
    spatial_shape: Sequence[int],
    kernel_shape: Sequence[int],
    strides: Sequence[int],
    padding: str | Sequence[tuple[int, int]],
    dilation_rate: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """One (before, after) pair per spatial axis for "valid", "same" or explicit pairs."""
    n = len(spatial_shape)
    dilation_rate = (1,) * n if dilation_rate is None else tuple(dilation_rate)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return [(0, 0)] * n
        if mode == "same":
            return [
                same_padding(int(s), int(k), int(st), int(d))
                for s, k, st, d in zip(spatial_shape, kernel_shape, strides, dilation_rate)
            ]
        raise ValueError(
            f"`padding` must be 'valid' or 'same' (or one (before, after) pair per spatial axis). "
            f"Received: padding={padding!r}"
        )
    pairs = [tuple(int(v) for v in pair) for pair in padding]
    if len(pairs) != n or any(len(pair) != 2 for pair in pairs):
        raise ValueError(
            f"Explicit `padding` needs one (before, after) pair per spatial axis ({n}). "
            f"Received: padding={padding!r}"
        )
    return pairs


def conv_output_length(
    size: int | None, kernel: int, stride: int, padding: str, dilation: int = 1
) -> int | None:
    """Output size of one axis of a convolution or pool ("valid", "same" or "causal")."""
    if size is None:
        return None
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        return (size - extent) // stride + 1
    return (size - 1) // stride + 1  # "same" and "causal": ceil(size / stride)


def conv_transpose_padding(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """(before, after) padding of one axis of the stride-dilated input of a transposed conv.

    The transposed convolution is then a stride-1 convolution with the spatially flipped
    kernel. The sizes are Keras's: "valid" gives `(size - 1) * stride + max(extent,
    stride)`, "same" gives `size * stride`, and an explicit `output_padding` gives
    `(size - 1) * stride + extent + output_padding` ("valid") or `(size - 1) * stride +
    extent % 2 + output_padding` ("same"), the extra elements added after.
    """
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(extent, stride) - extent
        return extent - 1, extent - 1 + output_padding
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, extent - 1)
    return before, total - before


def conv_transpose_output_length(
    size: int | None,
    kernel: int,
    stride: int,
    padding: str,
    output_padding: int | None = None,
    dilation: int = 1,
) -> int | None:
    """Output size of one axis of a transposed convolution (see `conv_transpose_padding`)."""
    if size is None:
        return None
    extent = (kernel - 1) * dilation + 1
    before, after = conv_transpose_padding(kernel, stride, dilation, padding, output_padding)
    return (size - 1) * stride + 1 + before + after - extent + 1


def pool_window_counts_1d(size: int, pool: int, stride: int, padding: str) -> list[int]:
    """How many real (not padding) elements each window of one axis of a pool covers."""
    before, _ = explicit_padding((size,), (pool,), (stride,), padding)[0]
    out = conv_output_length(size, pool, stride, padding)
    counts = []
    for i in range(out):
        start = i * stride - before
        counts.append(min(start + pool, size) - max(start, 0))
    return counts
