"""Embedding: integer indices to dense vectors, with an optional padding mask."""

from __future__ import annotations

import warnings

from kerasish import constraints, initializers, ops, regularizers
from kerasish.layers._validation import check_positive_int
from kerasish.layers.layer import Layer


class Embedding(Layer):
    """Turns non-negative integers (indices) into dense vectors of fixed size.

    `[[4], [20]] -> [[0.25, 0.1], [0.6, -0.2]]`: row `i` of the `embeddings` matrix is
    the vector of index `i`.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> model = keras.Sequential([keras.Input(shape=(10,), dtype="int32"), keras.layers.Embedding(1000, 64)])
    >>> model.output_shape
    (None, 10, 64)

    Args:
        input_dim: positive int, the size of the vocabulary (largest index + 1).
        output_dim: positive int, the size of each vector.
        embeddings_initializer: initializer of the `embeddings` matrix ("uniform":
            uniform in [-0.05, 0.05]).
        embeddings_regularizer: penalty on the `embeddings` matrix.
        embeddings_constraint: projection of the `embeddings` matrix after updates.
        mask_zero: whether index 0 is padding: the layer then returns the mask
            `inputs != 0` for the layers after it (so index 0 cannot be a word, and
            `input_dim` should be the vocabulary size + 1).
        weights: optional initial `(input_dim, output_dim)` matrix.

    Input shape:
        `(batch_size, input_length)` integers (any rank works).

    Output shape:
        `(batch_size, input_length, output_dim)`.
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero: bool = False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        if lora_rank is not None or lora_alpha is not None or quantization_config is not None:
            raise ValueError(
                "Embedding: LoRA and quantization are not supported by kerasish. Received: "
                f"lora_rank={lora_rank!r}, lora_alpha={lora_alpha!r}, quantization_config={quantization_config!r}"
            )
        self.input_dim = check_positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = check_positive_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # Indices are integers: never cast them to the layer's float dtype.
        self.autocast = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs):
        if ops.dtype(inputs) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        outputs = ops.take(self.embeddings, inputs, axis=0)
        return ops.cast(outputs, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }
