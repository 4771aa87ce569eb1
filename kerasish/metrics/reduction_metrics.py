"""Metrics that reduce values over batches: `Sum`, `Mean`, and `MeanMetricWrapper` for functions."""

from __future__ import annotations

from collections.abc import Callable

from kerasish import losses, ops
from kerasish.losses.loss import divide_no_nan, squeeze_or_expand_to_same_rank
from kerasish.metrics.metric import Metric
from kerasish.saving.serialization import serialize_keras_object


def reduce_to_samplewise_values(values, sample_weight, reduce_fn: Callable, dtype: str):
    """Weights `values` and reduces them to one value per sample (the leading axis).

    `sample_weight` is matched to `values` as Keras does: a trailing size-1 axis is
    squeezed or added, `values` are reduced (with `reduce_fn`) down to the weight's
    rank, and the weight is broadcast. Returns `(values, sample_weight)`, where the
    weight is reduced to one per sample too (or stays None).
    """
    values = ops.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = ops.ndim(sample_weight), ops.ndim(values)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(values))
        values = ops.multiply(values, sample_weight)
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    values_ndim = ops.ndim(values)
    if values_ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values_ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the given values.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    4.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = reduce_to_samplewise_values(
            values, sample_weight, reduce_fn=ops.sum, dtype=self.dtype
        )
        self.total.assign_add(ops.sum(values))

    def reset_state(self) -> None:
        self.total.assign(0)

    def result(self):
        return ops.cast(self.total, self.dtype)


class Mean(Metric):
    """The (weighted) mean of the given values: `total / count`.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="count"
        )

    def update_state(self, values, sample_weight=None) -> None:
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, reduce_fn=ops.mean, dtype=self.dtype
        )
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            num_samples = ops.sum(sample_weight)
        elif ops.ndim(values) >= 1:
            num_samples = ops.shape(values)[0]
        else:
            num_samples = 1
        self.count.assign_add(ops.cast(num_samples, self.dtype))

    def reset_state(self) -> None:
        self.total.assign(0)
        self.count.assign(0)

    def result(self):
        return divide_no_nan(self.total.value, ops.cast(self.count, self.dtype))


class MeanMetricWrapper(Mean):
    """The mean, over all samples seen, of a function `fn(y_true, y_pred, **kwargs)`.

    Args:
        fn: returns one value per sample.
        name: the metric's name.
        dtype: the dtype of the state and result.
        **kwargs: passed on to `fn` at every update.

    Example:

    >>> def squared_error(y_true, y_pred):
    ...     return ops.square(ops.subtract(y_true, y_pred))
    >>> m = MeanMetricWrapper(squared_error, name="se")
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in losses.ALL_OBJECTS or type(fn) in losses.ALL_OBJECTS:
            self._direction = "down"  # a loss: to be minimized

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = {**super().get_config(), "fn": serialize_keras_object(self._fn)}
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "fn" in config:
            from kerasish.metrics import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)
