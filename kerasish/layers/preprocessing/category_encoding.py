"""CategoryEncoding, and the one-hot / multi-hot / count encoder the other preprocessing layers share."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers.layer import Layer
from kerasish.ops.symbolic import KerasTensor

ENCODED_MODES = ("one_hot", "multi_hot", "count")


def encoded_shape(input_shape, output_mode: str, depth: int | None) -> tuple:
    """The output shape of `encode_categorical_inputs` for inputs of `input_shape`."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return (*input_shape[:-1], depth)
        return (*input_shape, depth)
    return (*input_shape[:-1], depth)


def encode_categorical_inputs(inputs, output_mode: str, depth: int, dtype: str, count_weights=None):
    """Integer indices to "int" (cast), "one_hot", "multi_hot" or "count" encodings.

    The last axis of the input is the sample axis for "multi_hot" and "count" (its
    tokens are merged into one vector of `depth`); "one_hot" encodes each element and
    drops a trailing axis of size 1. Indices outside `[0, depth)` encode to zeros.
    """
    if output_mode == "int":
        return ops.cast(inputs, dtype)
    inputs = ops.convert_to_tensor(inputs)
    if ops.ndim(inputs) == 0:
        inputs = ops.expand_dims(inputs, -1)
    inputs = ops.cast(inputs, "int32")
    if output_mode == "one_hot":
        shape = ops.shape(inputs)
        if len(shape) > 1 and shape[-1] == 1:
            inputs = ops.squeeze(inputs, axis=-1)
        return ops.one_hot(inputs, depth, dtype=dtype)
    if count_weights is not None:
        dtype = ops.dtype(count_weights)
    encoded = ops.one_hot(inputs, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return ops.max(encoded, axis=-2)
    if count_weights is not None:
        encoded = ops.multiply(encoded, ops.expand_dims(count_weights, -1))
    return ops.sum(encoded, axis=-2)


class CategoryEncoding(Layer):
    """Encodes integer features with a known number of categories (`num_tokens`).

    - "one_hot": each element becomes a vector of `num_tokens` with a 1 at its
      index (a trailing axis of size 1 is replaced).
    - "multi_hot": each sample (the last axis) becomes one vector with a 1 for every
      index present.
    - "count": as "multi_hot", with the number of times each index is present
      (weighted by `count_weights` when given).

    Inputs must be integers in `[0, num_tokens)`; other values encode to zeros (as
    Keras's JAX backend does: no check runs inside a compiled step). For values from
    an open set, use `IntegerLookup`.

    Args:
        num_tokens: the number of categories.
        output_mode: "multi_hot" (default), "one_hot" or "count".
        sparse: must be False (kerasish has no sparse tensors).

    Call arguments:
        inputs: integer tensor of rank 0, 1 or 2 (rank 2: `(batch, sample_length)`).
        count_weights: tensor of the shape of `inputs`, only with "count".

    Input shape:
        `(batch_size, sample_length)` or `(batch_size,)`.

    Output shape:
        `(batch_size, num_tokens)`; with "one_hot" and `(batch_size, n)` inputs,
        `(batch_size, n, num_tokens)`.
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ENCODED_MODES:
            raise ValueError(
                f"Unknown value for `output_mode` of CategoryEncoding. Expected one of {list(ENCODED_MODES)}. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding needs `num_tokens`. If the number of tokens is not known beforehand, use the "
                "IntegerLookup layer instead. Received: num_tokens=None"
            )
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1:
            raise ValueError(f"`num_tokens` of CategoryEncoding must be an integer >= 1. Received: num_tokens={num_tokens!r}")
        if sparse:
            raise ValueError("CategoryEncoding: `sparse=True` is not supported (kerasish has no sparse tensors). Received: sparse=True")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "CategoryEncoding: `count_weights` is only used when `output_mode` is 'count'. "
                    f"Received: output_mode={self.output_mode!r} and count_weights of shape {ops.shape(count_weights)}"
                )
            count_weights = ops.convert_to_tensor(count_weights, dtype=self.compute_dtype)
            if tuple(ops.shape(count_weights)) != tuple(ops.shape(inputs)):
                raise ValueError(
                    "CategoryEncoding: `count_weights` must have the shape of the inputs. Received: "
                    f"count_weights.shape={tuple(ops.shape(count_weights))}, inputs.shape={tuple(ops.shape(inputs))}"
                )
        return encode_categorical_inputs(inputs, self.output_mode, self.num_tokens, self.compute_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}
