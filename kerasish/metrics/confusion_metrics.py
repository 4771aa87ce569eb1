"""Threshold metrics (`keras.metrics` names): confusion counts, Precision, Recall and AUC."""

from __future__ import annotations

import numpy as np

import kerasish.backend as kb
from kerasish import ops
from kerasish.metrics import metrics_utils as mu
from kerasish.metrics.metric import Metric


def _result_per_threshold(values, thresholds):
    """One value when there is one threshold, else the vector (as Keras returns them)."""
    return ops.get_item(values, 0) if len(thresholds) == 1 else values


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell, per threshold."""

    def __init__(self, confusion_matrix_cond: str, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._confusion_matrix_cond = confusion_matrix_cond
        self.init_thresholds = thresholds
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        mu.update_confusion_matrix_variables(
            {self._confusion_matrix_cond: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self):
        return _result_per_threshold(self.accumulator.value, self.thresholds)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives: label 1 and prediction above the threshold.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5); the result
            has one count per threshold (a scalar for one).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(mu.TRUE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives: label 0 and prediction above the threshold.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5).
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(mu.FALSE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives: label 0 and prediction at or below the threshold.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5).
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(mu.TRUE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives: label 1 and prediction at or below the threshold.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5).
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        super().__init__(mu.FALSE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecallBase(Metric):
    _second: str = ""

    def __init__(
        self,
        thresholds=None,
        top_k: int | None = None,
        class_id: int | None = None,
        name=None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if top_k is not None and (
            isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1
        ):
            raise ValueError(
                f"Argument `top_k` must be a positive integer. Received: top_k={top_k!r}"
            )
        if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, int)):
            raise ValueError(
                f"Argument `class_id` must be an integer. Received: class_id={class_id!r}"
            )
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k and no threshold, every top-k prediction counts as positive.
        default = 0.5 if top_k is None else mu.NEG_INF
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(
            shape=(n,), initializer="zeros", name="true_positives"
        )
        second = self.add_variable(shape=(n,), initializer="zeros", name=self._second)
        setattr(self, self._second, second)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulates the batch's true positives and the second count, per threshold.

        Args:
            y_true: binary labels, shaped like `y_pred`.
            y_pred: predictions in [0, 1].
            sample_weight: optional weights, broadcastable to `y_true`.
        """
        keys = {"false_positives": mu.FALSE_POSITIVES, "false_negatives": mu.FALSE_NEGATIVES}
        mu.update_confusion_matrix_variables(
            {
                mu.TRUE_POSITIVES: self.true_positives,
                keys[self._second]: getattr(self, self._second),
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        tp = self.true_positives.value
        result = ops.divide_no_nan(tp, ops.add(tp, getattr(self, self._second).value))
        return _result_per_threshold(result, self.thresholds)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """The precision: `true_positives / (true_positives + false_positives)`.

    A prediction is positive when above a threshold; with `top_k`, only the `k`
    highest predictions of a row can be positive; with `class_id`, only that class
    is counted. 0 when nothing was predicted positive.

    Args:
        thresholds: a float or a list of floats in [0, 1]. Default 0.5 (or, with
            `top_k`, no threshold at all). One result per threshold.
        top_k: count only the top-k predictions of each row.
        class_id: count only this class (the last axis of `y_pred`).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _second = "false_positives"

    def __init__(
        self,
        thresholds=None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype=None,
    ):
        super().__init__(
            thresholds=thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype
        )


class Recall(_PrecisionRecallBase):
    """The recall: `true_positives / (true_positives + false_negatives)`.

    Args:
        thresholds: a float or a list of floats in [0, 1]. Default 0.5 (or, with
            `top_k`, no threshold at all). One result per threshold.
        top_k: count only the top-k predictions of each row.
        class_id: count only this class (the last axis of `y_pred`).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _second = "false_negatives"

    def __init__(
        self,
        thresholds=None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype=None,
    ):
        super().__init__(
            thresholds=thresholds, top_k=top_k, class_id=class_id, name=name, dtype=dtype
        )


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """The area under the ROC or precision-recall curve, by a Riemann sum over thresholds.

    The predictions are compared with `num_thresholds` thresholds evenly spread over
    [0, 1] (the first just below 0, the last just above 1); the confusion counts at
    each give one point of the curve. With `summation_method="interpolation"`, ROC
    areas use the trapezoidal rule and PR areas interpolate the counts between
    thresholds (Davis and Goadrich, 2006), as Keras does.

    Args:
        num_thresholds: how many thresholds (> 1). Default 200.
        curve: "ROC" or "PR" (or "PRGAIN", precision-recall-gain).
        summation_method: "interpolation", "minoring" (left sums of increasing
            intervals) or "majoring".
        name: the metric's name.
        dtype: the dtype of the state and result.
        thresholds: explicit thresholds in [0, 1] instead of `num_thresholds` (0 and
            1 are added around them).
        multi_label: keep one curve per label (the last axis) and average the areas
            (weighted by `label_weights`), instead of flattening all labels into one.
        num_labels: the number of labels, for `multi_label`; if not given, it is
            taken from the first batch.
        label_weights: per-label weights: of the counts (not `multi_label`) or of
            the areas (`multi_label`).
        from_logits: whether predictions are logits (a sigmoid is applied first).

    Example:

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> round(float(m.result()), 4)
    0.75
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype=None,
        thresholds=None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights=None,
        from_logits: bool = False,
    ):
        self._direction = "up"
        if not isinstance(curve, str) or curve.lower() not in _CURVES:
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        if not isinstance(summation_method, str) or summation_method.lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                'Expected values are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(mu.to_list(thresholds))
            mu.assert_thresholds_range(thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(
                [0.0, *thresholds, 1.0]
            )
        else:
            if (
                isinstance(num_thresholds, bool)
                or not isinstance(num_thresholds, int)
                or num_thresholds <= 1
            ):
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = mu.evenly_spaced_thresholds(num_thresholds)[1:-1]
            self._thresholds_distributed_evenly = True
        # Just outside [0, 1], so that predictions of exactly 0 and 1 are counted at
        # the ends of the curve.
        epsilon = kb.epsilon()
        self._thresholds = np.array([0.0 - epsilon, *thresholds, 1.0 + epsilon])
        self.curve = _CURVES[curve.lower()]
        self.summation_method = summation_method.lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None
        if label_weights is not None:
            label_weights = np.asarray(label_weights, dtype=self.dtype)
            if np.any(label_weights < 0):
                raise ValueError(
                    f"All values of `label_weights` must be non-negative. Received: {label_weights.tolist()}"
                )
            self.label_weights = label_weights
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, with the two just outside [0, 1]."""
        return list(self._thresholds)

    def _build(self, shape) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                    f"Full shape received for `y_pred`: {shape}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(
                self, name, self.add_variable(shape=variable_shape, initializer="zeros", name=name)
            )
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulates the batch's confusion counts at every threshold.

        Args:
            y_true: binary labels, shaped like `y_pred`.
            y_pred: predictions in [0, 1] (logits when `from_logits`).
            sample_weight: optional weights, broadcastable to `y_true`.
        """
        y_pred = ops.convert_to_tensor(y_pred)
        if not self._built:
            self._build(ops.shape(y_pred))
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        label_weights = None if self.multi_label else self.label_weights
        mu.update_confusion_matrix_variables(
            {
                mu.TRUE_POSITIVES: self.true_positives,
                mu.TRUE_NEGATIVES: self.true_negatives,
                mu.FALSE_POSITIVES: self.false_positives,
                mu.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            list(self._thresholds),
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=label_weights,
        )

    def _reduce_over_labels(self, terms):
        if not self.multi_label:
            return ops.sum(terms)
        by_label = ops.sum(terms, axis=0)
        if self.label_weights is None:
            return ops.mean(by_label)
        weights = ops.convert_to_tensor(self.label_weights, dtype=self.dtype)
        return ops.divide_no_nan(ops.sum(ops.multiply(by_label, weights)), ops.sum(weights))

    def interpolate_pr_auc(self):
        """The PR area with the counts interpolated between thresholds (Davis and Goadrich).

        Between two thresholds the precision is `dtp / dp` times the positives plus an
        intercept; integrating that over the recall gives each interval's term.
        """
        tp, fp, fn = (
            v.value for v in (self.true_positives, self.false_positives, self.false_negatives)
        )
        dtp = ops.subtract(tp[:-1], tp[1:])
        p = ops.add(tp, fp)
        dp = ops.subtract(p[:-1], p[1:])
        prec_slope = ops.divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp[1:], ops.multiply(prec_slope, p[1:]))
        both_positive = ops.logical_and(ops.greater(p[:-1], 0), ops.greater(p[1:], 0))
        safe_p_ratio = ops.where(
            both_positive, ops.divide_no_nan(p[:-1], ops.maximum(p[1:], 0.0)), ops.ones_like(p[1:])
        )
        pr_auc_increment = ops.divide_no_nan(
            ops.multiply(prec_slope, ops.add(dtp, ops.multiply(intercept, ops.log(safe_p_ratio)))),
            ops.maximum(ops.add(tp[1:], fn[1:]), 0.0),
        )
        return self._reduce_over_labels(pr_auc_increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp, tn, fn = (
            v.value
            for v in (
                self.true_positives,
                self.false_positives,
                self.true_negatives,
                self.false_negatives,
            )
        )
        recall = ops.divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = ops.divide_no_nan(fp, ops.add(fp, tn)), recall
        elif self.curve == "PR":
            x, y = recall, ops.divide_no_nan(tp, ops.add(tp, fp))
        else:  # PRGAIN
            scaling = ops.divide_no_nan(ops.add(tp, fn), ops.add(tn, fp))
            recall_gain = ops.subtract(1.0, ops.multiply(scaling, ops.divide_no_nan(fn, tp)))
            precision_gain = ops.subtract(1.0, ops.multiply(scaling, ops.divide_no_nan(fp, tp)))
            no_tp = ops.equal(tp, 0.0)
            x = ops.maximum(ops.where(no_tp, 0.0, recall_gain), 0.0)
            y = ops.where(no_tp, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y[:-1], y[1:]), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[:-1], y[1:])
        else:
            heights = ops.maximum(y[:-1], y[1:])
        return self._reduce_over_labels(ops.multiply(ops.subtract(x[:-1], x[1:]), heights))

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
