"""Reshape, Permute and RepeatVector: rearrange the non-batch axes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from kerasish import ops
from kerasish.layers._validation import check_input_ndim
from kerasish.layers.layer import Layer
from kerasish.layers.reshaping._base import spec_like_input


def _resolve_target_shape(layer: str, input_shape: Sequence, target_shape: tuple) -> tuple:
    """`target_shape` with its -1 filled in from `input_shape` (None where unknown)."""
    if any(d is None for d in input_shape):
        return tuple(None if d == -1 else d for d in target_shape)
    input_size = math.prod(input_shape)
    if -1 not in target_shape:
        if math.prod(target_shape) != input_size:
            raise ValueError(
                f"{layer}: the total size of the tensor must be unchanged. "
                f"Received: input_shape={tuple(input_shape)} (without the batch axis), "
                f"target_shape={target_shape}"
            )
        return target_shape
    known = math.prod(d for d in target_shape if d != -1)
    if known == 0 or input_size % known:
        raise ValueError(
            f"{layer}: the total size of the tensor must be unchanged, but the input size "
            f"{input_size} cannot be divided by the known dimensions of `target_shape`. "
            f"Received: input_shape={tuple(input_shape)} (without the batch axis), "
            f"target_shape={target_shape}"
        )
    return tuple(input_size // known if d == -1 else d for d in target_shape)


class Reshape(Layer):
    """Reshapes the non-batch axes of its input to `target_shape`.

    >>> import kerasish as keras
    >>> keras.layers.Reshape((3, 4))(keras.Input(shape=(12,))).shape
    (None, 3, 4)
    >>> keras.layers.Reshape((-1, 2, 2))(keras.Input(shape=(12,))).shape
    (None, 3, 2, 2)

    Args:
        target_shape: tuple of ints, the output shape without the batch axis. One
            entry may be -1: its size is inferred from the input's size.

    Input shape:
        `(batch_size, ...)`, with as many values per sample as `target_shape` holds.

    Output shape:
        `(batch_size, *target_shape)`.
    """

    def __init__(self, target_shape: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise ValueError(
                f"Reshape: argument `target_shape` must be a tuple of integers. Received: target_shape={target_shape!r}"
            ) from None
        if any(isinstance(d, bool) or not isinstance(d, int) or (d <= 0 and d != -1) for d in target_shape):
            raise ValueError(
                "Reshape: every entry of `target_shape` must be a positive integer or -1. "
                f"Received: target_shape={target_shape}"
            )
        if target_shape.count(-1) > 1:
            raise ValueError(
                f"Reshape: `target_shape` must not contain more than one -1. Received: target_shape={target_shape}"
            )
        self.target_shape = target_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        resolved = _resolve_target_shape(f"Reshape layer {self.name!r}", input_shape[1:], self.target_shape)
        return (input_shape[0], *resolved)

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        shape = ops.shape(inputs)
        resolved = _resolve_target_shape(f"Reshape layer {self.name!r}", shape[1:], self.target_shape)
        return ops.reshape(inputs, (shape[0], *resolved))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes of its input.

    >>> import kerasish as keras
    >>> keras.layers.Permute((2, 1))(keras.Input(shape=(10, 64))).shape
    (None, 64, 10)

    Args:
        dims: tuple of ints, the permutation of the axes 1..n (the batch axis 0 stays
            first). `(2, 1)` swaps the first and second non-batch axes.

    Input shape:
        `(batch_size, d1, ..., dn)` with n = `len(dims)`.

    Output shape:
        `(batch_size, d[dims[0]], ..., d[dims[n-1]])`.
    """

    def __init__(self, dims: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(dims)
        except TypeError:
            raise ValueError(f"Permute: argument `dims` must be a tuple of integers. Received: dims={dims!r}") from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute layer: the indices in `dims` must be "
                f"consecutive and start from 1 (the batch axis 0 cannot move). Received: dims={dims}"
            )
        self.dims = dims

    def _check_shape(self, shape):
        check_input_ndim(self.name, "Permute", shape, len(self.dims) + 1)

    def build(self, input_shape):
        self._check_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_shape(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        self._check_shape(ops.shape(inputs))
        return ops.transpose(inputs, (0, *self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each input vector `n` times along a new time axis.

    >>> import kerasish as keras
    >>> keras.layers.RepeatVector(3)(keras.Input(shape=(32,))).shape
    (None, 3, 32)

    Args:
        n: positive int, the number of repetitions.

    Input shape:
        `(batch_size, features)`.

    Output shape:
        `(batch_size, n, features)`.
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"RepeatVector: expected an integer value for `n`. Received: n={n!r} of type {type(n).__name__}")
        if n <= 0:
            raise ValueError(f"RepeatVector: argument `n` must be a positive integer. Received: n={n}")
        self.n = n

    def build(self, input_shape):
        check_input_ndim(self.name, "RepeatVector", input_shape, 2)
        self.built = True

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, "RepeatVector", input_shape, 2)
        return (input_shape[0], self.n, input_shape[1])

    def compute_output_spec(self, inputs):
        return spec_like_input(self, inputs, self.compute_output_shape(inputs.shape))

    def call(self, inputs):
        shape = ops.shape(inputs)
        check_input_ndim(self.name, "RepeatVector", shape, 2)
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}
