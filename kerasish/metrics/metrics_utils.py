"""Confusion-matrix bookkeeping shared by the threshold metrics (Precision, Recall, AUC, ...).

Everything here is written with `kerasish.ops` and no data-dependent Python branch,
so that a metric's `update_state` runs the same eagerly and inside a compiled step.
"""

from __future__ import annotations

import numpy as np

import kerasish.backend as kb
from kerasish import ops
from kerasish.losses.loss import check_compatible_shapes, squeeze_or_expand_to_same_rank

#: Stands for "minus infinity" as the threshold of top-k metrics, and for the
#: predictions that `filter_top_k` removes.
NEG_INF = -1e10

TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES = "tp", "fp", "tn", "fn"
CONFUSION_MATRIX_KEYS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


def to_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def assert_thresholds_range(thresholds) -> None:
    if thresholds is None:
        return
    invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def parse_init_thresholds(thresholds, default_threshold: float = 0.5) -> list:
    """The thresholds as a list (checked to lie in [0, 1]), or `[default_threshold]`."""
    if thresholds is not None:
        assert_thresholds_range(to_list(thresholds))
    return to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds) -> bool:
    """Whether the thresholds are `i / (n - 1)` for `i = 0..n-1` (n >= 3), up to epsilon."""
    thresholds = np.asarray(thresholds, dtype="float64")
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=kb.epsilon()))


def filter_top_k(x, k: int):
    """Keeps the `k` largest entries of the last axis of `x`; the others become `NEG_INF`."""
    _, indices = ops.top_k(x, k)
    mask = ops.sum(ops.one_hot(indices, ops.shape(x)[-1], dtype=ops.dtype(x)), axis=-2)
    return ops.add(ops.multiply(x, mask), ops.multiply(NEG_INF, ops.subtract(1.0, mask)))


def update_confusion_matrix_variables(
    variables_to_update: dict,
    y_true,
    y_pred,
    thresholds,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight=None,
    multi_label: bool = False,
    label_weights=None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Adds this batch's (weighted) confusion counts, per threshold, to the given variables.

    A prediction counts as positive at threshold `t` when `y_pred > t`; labels are
    cast to bool. For every threshold the four counts are
    `tp = label and pred`, `fn = label and not pred`, `fp = not label and pred`,
    `tn = not label and not pred`.

    Args:
        variables_to_update: `{"tp": variable, "fp": ..., "tn": ..., "fn": ...}`, any
            subset; each of shape `(num_thresholds,)`, or `(num_thresholds,
            num_labels)` when `multi_label`.
        y_true: labels, shaped like `y_pred` (a trailing size-1 axis may differ).
        y_pred: predictions in [0, 1].
        thresholds: a Python list of thresholds.
        top_k: only the `k` highest predictions of each row count as positive.
        class_id: only this class (last axis of a rank >= 2 `y_pred`) is counted.
        sample_weight: broadcastable to `y_true`; weighs each count.
        multi_label: keep one set of counts per label (the last axis) instead of
            flattening all labels together.
        label_weights: per-label weights (not with `multi_label`).
        thresholds_distributed_evenly: the thresholds are evenly spaced over [0, 1]
            (possibly with an epsilon outside each end): each prediction is then
            sorted into its bucket once, instead of compared with every threshold.

    Raises:
        ValueError: for unknown keys, `label_weights` with `multi_label`, or a
            `class_id` with a rank-1 `y_pred`.
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multilabel data should be handled outside of "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    if not variables_to_update:
        return
    invalid = [key for key in variables_to_update if key not in CONFUSION_MATRIX_KEYS]
    if invalid:
        raise ValueError(
            f"Invalid keys: {invalid}. Valid variable key options are: {list(CONFUSION_MATRIX_KEYS)}"
        )
    dtype = next(iter(variables_to_update.values())).dtype
    y_true = ops.cast(y_true, dtype)
    y_pred = ops.cast(y_pred, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    check_compatible_shapes("update_confusion_matrix_variables", y_true, y_pred)
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(sample_weight, dtype), axis=-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if ops.ndim(y_pred) == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {ops.shape(y_pred)}"
            )
        # Keep a size-1 class axis, so that the sample weights still line up.
        y_true = ops.get_item(y_true, (Ellipsis, slice(class_id, class_id + 1)))
        y_pred = ops.get_item(y_pred, (Ellipsis, slice(class_id, class_id + 1)))
    if label_weights is not None:
        label_weights = ops.convert_to_tensor(label_weights, dtype=dtype)
    if thresholds_distributed_evenly:
        _update_by_buckets(
            variables_to_update,
            y_true,
            y_pred,
            num_thresholds=len(thresholds),
            multi_label=multi_label,
            sample_weight=sample_weight,
            label_weights=label_weights,
            thresholds_with_epsilon=thresholds[0] < 0.0 or thresholds[-1] > 1.0,
        )
        return
    _update_by_comparison(
        variables_to_update, y_true, y_pred, thresholds, multi_label, sample_weight, label_weights
    )


def _update_by_comparison(
    variables_to_update, y_true, y_pred, thresholds, multi_label, sample_weight, label_weights
):
    dtype = ops.dtype(y_pred)
    thresholds = ops.convert_to_tensor(np.asarray(thresholds, dtype="float64"), dtype=dtype)
    shape = ops.shape(y_pred)
    # Axis 0 of everything below is the threshold axis.
    if multi_label:
        predictions = ops.expand_dims(y_pred, 0)  # (1, batch, labels)
        labels = ops.expand_dims(ops.cast(y_true, "bool"), 0)
        thresholds = ops.reshape(thresholds, (-1, 1, 1))
    else:
        predictions = ops.reshape(y_pred, (1, -1))  # (1, batch * labels)
        labels = ops.reshape(ops.cast(y_true, "bool"), (1, -1))
        thresholds = ops.reshape(thresholds, (-1, 1))
    pred_is_pos = ops.greater(predictions, thresholds)
    label_is_pos = ops.broadcast_to(labels, ops.shape(pred_is_pos))
    weights = None
    if sample_weight is not None:
        weights = ops.reshape(ops.broadcast_to(sample_weight, shape), ops.shape(predictions))
    if label_weights is not None:
        per_label = ops.reshape(
            ops.broadcast_to(ops.expand_dims(label_weights, 0), shape), ops.shape(predictions)
        )
        weights = per_label if weights is None else ops.multiply(weights, per_label)

    def weighted_count(label, pred, variable):
        both = ops.logical_and(label, pred)
        if weights is None:
            counts = ops.cast(both, variable.dtype)
        else:
            counts = ops.where(both, ops.cast(weights, variable.dtype), 0.0)
        variable.assign(ops.add(variable.value, ops.sum(counts, axis=1)))

    pred_is_neg = ops.logical_not(pred_is_pos)
    label_is_neg = ops.logical_not(label_is_pos)
    conditions = {
        TRUE_POSITIVES: (label_is_pos, pred_is_pos),
        FALSE_NEGATIVES: (label_is_pos, pred_is_neg),
        FALSE_POSITIVES: (label_is_neg, pred_is_pos),
        TRUE_NEGATIVES: (label_is_neg, pred_is_neg),
    }
    for key, variable in variables_to_update.items():
        weighted_count(*conditions[key], variable)


def _update_by_buckets(
    variables_to_update,
    y_true,
    y_pred,
    num_thresholds,
    multi_label,
    sample_weight,
    label_weights,
    thresholds_with_epsilon,
):
    """Evenly spaced thresholds: sort each prediction into its bucket, then sum upwards.

    With `thresholds = [0, 1/(T-1), ..., 1]`, a prediction `p` is above threshold `i`
    exactly when `i <= ceil(p * (T - 1)) - 1`, its bucket. Counting the (weighted)
    labels per bucket and summing the buckets from the top down gives every
    threshold's count at once: O(T + N) work instead of O(T * N) comparisons.
    """
    dtype = ops.dtype(y_pred)
    shape = ops.shape(y_pred)
    weights = ops.ones(shape, dtype=dtype)
    if sample_weight is not None:
        weights = ops.multiply(weights, ops.broadcast_to(ops.cast(sample_weight, dtype), shape))
    if label_weights is not None:
        weights = ops.multiply(weights, ops.broadcast_to(ops.expand_dims(label_weights, 0), shape))
    y_pred = ops.clip(y_pred, 0.0, 1.0)
    y_true = ops.cast(ops.cast(y_true, "bool"), dtype)
    if not multi_label:
        y_true, y_pred, weights = (ops.reshape(a, (-1,)) for a in (y_true, y_pred, weights))
    true_labels = ops.multiply(y_true, weights)
    false_labels = ops.multiply(ops.subtract(1.0, y_true), weights)
    buckets = ops.subtract(ops.ceil(ops.multiply(y_pred, float(num_thresholds - 1))), 1.0)
    if thresholds_with_epsilon:
        # The first threshold is just below 0, so even p = 0 is above it: bucket 0.
        buckets = ops.maximum(buckets, 0.0)
    # Bucket -1 (p = 0 with a first threshold of exactly 0) is above no threshold: its
    # one-hot row is all zeros.
    in_bucket = ops.one_hot(ops.cast(buckets, "int32"), num_thresholds, dtype=dtype)
    if multi_label:
        tp_buckets = ops.einsum("nl,nlt->tl", true_labels, in_bucket)
        fp_buckets = ops.einsum("nl,nlt->tl", false_labels, in_bucket)
        total_true, total_false = ops.sum(true_labels, axis=0), ops.sum(false_labels, axis=0)
    else:
        tp_buckets = ops.einsum("n,nt->t", true_labels, in_bucket)
        fp_buckets = ops.einsum("n,nt->t", false_labels, in_bucket)
        total_true, total_false = ops.sum(true_labels), ops.sum(false_labels)
    tp = ops.flip(ops.cumsum(ops.flip(tp_buckets, axis=0), axis=0), axis=0)
    fp = ops.flip(ops.cumsum(ops.flip(fp_buckets, axis=0), axis=0), axis=0)
    counts = {
        TRUE_POSITIVES: tp,
        FALSE_POSITIVES: fp,
        TRUE_NEGATIVES: ops.subtract(total_false, fp),
        FALSE_NEGATIVES: ops.subtract(total_true, tp),
    }
    for key, variable in variables_to_update.items():
        variable.assign(ops.add(variable.value, ops.cast(counts[key], variable.dtype)))


def confusion_matrix(labels, predictions, num_classes: int, weights=None, dtype: str = "int32"):
    """The `(num_classes, num_classes)` matrix of (weighted) counts: rows are labels, columns predictions.

    Labels and predictions are 1-D class ids; an id outside `[0, num_classes)`
    counts nowhere. Written as a product of one-hot matrices (no scatter), so that
    it compiles anywhere.
    """
    labels = ops.cast(ops.reshape(ops.convert_to_tensor(labels), (-1,)), "int32")
    predictions = ops.cast(ops.reshape(ops.convert_to_tensor(predictions), (-1,)), "int32")
    rows = ops.one_hot(labels, num_classes, dtype=dtype)
    columns = ops.one_hot(predictions, num_classes, dtype=dtype)
    if weights is not None:
        weights = ops.reshape(ops.cast(weights, dtype), (-1,))
        rows = ops.multiply(rows, ops.expand_dims(weights, -1))
    return ops.matmul(ops.transpose(rows), columns)


def evenly_spaced_thresholds(num_thresholds: int) -> list[float]:
    """`[0, 1/(n-1), ..., 1]` with the inner values computed as Keras computes them."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0] + inner + [1.0]


__all__ = [
    "NEG_INF",
    "confusion_matrix",
    "evenly_spaced_thresholds",
    "filter_top_k",
    "is_evenly_distributed_thresholds",
    "parse_init_thresholds",
    "update_confusion_matrix_variables",
]
