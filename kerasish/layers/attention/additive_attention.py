"""Additive (Bahdanau-style) attention: the `AdditiveAttention` layer."""

from __future__ import annotations

from kerasish import ops
from kerasish.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    Inputs are a list `[query, value]` or `[query, value, key]` (`key` defaults to
    `value`). The scores are a non-linear sum of `query` and `key`:

    1. `scores = sum(scale * tanh(query[:, :, None] + key[:, None]), axis=-1)`, of shape
       `(batch_size, Tq, Tv)`; `scale` is a trainable vector of shape `(dim,)` when
       `use_scale`, else 1.
    2. `weights = softmax(scores)` over the last axis (masked positions excluded).
    3. `output = weights @ value` (shape `(batch_size, Tq, dim)`).

    Args:
        use_scale: if True, creates the trainable vector `scale` (glorot-uniform
            initialized) that weighs each feature's tanh term.
        dropout: float in [0, 1), the fraction of attention weights dropped while
            training.
        seed: an int, to make the dropout masks reproducible.

    Call arguments:
        inputs: a list `[query, value]` or `[query, value, key]`: `query` of shape
            `(batch_size, Tq, dim)`, `value` of shape `(batch_size, Tv, dim_v)`,
            optional `key` of shape `(batch_size, Tv, dim)`.
        mask: optional list `[query_mask, value_mask]` of boolean tensors of shapes
            `(batch_size, Tq)` and `(batch_size, Tv)`. The output is zero where
            `query_mask` is False; value steps where `value_mask` is False get no weight.
        training: drops attention weights only when True.
        return_attention_scores: if True, returns `(output, weights)`, the weights
            after masking, softmax and dropout.
        use_causal_mask: if True, query step `i` only attends to value steps `j <= i`.

    Input shape:
        A list of 2 or 3 tensors of rank 3 or more: `(batch_size, ..., T, features)`.

    Output shape:
        `(batch_size, Tq, dim_v)`; with `return_attention_scores`, also the weights of
        shape `(batch_size, Tq, Tv)`.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape) -> None:
        self._validate_inputs(input_shape)
        self._check_shapes(input_shape)
        dim = tuple(input_shape[0])[-1]
        if self.use_scale:
            if dim is None:
                raise ValueError(
                    f"AdditiveAttention layer {self.name!r}: the last axis of `query` must be known to "
                    f"create `scale`. Received: query.shape={tuple(input_shape[0])}"
                )
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform", trainable=True)
        self.built = True

    def _calculate_scores(self, query, key):
        # Broadcast (B, Tq, 1, dim) against (B, 1, Tv, dim).
        pairs = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.sum(pairs, axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["score_mode"]
        return config
