"""Window primitives for convolution and pooling: extract_patches and its adjoint, with VJPs.

A convolution on the tape is `pad` -> `extract_patches` -> `matmul` (im2col); a pool
is `pad` -> `extract_patches` -> a reduction. Only the patch extraction is new: it is
linear, its VJP is its adjoint `scatter_patches` (the sum of the patches back into
the image), and the VJP of that is `extract_patches` again, so gradients of any order
are recorded with these two primitives and the existing ones.

Layout: an image is `(batch, *spatial, channels)`; its patches are
`(batch, *out_spatial, *window, channels)`, the window axes in front of the channels so
that a patch matrix `(batch * out, window * channels)` is a free reshape.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerasish_numpy.autodiff.core import defvjp, primitive
from kerasish_numpy.autodiff.primitives import _tensor


def _out_sizes(spatial: Sequence[int], window, strides, dilation) -> list[int]:
    return [
        (size - (w - 1) * d - 1) // s + 1
        for size, w, s, d in zip(spatial, window, strides, dilation)
    ]


@primitive
def extract_patches(x, window, strides, dilation):
    """The windows of `x` (already padded) at every output position, as one new array.

    Args:
        x: `(batch, *spatial, channels)`.
        window: the window's size per spatial axis (a kernel's or a pool's).
        strides: the step between windows per spatial axis.
        dilation: the step between the elements of a window per spatial axis.

    Returns:
        `(batch, *out_spatial, *window, channels)`, with
        `out = (size - (window - 1) * dilation - 1) // stride + 1`.
    """
    x = _tensor(x)
    n = x.ndim - 2
    window, strides, dilation = tuple(window), tuple(strides), tuple(dilation)
    out = _out_sizes(x.shape[1:-1], window, strides, dilation)
    if min(out, default=1) <= 0:
        raise ValueError(
            f"The window (size {window}, dilation {dilation}) does not fit in the padded input "
            f"of spatial shape {x.shape[1:-1]}."
        )
    extents = tuple((w - 1) * d + 1 for w, d in zip(window, dilation))
    # A read-only view (batch, *positions, channels, *extents); one copy makes it patches.
    view = sliding_window_view(x, extents, axis=tuple(range(1, n + 1)))
    view = view[
        (slice(None),)
        + tuple(slice(None, None, s) for s in strides)
        + (slice(None),)
        + tuple(slice(None, None, d) for d in dilation)
    ]
    axes = (0, *range(1, n + 1), *range(n + 2, 2 * n + 2), n + 1)
    return np.ascontiguousarray(view.transpose(axes))


@primitive
def scatter_patches(patches, x_shape, strides, dilation):
    """The adjoint of `extract_patches`: each patch added back where it was taken from.

    Args:
        patches: `(batch, *out_spatial, *window, channels)`.
        x_shape: the shape of the image the patches came from.
        strides, dilation: as given to `extract_patches`.

    Returns:
        An array of `x_shape`; elements in several windows receive the sum.
    """
    patches = _tensor(patches)
    x_shape = tuple(int(d) for d in x_shape)
    n = len(x_shape) - 2
    out = patches.shape[1 : n + 1]
    window = patches.shape[n + 1 : 2 * n + 1]
    result = np.zeros(x_shape, dtype=patches.dtype)
    every_position = (slice(None),) * (n + 1)
    # A loop over window offsets (a handful), each adding one strided slab at once.
    for offset in itertools.product(*(range(w) for w in window)):
        target = (slice(None),) + tuple(
            slice(o * d, o * d + (m - 1) * s + 1, s)
            for o, d, m, s in zip(offset, dilation, out, strides)
        )
        result[target] += patches[every_position + offset]
    return result


defvjp(
    extract_patches,
    lambda g, ans, x, window, strides, dilation: scatter_patches(g, x.shape, strides, dilation),
)
defvjp(
    scatter_patches,
    lambda g, ans, patches, x_shape, strides, dilation: extract_patches(
        g, patches.shape[len(x_shape) - 1 : 2 * len(x_shape) - 3], strides, dilation
    ),
)
