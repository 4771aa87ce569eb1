"""Accuracy metrics (`keras.metrics` names): how often predictions match the labels."""

from __future__ import annotations

import kerasish.backend as kb
from kerasish import ops
from kerasish.losses.loss import squeeze_or_expand_to_same_rank
from kerasish.metrics.reduction_metrics import MeanMetricWrapper


def _matches(y_true, y_pred):
    return ops.cast(ops.equal(y_true, y_pred), kb.floatx())


def accuracy(y_true, y_pred):
    """Per-sample fraction of exactly equal entries (mean over the last axis).

    Args:
        y_true: labels.
        y_pred: predicted labels, same shape (a trailing size-1 axis may differ).

    Returns:
        One value in [0, 1] per sample.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(_matches(y_true, y_pred), axis=-1)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """Per-sample fraction of entries where `y_pred > threshold` equals the binary label.

    Args:
        y_true: labels (0 or 1).
        y_pred: probabilities (or any scores), same shape.
        threshold: predictions above it count as 1.

    Returns:
        One value in [0, 1] per sample (mean over the last axis).
    """
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    threshold = ops.cast(threshold, ops.dtype(y_pred))
    y_pred = ops.cast(ops.greater(y_pred, threshold), ops.dtype(y_true))
    return ops.mean(_matches(y_true, y_pred), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of `y_pred` is the arg-max of the one-hot `y_true`, else 0.0.

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: scores (probabilities or logits), same shape.

    Returns:
        One value per sample, shape `(batch, ...)`.
    """
    y_true = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    y_pred = ops.convert_to_tensor(y_pred)
    true_shape = ops.shape(y_true)
    reshape_matches = False
    if ops.ndim(y_true) == ops.ndim(y_pred):
        y_true = ops.squeeze(y_true, axis=-1)
        reshape_matches = True
    y_pred = ops.argmax(y_pred, axis=-1)
    if ops.dtype(y_pred) != ops.dtype(y_true):
        y_pred = ops.cast(y_pred, ops.dtype(y_true))
    matches = _matches(y_true, y_pred)
    if reshape_matches:
        matches = ops.reshape(matches, true_shape)
    return matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of `y_pred` equals the integer label, else 0.0.

    Args:
        y_true: class ids, shape `(batch,)` or `(batch, 1)`, ints or floats.
        y_pred: scores (probabilities or logits), shape `(batch, num_classes)`.

    Returns:
        One value per sample, shape `(batch,)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    true_shape = ops.shape(y_true)
    reshape_matches = False
    if ops.ndim(y_true) == ops.ndim(y_pred) and true_shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
        reshape_matches = True
    y_pred = ops.argmax(y_pred, axis=-1)
    if ops.dtype(y_pred) != ops.dtype(y_true):
        y_pred = ops.cast(y_pred, ops.dtype(y_true))
    matches = _matches(y_true, y_pred)
    if reshape_matches:
        matches = ops.reshape(matches, true_shape)
    if ops.ndim(matches) > 1 and ops.shape(matches)[-1] == 1:
        matches = ops.squeeze(matches, axis=-1)
    return matches


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"  # to be maximized

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match binary labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        threshold: in (0, 1); predictions above it count as 1.

    Example:

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype=None, threshold: float = 0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError(
                f"Invalid value for argument `threshold`. Expected a value in interval (0, 1). "
                f"Received: threshold={threshold}"
            )
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self._direction = "up"  # to be maximized
        self.threshold = threshold

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions matches the one-hot labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"  # to be maximized

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions matches the integer labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    >>> round(float(m.result()), 6)
    0.3
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"  # to be maximized

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


def _flatten_for_top_k(y_true, y_pred):
    """Rows of class scores and one label per row; the labels' shape to restore, or None."""
    restore = None
    if ops.ndim(y_pred) > 2:
        y_pred = ops.reshape(y_pred, (-1, ops.shape(y_pred)[-1]))
    if ops.ndim(y_true) > 1:
        restore = ops.shape(y_true)
        y_true = ops.reshape(y_true, (-1,))
    return y_true, y_pred, restore


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the one-hot label's class is among the `k` highest scores, else 0.0.

    Ties with the k-th highest score count as within the top k.

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: scores, same shape.
        k: how many of the highest scores count.

    Returns:
        One value per sample, shape `(batch, ...)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.argmax(ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred)), axis=-1)
    y_true, y_pred, restore = _flatten_for_top_k(y_true, y_pred)
    matches = ops.cast(ops.in_top_k(ops.cast(y_true, "int32"), y_pred, k=k), kb.floatx())
    return matches if restore is None else ops.reshape(matches, restore)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5, from_sorted_ids: bool = False):
    """1.0 where the integer label is among the `k` highest scores, else 0.0.

    Args:
        y_true: class ids, shape `(batch,)` or `(batch, 1)`.
        y_pred: scores, shape `(batch, num_classes)`; or, with `from_sorted_ids`,
            class ids sorted from the most to the least likely, shape `(batch, >= k)`.
        k: how many of the highest scores count.
        from_sorted_ids: whether `y_pred` already holds sorted class ids.

    Returns:
        One value per sample, shaped as `y_true`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred) if from_sorted_ids else "int32")
    y_true, y_pred, restore = _flatten_for_top_k(y_true, y_pred)
    if from_sorted_ids:
        first_k = ops.get_item(y_pred, (slice(None), slice(0, k)))
        matches = ops.any(ops.equal(ops.expand_dims(y_true, axis=1), first_k), axis=1)
    else:
        matches = ops.in_top_k(y_true, y_pred, k=k)
    matches = ops.cast(matches, kb.floatx())
    return matches if restore is None else ops.reshape(matches, restore)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the `k` highest predictions.

    Args:
        k: how many of the highest predictions count.
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions.

    Args:
        k: how many of the highest predictions count.
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_sorted_ids: whether predictions are class ids already sorted by score.

    Example:

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype=None,
        from_sorted_ids: bool = False,
    ):
        super().__init__(
            fn=sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
