"""F-scores (`keras.metrics.FBetaScore`, `F1Score`): precision and recall combined, per class or averaged."""

from __future__ import annotations

import kerasish.backend as kb
from kerasish import ops
from kerasish.metrics.metric import Metric


class FBetaScore(Metric):
    """The F-beta score: `(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`.

    Inputs are `(batch_size, num_classes)`: one-hot (or multi-hot) labels and scores.
    A score counts as a positive prediction when above `threshold`; without a
    threshold, the highest score of each row is the prediction. The state is built
    from the first batch's number of classes.

    Args:
        average: None (one score per class), "micro" (counts pooled over the
            classes), "macro" (the mean of the per-class scores) or "weighted" (their
            mean weighted by each class's number of true instances).
        beta: a positive Python float: how much more recall counts than precision.
        threshold: a Python float in (0, 1], or None (the arg-max of each row).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result()]
    [0.3846, 0.9091, 0.8333]
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average!r}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta!r} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold!r} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        # Counts are summed over the batch (axis 0) per class, or over everything (micro).
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim), with "
                f"output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in (
            "true_positives",
            "false_positives",
            "false_negatives",
            "intermediate_weights",
        ):
            setattr(self, name, self.add_variable(shape=shape, initializer="zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulates the batch's true positives, false positives and false negatives per class.

        Args:
            y_true: labels, shape `(batch_size, num_classes)`.
            y_pred: scores, same shape.
            sample_weight: optional per-sample weights, shape `(batch_size,)`.
        """
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        if not self._built:
            self._build(ops.shape(y_true), ops.shape(y_pred))
        if self.threshold is None:
            row_max = ops.max(y_pred, axis=-1, keepdims=True)
            # The arg-max of each row, unless the row is all (near) zeros.
            predicted = ops.logical_and(
                ops.greater_equal(y_pred, row_max), ops.greater(ops.abs(y_pred), 1e-9)
            )
        else:
            predicted = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(predicted, self.dtype)
        if sample_weight is not None:
            sample_weight = ops.convert_to_tensor(sample_weight, dtype=self.dtype)

        def weighted_sum(values):
            if sample_weight is not None:
                values = ops.multiply(values, ops.expand_dims(sample_weight, 1))
            return ops.sum(values, axis=self.axis)

        not_pred, not_true = ops.subtract(1.0, y_pred), ops.subtract(1.0, y_true)
        self.true_positives.assign_add(weighted_sum(ops.multiply(y_pred, y_true)))
        self.false_positives.assign_add(weighted_sum(ops.multiply(y_pred, not_true)))
        self.false_negatives.assign_add(weighted_sum(ops.multiply(not_pred, y_true)))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            raise ValueError(
                f"{type(self).__name__} has no result before its first `update_state` "
                "(its state is shaped by the number of classes)."
            )
        epsilon = kb.epsilon()
        tp, fp, fn = (
            v.value for v in (self.true_positives, self.false_positives, self.false_negatives)
        )
        precision = ops.divide(tp, ops.add(ops.add(tp, fp), epsilon))
        recall = ops.divide(tp, ops.add(ops.add(tp, fn), epsilon))
        beta_squared = self.beta**2
        mean = ops.divide(
            ops.multiply(precision, recall),
            ops.add(ops.add(ops.multiply(beta_squared, precision), recall), epsilon),
        )
        f_score = ops.multiply(mean, 1.0 + beta_squared)
        if self.average == "weighted":
            support = self.intermediate_weights.value
            weights = ops.divide(support, ops.add(ops.sum(support), epsilon))
            f_score = ops.sum(ops.multiply(f_score, weights))
        elif self.average is not None:  # "micro" (a scalar already) or "macro"
            f_score = ops.mean(f_score)
        return f_score

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score: the harmonic mean of precision and recall (`FBetaScore` with beta 1).

    Args:
        average: None (one score per class), "micro", "macro" or "weighted".
        threshold: a Python float in (0, 1], or None (the arg-max of each row).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result()]
    [0.5, 0.8, 0.6667]
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype=None,
    ):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
