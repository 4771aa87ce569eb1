"""Multi-head scaled dot-product attention ("Attention is all you need"): `MultiHeadAttention`."""

from __future__ import annotations

import inspect
import math
import string

from kerasish import constraints, initializers, ops, regularizers
from kerasish.layers.attention.attention import causal_mask
from kerasish.layers.einsum_dense import EinsumDense
from kerasish.layers.layer import Layer
from kerasish.layers.regularization import Dropout
from kerasish.ops.symbolic import KerasTensor

# What a masked-out score becomes before the softmax (Keras's Softmax layer's values).
_MASKED_SCORE = {"float16": -3.0e4}
_DEFAULT_MASKED_SCORE = -1.0e9

_TENSOR_ARGUMENTS = ("query", "value", "key")


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"MultiHeadAttention: argument `{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return value


def build_projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """(einsum equation, bias axes, output rank) of one of the layer's projections.

    The input's first `free_dims` axes pass through, its last `bound_dims` axes are
    contracted with the kernel, and the kernel adds `output_dims` new axes (biased).
    The letters are Keras's, so that kernels have Keras's shapes and axis order.
    """
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    new = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{new}->{free}{new}", new, free_dims + output_dims


def build_attention_equations(rank: int, attention_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """(query-key product equation, weights-value combination equation, scores rank).

    Projected tensors have shape `(batch, <other axes>, <attention axes>, heads,
    channels)`; every axis except the attention axes and the channels is a batch axis
    of the product. Scores have shape `(<batch axes>, <query attention axes>, <key
    attention axes>)`; the product takes `(key, query)`, the combination `(scores, value)`.
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_axes = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_axes or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = (
        "".join(target[i] for i in batch_axes)
        + "".join(target[i] for i in attention_axes)
        + "".join(source[i] for i in attention_axes)
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _partial_output_shape(output_rank: int, known_last_dims) -> list:
    # EinsumDense's `output_shape` leaves out the batch axis; None takes the input's size.
    return [None] * (output_rank - 1 - len(known_last_dims)) + list(known_last_dims)


class MultiHeadAttention(Layer):
    """Multi-head attention, as in "Attention is all you Need" (Vaswani et al., 2017).

    `query`, `key` and `value` are each projected (EinsumDense sublayers "query", "key"
    and "value") to `num_heads` heads of size `key_dim` (`value_dim` for values). In
    each head, query-key dot products scaled by `1 / sqrt(key_dim)` are softmaxed over
    the key positions (masked positions excluded) and average the value heads; the
    heads are then projected back together (sublayer "attention_output") to the
    query's last dimension, or to `output_shape`. With `query`, `key` and `value` the
    same tensor, this is self-attention.

    Args:
        num_heads: the number of attention heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value; `key_dim` when None.
        dropout: the dropout rate on the attention weights while training.
        use_bias: whether the projections have biases.
        output_shape: int or tuple, the output's shape besides the batch and sequence
            axes; the query's last dimension when None.
        attention_axes: int or tuple, the axes attention runs over (not the batch or the
            feature axis); all axes between them when None.
        flash_attention: accepted for Keras compatibility; kerasish always computes
            attention explicitly (the result is the same).
        kernel_initializer, bias_initializer: initializers of the projections (each
            projection gets its own copy).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties on the
            projections' kernels, biases and outputs.
        kernel_constraint, bias_constraint: projections after updates.
        seed: an int, to make the dropout masks reproducible.

    Call arguments:
        query: tensor of shape `(B, T, dim)`.
        value: tensor of shape `(B, S, dim)`.
        key: optional tensor of shape `(B, S, dim)`; `value` when None.
        query_mask: optional boolean `(B, T)`: query positions that are real (not padding).
        value_mask: optional boolean `(B, S)`: value positions that are real.
        key_mask: optional boolean `(B, S)`: key positions that are real.
        attention_mask: optional boolean `(B, T, S)`: True where a query position may
            attend to a key position; broadcasts over missing batch and head axes.
        return_attention_scores: if True, returns `(output, scores)`, the attention
            weights (after masking and softmax, before dropout) of shape `(B, heads, T, S)`.
        training: applies dropout only when True.
        use_causal_mask: if True, query position `i` attends only to key positions
            `j <= i` (decoder self-attention).

        The masks are combined with a logical AND: `query_mask` as `(B, T, 1)`,
        `value_mask` and `key_mask` as `(B, 1, S)`, the causal mask as `(1, T, S)`. In a
        Functional model the masks of `query`, `value` and `key` (from `Embedding(...,
        mask_zero=True)` or `Masking`) fill the three mask arguments when they are not
        given. A query row whose keys are all masked gets zero weights.

    Input shape:
        `query` `(batch_size, <query axes>, query_dim)`; `value` and `key`
        `(batch_size, <key axes>, dim)`, all of the same rank (3 or more).

    Output shape:
        `(batch_size, <query axes>, query_dim)`, or with `output_shape`,
        `(batch_size, <query axes>, *output_shape)`.
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape=None,
        attention_axes=None,
        flash_attention: bool | None = None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed: int | None = None,
        use_gate: bool = False,
        sliding_window=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # Newer Keras writes these two into its configs; kerasish reads such a config
        # when they have their defaults.
        if use_gate or sliding_window is not None:
            raise ValueError(
                "MultiHeadAttention: `use_gate=True` and `sliding_window` are not supported by kerasish. "
                f"Received: use_gate={use_gate!r}, sliding_window={sliding_window!r}"
            )
        self.supports_masking = True
        self._num_heads = _positive_int("num_heads", num_heads)
        self._key_dim = _positive_int("key_dim", key_dim)
        self._value_dim = self._key_dim if value_dim is None else _positive_int("value_dim", value_dim)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(
                f"MultiHeadAttention: argument `dropout` must be a float in [0, 1]. Received: dropout={dropout!r}"
            )
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        if output_shape:
            if isinstance(output_shape, int) and not isinstance(output_shape, bool):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    "MultiHeadAttention: argument `output_shape` must be an int, a tuple or a list. "
                    f"Received: output_shape={output_shape!r}"
                ) from None
            for d in output_shape:
                _positive_int("output_shape", d)
        else:
            output_shape = None
        self._output_shape = output_shape
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        elif attention_axes is not None:
            if not isinstance(attention_axes, (list, tuple)) or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in attention_axes
            ):
                raise ValueError(
                    "MultiHeadAttention: argument `attention_axes` must be an int, a list or a tuple of ints. "
                    f"Received: attention_axes={attention_axes!r}"
                )
            attention_axes = tuple(attention_axes)
        self._attention_axes = attention_axes
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        # Sublayers are made in `build`; declared here so that they are tracked, and
        # their weights listed, in Keras's order: query, key, value, attention_output.
        self._query_dense = None
        self._key_dense = None
        self._value_dense = None
        self._dropout_layer = None
        self._output_dense = None
        self._call_signature = inspect.signature(self.call)

    # ------------------------------------------------------------ properties
    @property
    def num_heads(self) -> int:
        return self._num_heads

    @property
    def key_dim(self) -> int:
        return self._key_dim

    @property
    def value_dim(self) -> int:
        return self._value_dim

    @property
    def dropout(self) -> float:
        return self._dropout

    @property
    def use_bias(self) -> bool:
        return self._use_bias

    # `output_shape` is not exposed: it would shadow what models read from layers.

    @property
    def attention_axes(self):
        return self._attention_axes

    @property
    def query_dense(self):
        return self._query_dense

    @property
    def key_dense(self):
        return self._key_dense

    @property
    def value_dense(self):
        return self._value_dense

    @property
    def output_dense(self):
        return self._output_dense

    # ----------------------------------------------------------------- build
    def _sublayer_kwargs(self) -> dict:
        def copy(initializer):
            # A fresh initializer per projection (as Keras does), so that no two kernels
            # share one initializer object.
            return initializer.clone() if isinstance(initializer, initializers.Initializer) else initializer

        return {
            "kernel_initializer": copy(self._kernel_initializer),
            "bias_initializer": copy(self._bias_initializer),
            "kernel_regularizer": self._kernel_regularizer,
            "bias_regularizer": self._bias_regularizer,
            "activity_regularizer": self._activity_regularizer,
            "kernel_constraint": self._kernel_constraint,
            "bias_constraint": self._bias_constraint,
            "dtype": self.dtype,
        }

    def _check_shapes(self, query_shape, value_shape, key_shape) -> None:
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3:
                raise ValueError(
                    f"Input of layer {self.name!r} (MultiHeadAttention) is incompatible: `{name}` must have "
                    f"rank 3 or more, (batch_size, ..., features). Received: {name}.shape={shape}"
                )
        if len(value_shape) != len(query_shape) or len(key_shape) != len(query_shape):
            raise ValueError(
                f"Input of layer {self.name!r} (MultiHeadAttention) is incompatible: `query`, `value` and "
                f"`key` must have the same rank. Received: query.shape={query_shape}, "
                f"value.shape={value_shape}, key.shape={key_shape}"
            )
        if any(a is not None and b is not None and a != b for a, b in zip(value_shape[1:-1], key_shape[1:-1])):
            raise ValueError(
                f"MultiHeadAttention layer {self.name!r}: all dimensions of `value` and `key`, except the "
                f"last one, must be equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )

    def build(self, query_shape, value_shape, key_shape=None) -> None:
        """Creates the four projections for inputs of these shapes.

        Args:
            query_shape: shape of `query`.
            value_shape: shape of `value`.
            key_shape: shape of `key`; `value_shape` when None.
        """
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        # Recorded as Keras records them (`get_build_config`): the shapes given, no more.
        self._build_shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not None:
            self._build_shapes_dict["key_shape"] = tuple(key_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)

        def projection(name, input_shape, head_size):
            equation, bias_axes, output_rank = build_projection_equation(len(input_shape) - 1, 1, 2)
            layer = EinsumDense(
                equation,
                output_shape=_partial_output_shape(output_rank, [self._num_heads, head_size]),
                bias_axes=bias_axes if self._use_bias else None,
                name=name,
                **self._sublayer_kwargs(),
            )
            layer.build(input_shape)
            return layer

        self._query_dense = projection("query", query_shape, self._key_dim)
        self._key_dense = projection("key", key_shape, self._key_dim)
        self._value_dense = projection("value", value_shape, self._value_dim)
        self._build_attention(rank + 1)

        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, output_rank = build_projection_equation(rank - 1, 2, len(output_shape))
        self._output_dense = EinsumDense(
            equation,
            output_shape=_partial_output_shape(output_rank, output_shape),
            bias_axes=bias_axes if self._use_bias else None,
            name="attention_output",
            **self._sublayer_kwargs(),
        )
        heads_shape = (*query_shape[:-1], self._num_heads, self._value_dim)
        self._output_dense.build(heads_shape)
        self.built = True

    def _normalized_attention_axes(self, rank: int) -> tuple[int, ...]:
        """The attention axes as non-negative axes of the input, for projected tensors of `rank`."""
        input_rank = rank - 1
        if self._attention_axes is None:
            return tuple(range(1, rank - 2))
        # Negative axes count from the end of the input (before projection).
        axes = tuple(a if a >= 0 else input_rank + a for a in self._attention_axes)
        if any(not 1 <= a <= input_rank - 2 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f"MultiHeadAttention layer {self.name!r}: `attention_axes` must be distinct axes of the "
                f"input other than the batch (0) and feature ({input_rank - 1}) axes. "
                f"Received: attention_axes={self._attention_axes}"
            )
        return axes

    def _build_attention(self, rank: int) -> None:
        """Fixes the attention axes and the einsum equations for projected tensors of `rank`."""
        axes = self._normalized_attention_axes(rank)
        # Stored normalized, as Keras does: a built layer's config names the axes exactly.
        self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = build_attention_equations(rank, axes)
        self._norm_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype)

    # -------------------------------------------------------- call machinery
    def __call__(self, *args, **kwargs):
        # Keras builds this layer from the shapes of query, value and key, however they
        # were passed; the base class builds from the first argument only, so the three
        # are put first, in order, whether given by position or by name.
        kwargs.pop("mask", None)
        try:
            bound = self._call_signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(
                f"MultiHeadAttention layer {self.name!r} was called with invalid arguments ({e}). "
                "Expected call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None, "
                "attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)."
            ) from None
        arguments = dict(bound.arguments)
        tensors = [arguments.pop("query"), arguments.pop("value")]
        key = arguments.pop("key", None)
        if key is not None:
            tensors.append(key)
        return super().__call__(*tensors, **arguments)

    def _maybe_build(self, args) -> None:
        if self.built or not args:
            return
        self.build(**{f"{name}_shape": tuple(ops.shape(x)) for name, x in zip(_TENSOR_ARGUMENTS, args)})
        self.built = True

    def _convert_inputs(self, args):
        converted = [super(MultiHeadAttention, self)._convert_inputs((x,))[0] for x in args[:3]]
        return (*converted, *args[3:])

    def get_build_config(self) -> dict | None:
        if self._build_shapes_dict is None:
            return None
        return {"shapes_dict": dict(self._build_shapes_dict)}

    def build_from_config(self, config) -> None:
        if not config or self.built:
            return
        if "shapes_dict" not in config:
            raise ValueError(
                f"MultiHeadAttention layer {self.name!r}: a build config must hold `shapes_dict` "
                f"(query_shape, value_shape, key_shape). Received: {config!r}"
            )
        self.build(**{k: tuple(v) for k, v in config["shapes_dict"].items() if v is not None})
        self.built = True

    def _call_with_mask(self, args, kwargs, mask):
        # In a graph, the masks of the inputs arrive as one list in the order of the node's
        # input tensors, query, value and key first; they fill the three mask arguments.
        if isinstance(mask, (list, tuple)):
            masks = list(mask[: len(args)])
        else:
            masks = [mask]
        kwargs = dict(kwargs)
        for name, m in zip(_TENSOR_ARGUMENTS, masks):
            if m is not None and kwargs.get(f"{name}_mask") is None:
                kwargs[f"{name}_mask"] = m
        outputs = self(*args, **kwargs)
        query_mask = kwargs.get("query_mask")
        if kwargs.get("return_attention_scores"):
            return outputs, [query_mask, None]
        return outputs, query_mask

    def compute_mask(self, inputs, previous_mask=None):
        """The output's mask: the query's mask."""
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0] if previous_mask else None
        return previous_mask

    # ------------------------------------------------------------------ call
    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False):
        """The combined boolean mask `(B, T, S)` (or broadcastable to it), or None."""
        combined = None

        def conjoin(a, b):
            return b if a is None else ops.logical_and(a, b)

        if query_mask is not None:
            combined = conjoin(combined, ops.expand_dims(ops.cast(query_mask, "bool"), -1))
        if value_mask is not None:
            combined = conjoin(combined, ops.expand_dims(ops.cast(value_mask, "bool"), -2))
        if key_mask is not None:
            combined = conjoin(combined, ops.expand_dims(ops.cast(key_mask, "bool"), -2))
        if use_causal_mask:
            combined = conjoin(combined, causal_mask(ops.shape(query)[1], ops.shape(value)[1]))
        if attention_mask is None:
            return combined
        attention_mask = ops.cast(attention_mask, "bool")
        return attention_mask if combined is None else ops.logical_and(attention_mask, combined)

    def _masked_softmax(self, scores, attention_mask=None):
        if attention_mask is not None:
            # The mask lacks the head axis (and any other leading axes): insert them just
            # before the query and key attention axes.
            expansion_axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(ops.shape(scores)) - len(ops.shape(attention_mask))):
                attention_mask = ops.expand_dims(attention_mask, expansion_axis)
            scores = ops.where(
                attention_mask, scores, _MASKED_SCORE.get(ops.dtype(scores), _DEFAULT_MASKED_SCORE)
            )
        weights = ops.softmax(scores, axis=self._norm_axes)
        if attention_mask is not None:
            # A query row with every key masked would otherwise be uniform; it gets zeros.
            weights = ops.where(attention_mask, weights, ops.zeros((), ops.dtype(weights)))
        return weights

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        """(attention output `(B, T, N, value_dim)`, weights `(B, N, T, S)`) from projected heads."""
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, ops.dtype(query)))
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0 else scores
        return ops.einsum(self._combine_equation, dropped, value), scores

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        if key is None:
            key = value
        self._check_shapes(tuple(ops.shape(query)), tuple(ops.shape(value)), tuple(ops.shape(key)))
        attention_mask = self._compute_attention_mask(
            query, value, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
            attention_mask=attention_mask, use_causal_mask=use_causal_mask,
        )
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        output, scores = self._compute_attention(query, key, value, attention_mask, training)
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    # ---------------------------------------------------------------- shapes
    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                            attention_mask=None, return_attention_scores=False, training=None,
                            use_causal_mask=False):
        key_shape = None if key is None else tuple(key.shape)
        output_shape = self.compute_output_shape(query.shape, value.shape, key_shape)
        if self.built:
            # The projections check that the inputs fit the built kernels.
            self._query_dense.compute_output_shape(tuple(query.shape))
            self._value_dense.compute_output_shape(tuple(value.shape))
            self._key_dense.compute_output_shape(key_shape or tuple(value.shape))
        output = KerasTensor(output_shape, dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        return output, KerasTensor(self._scores_shape(query.shape, key_shape or value.shape), dtype=self.compute_dtype)

    def _scores_shape(self, query_shape, key_shape) -> tuple:
        """`(<batch axes>, heads, <query attention axes>, <key attention axes>)`."""
        rank = len(query_shape) + 1
        axes = self._normalized_attention_axes(rank)
        projected_query = (*query_shape[:-1], self._num_heads, self._key_dim)
        projected_key = (*key_shape[:-1], self._num_heads, self._key_dim)
        batch_axes = [i for i in range(rank) if i not in axes and i != rank - 1]
        return (
            *(projected_query[i] for i in batch_axes),
            *(projected_query[i] for i in axes),
            *(projected_key[i] for i in axes),
        )

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }
