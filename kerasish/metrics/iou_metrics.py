"""Intersection-over-union metrics (`keras.metrics.IoU`, `MeanIoU`) from a running confusion matrix."""

from __future__ import annotations

import warnings

import kerasish.backend as kb
from kerasish import ops
from kerasish.metrics.metric import Metric
from kerasish.metrics.metrics_utils import confusion_matrix


class _IoUBase(Metric):
    """Accumulates a `(num_classes, num_classes)` confusion matrix (rows: labels)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                f"Argument `num_classes` must be a positive integer. Received: num_classes={num_classes!r}"
            )
        # Counts are integers unless a float dtype is asked for (to weigh by fractions).
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds the batch's (weighted) label/prediction pairs to the confusion matrix.

        Args:
            y_true: class ids (or one-hot, unless `sparse_y_true`), any shape.
            y_pred: class ids (or scores, unless `sparse_y_pred`), same number of entries.
            sample_weight: optional weights, one per entry (or broadcastable).
        """
        if not self.sparse_y_true:
            y_true = ops.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(y_pred, axis=self.axis)
        y_true = ops.reshape(ops.cast(ops.convert_to_tensor(y_true), "int32"), (-1,))
        y_pred = ops.reshape(ops.cast(ops.convert_to_tensor(y_pred), "int32"), (-1,))
        if sample_weight is None:
            sample_weight = ops.ones(ops.shape(y_true), dtype=self.dtype)
        else:
            sample_weight = ops.convert_to_tensor(sample_weight)
            if kb.dtypes.is_float(ops.dtype(sample_weight)) and not kb.dtypes.is_float(self.dtype):
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result in an "
                    "incorrect weight due to type casting. Consider using integer weights.",
                    stacklevel=2,
                )
            sample_weight = ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
            sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_true))
        # Out-of-range ids (and the ignored class) are left out by a zero weight.
        in_range = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, self.num_classes)),
            ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, self.num_classes)),
        )
        if self.ignore_class is not None:
            in_range = ops.logical_and(in_range, ops.not_equal(y_true, self.ignore_class))
        sample_weight = ops.where(in_range, sample_weight, ops.zeros_like(sample_weight))
        current = confusion_matrix(
            y_true, y_pred, self.num_classes, weights=sample_weight, dtype=self.dtype
        )
        self.total_cm.assign(ops.add(self.total_cm.value, current))


class IoU(_IoUBase):
    """The intersection over union, `tp / (tp + fp + fn)`, averaged over the target classes.

    Classes that never occur (in labels or predictions) are left out of the mean.

    Args:
        num_classes: the number of classes.
        target_class_ids: the class ids whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default "int32").
        ignore_class: a class id whose entries are not counted, or None.
        sparse_y_true: whether labels are class ids (else one-hot, arg-maxed).
        sparse_y_pred: whether predictions are class ids (else scores, arg-maxed).
        axis: the class axis for the arg-max.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            name=name,
            num_classes=num_classes,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
            dtype=dtype,
        )
        target_class_ids = list(target_class_ids)
        if (
            not target_class_ids
            or max(target_class_ids) >= num_classes
            or min(target_class_ids) < 0
        ):
            raise ValueError(
                f"Target class ids must lie in [0, {num_classes}). Received: target_class_ids={target_class_ids}"
            )
        self.target_class_ids = target_class_ids

    def result(self):
        cm = ops.cast(self.total_cm.value, "float32")
        sum_over_row = ops.sum(cm, axis=0)
        sum_over_col = ops.sum(cm, axis=1)
        true_positives = ops.sum(
            ops.multiply(cm, ops.eye(self.num_classes, dtype="float32")), axis=1
        )
        denominator = ops.subtract(ops.add(sum_over_row, sum_over_col), true_positives)
        ids = ops.convert_to_tensor(self.target_class_ids, dtype="int32")
        true_positives = ops.take(true_positives, ids)
        denominator = ops.take(denominator, ids)
        valid = ops.greater(denominator, 1e-9)
        num_valid = ops.sum(ops.cast(valid, "float32"))
        iou = ops.divide(true_positives, ops.add(denominator, kb.epsilon()))
        iou = ops.where(valid, iou, 0.0)
        return ops.divide(ops.sum(iou, axis=self.axis), ops.add(num_valid, kb.epsilon()))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class MeanIoU(IoU):
    """The mean intersection over union over all classes (semantic segmentation's usual score).

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default "int32").
        ignore_class: a class id whose entries are not counted, or None.
        sparse_y_true: whether labels are class ids (else one-hot, arg-maxed).
        sparse_y_pred: whether predictions are class ids (else scores, arg-maxed).
        axis: the class axis for the arg-max.

    Example:

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype=None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            name=name,
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)) if isinstance(num_classes, int) else [],
            axis=axis,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["target_class_ids"]
        return config
