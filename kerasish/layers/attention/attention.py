"""Dot-product (Luong-style) attention over a [query, value(, key)] list: the `Attention` layer."""

from __future__ import annotations

from kerasish import ops
from kerasish import random as krandom
from kerasish.layers.layer import Layer
from kerasish.ops.symbolic import KerasTensor

# What a masked-out score is lowered by before the softmax (Keras's values: 65504 is
# float16's largest finite number; float32 could take more, but Keras uses 1e9).
_MASK_PENALTY = {"float16": 65504.0}
_DEFAULT_MASK_PENALTY = 1.0e9


def check_dropout_rate(layer: str, rate) -> float:
    """`rate` as a float if it is a number in [0, 1), else a ValueError naming `layer`."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(
            f"{layer}: argument `dropout` must be a float in [0, 1). Received: dropout={rate!r}"
        )
    return float(rate)


def causal_mask(query_length: int, key_length: int):
    """A boolean `(1, query_length, key_length)` mask, True where key index <= query index."""
    rows = ops.expand_dims(ops.arange(query_length, dtype="int32"), -1)
    cols = ops.expand_dims(ops.arange(key_length, dtype="int32"), 0)
    return ops.expand_dims(ops.greater_equal(rows, cols), 0)


class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    Inputs are a list `[query, value]` or `[query, value, key]` (`key` defaults to
    `value`). Scores are computed between `query` and `key`, turned into a softmax
    distribution over the value steps, and used to average `value`:

    1. `scores = query @ key^T` (shape `(batch_size, Tq, Tv)`), or, with
       `score_mode="concat"`, `scores = concat_score_weight *
       sum(tanh(query[:, :, None] + key[:, None]), axis=-1)`.
    2. `weights = softmax(scores)` over the last axis (masked positions excluded).
    3. `output = weights @ value` (shape `(batch_size, Tq, dim)`).

    Args:
        use_scale: if True, a trainable scalar `scale` (initialized to 1) multiplies the
            scores (in "concat" mode it multiplies `query + key` inside the tanh).
        score_mode: "dot" (query-key dot product) or "concat" (tanh of the sum of
            query and key vectors, summed over features).
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
        use_causal_mask: if True, query step `i` only attends to value steps `j <= i`
            (decoder self-attention).

    Input shape:
        A list of 2 or 3 tensors of rank 3 or more: `(batch_size, ..., T, features)`.

    Output shape:
        `(batch_size, Tq, dim_v)`; with `return_attention_scores`, also the weights of
        shape `(batch_size, Tq, Tv)`.
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{type(self).__name__}: invalid value for argument `score_mode`. Expected one of "
                f"{{'dot', 'concat'}}. Received: score_mode={score_mode!r}"
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = check_dropout_rate(type(self).__name__, dropout)
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = krandom.SeedGenerator(seed)
        self.supports_masking = True
        self.scale = None
        self.concat_score_weight = None

    # ------------------------------------------------------------- checks
    def _validate_inputs(self, inputs, mask=None) -> None:
        cls = type(self).__name__
        # A single tensor's shape is a tuple of ints: not a list of inputs either.
        if not isinstance(inputs, (list, tuple)) or any(x is None or isinstance(x, int) for x in inputs):
            raise ValueError(
                f"{cls} layer {self.name!r} must be called on a list of inputs, namely [query, value] "
                f"or [query, value, key]. Received: inputs={inputs!r}"
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{cls} layer {self.name!r} accepts an inputs list of length 2 or 3, namely "
                f"[query, value] or [query, value, key]. Received length: {len(inputs)}"
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{cls} layer {self.name!r}: `mask` must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask!r}"
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{cls} layer {self.name!r} accepts a mask list of length 2 or 3, namely "
                    f"[query_mask, value_mask]. Received length: {len(mask)}"
                )

    def _check_shapes(self, shapes) -> None:
        """Raises a ValueError naming the layer unless query, value and key fit together."""
        cls = type(self).__name__
        query_shape, value_shape = tuple(shapes[0]), tuple(shapes[1])
        key_shape = tuple(shapes[2]) if len(shapes) > 2 else value_shape
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3:
                raise ValueError(
                    f"Input of layer {self.name!r} ({cls}) is incompatible: `{name}` must have rank 3 or "
                    f"more, (batch_size, steps, features). Received: {name}.shape={shape}"
                )

        def differ(a, b):
            return a is not None and b is not None and a != b

        if differ(query_shape[-1], key_shape[-1]):
            raise ValueError(
                f"Input of layer {self.name!r} ({cls}) is incompatible: `query` and `key` must have the "
                f"same last dimension. Received: query.shape={query_shape}, key.shape={key_shape}"
            )
        if differ(value_shape[-2], key_shape[-2]):
            raise ValueError(
                f"Input of layer {self.name!r} ({cls}) is incompatible: `value` and `key` must have the "
                f"same number of steps. Received: value.shape={value_shape}, key.shape={key_shape}"
            )

    # -------------------------------------------------------------- build
    def build(self, input_shape) -> None:
        self._validate_inputs(input_shape)
        self._check_shapes(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones", trainable=True)
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones", trainable=True
            )
        self.built = True

    # --------------------------------------------------------------- call
    def _calculate_scores(self, query, key):
        """Scores of shape `(batch_size, Tq, Tv)` from `query` and `key`."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale)
            return scores
        # Broadcast (B, Tq, 1, dim) against (B, 1, Tv, dim).
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), axis=-1))

    def _calculate_score_mask(self, scores, value_mask, use_causal_mask):
        if value_mask is not None:
            # (B, Tv) -> (B, 1, Tv): the same value steps are hidden from every query step.
            value_mask = ops.expand_dims(ops.cast(value_mask, "bool"), -2)
        if not use_causal_mask:
            return value_mask
        shape = ops.shape(scores)
        causal = causal_mask(shape[-2], shape[-1])
        return causal if value_mask is None else ops.logical_and(value_mask, causal)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        """(weights @ value, weights), the weights masked, softmaxed and dropped out."""
        if scores_mask is not None:
            penalty = _MASK_PENALTY.get(ops.dtype(scores), _DEFAULT_MASK_PENALTY)
            scores = ops.where(scores_mask, scores, ops.subtract(scores, penalty))
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = krandom.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.matmul(weights, value), weights

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        self._check_shapes([ops.shape(x) for x in inputs])
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = self._calculate_score_mask(scores, value_mask, use_causal_mask)
        outputs, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            keep = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
            outputs = ops.where(keep, outputs, ops.zeros((), ops.dtype(outputs)))
        if return_attention_scores:
            return outputs, weights
        return outputs

    def compute_mask(self, inputs, previous_mask=None):
        self._validate_inputs(inputs, previous_mask)
        if previous_mask is None or previous_mask[0] is None:
            return None
        return ops.convert_to_tensor(previous_mask[0])

    # ------------------------------------------------------------- shapes
    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, inputs, mask=None, training=None, return_attention_scores=False,
                            use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        shapes = [tuple(x.shape) for x in inputs]
        self._check_shapes(shapes)
        output = KerasTensor(self.compute_output_shape(shapes), dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        key_shape = shapes[2] if len(shapes) > 2 else shapes[1]
        return output, KerasTensor((*shapes[0][:-1], key_shape[-2]), dtype=self.compute_dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }
