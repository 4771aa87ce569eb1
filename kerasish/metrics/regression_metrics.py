"""Regression metrics: error, crossentropy and similarity means over all samples seen, RMSE and R2."""

from __future__ import annotations

from kerasish import ops
from kerasish.losses.loss import squeeze_or_expand_to_same_rank
from kerasish.losses.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    sparse_categorical_crossentropy,
)
from kerasish.metrics.metric import Metric
from kerasish.metrics.reduction_metrics import Mean, MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """The mean squared error between labels and predictions, over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean absolute error between labels and predictions, over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryCrossentropy(MeanMetricWrapper):
    """The binary crossentropy between labels and predictions, averaged over samples.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_logits: whether predictions are logits.
        label_smoothing: squeezes the labels towards 0.5 when positive.
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype=None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(MeanMetricWrapper):
    """The categorical crossentropy between one-hot labels and predictions, averaged.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_logits: whether predictions are logits.
        label_smoothing: smooths the one-hot labels when positive.
        axis: the class axis.
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype=None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The crossentropy between integer labels and predictions, averaged.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        from_logits: whether predictions are logits.
        axis: the class axis.
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype=None,
        from_logits: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            axis=axis,
        )
        self.from_logits = from_logits
        self.axis = axis

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "axis": self.axis,
        }


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean absolute percentage error, over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> round(float(m.result()), 1)
    250000000.0
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean squared logarithmic error, over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """The square root of the (weighted) mean squared error over all entries seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulates the squared errors of the batch.

        Args:
            y_true: targets.
            y_pred: predictions, same shape (a trailing size-1 axis may differ).
            sample_weight: optional weights, as for `Mean`.
        """
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(ops.square(ops.subtract(y_pred, y_true)), sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(super().result())

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """The cosine similarity along `axis` (in [-1, 1]; 1 means the same direction).

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        axis: the axis the similarity is computed along.

    Returns:
        One value per sample (`axis` reduced); 0 where either vector is zero.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.sum(ops.multiply(l2_normalize(y_true, axis), l2_normalize(y_pred, axis)), axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
        axis: the axis the similarity is computed along.

    Example:

    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name: str = "cosine_similarity", dtype=None, axis: int = -1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self._direction = "up"
        self.axis = axis

    def get_config(self) -> dict:
        # Keras leaves `axis` out of the config; it is kept here so that it round-trips.
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class LogCoshError(MeanMetricWrapper):
    """The mean of `log(cosh(y_pred - y_true))` over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, name: str = "logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class R2Score(Metric):
    """The coefficient of determination, `1 - SS_res / SS_tot`, per output or aggregated.

    Inputs are `(batch_size, num_outputs)` (a rank-1 batch is one output); the state
    is built from the first batch's number of outputs.

    Args:
        class_aggregation: None (one score per output), "uniform_average" (their
            mean) or "variance_weighted_average" (their mean weighted by each
            output's variance).
        num_regressors: if above 0, the adjusted R2 for this many independent
            variables: `1 - (1 - R2) * (n - 1) / (n - num_regressors - 1)`, with `n`
            the number of entries seen. It falls back to the plain R2 while
            `n - 1 <= num_regressors` (where Keras would also warn).
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = R2Score()
    >>> m.update_state([[1], [4], [3]], [[2], [4], [4]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim "
                f"fully defined (not None). Received input shapes: y_pred.shape={y_pred_shape} "
                f"and y_true.shape={y_true_shape}."
            )
        num_outputs = y_pred_shape[-1]
        self.squared_sum = self.add_variable(
            shape=(num_outputs,), initializer="zeros", name="squared_sum"
        )
        self.sum = self.add_variable(shape=(num_outputs,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(
            shape=(num_outputs,), initializer="zeros", name="residual"
        )
        self.count = self.add_variable(shape=(num_outputs,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulates the sums the score is computed from.

        Args:
            y_true: targets, shape `(batch_size, num_outputs)`.
            y_pred: predictions, same shape.
            sample_weight: optional weights, shape `(batch_size,)` or like `y_true`.
        """
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(ops.shape(y_true), ops.shape(y_pred))
        if sample_weight is None:
            sample_weight = 1.0
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=self.dtype)
        if ops.ndim(sample_weight) == 1:
            sample_weight = ops.expand_dims(sample_weight, axis=1)
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_true))
        weighted_y_true = ops.multiply(y_true, sample_weight)
        self.sum.assign_add(ops.sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(ops.sum(ops.multiply(y_true, weighted_y_true), axis=0))
        self.total_mse.assign_add(
            ops.sum(ops.multiply(ops.square(ops.subtract(y_true, y_pred)), sample_weight), axis=0)
        )
        self.count.assign_add(ops.sum(sample_weight, axis=0))
        self.num_samples.assign_add(float(ops.size(y_true)))

    def result(self):
        if not self._built:
            raise ValueError(
                "R2Score has no result before its first `update_state` (its state is shaped by "
                "the number of outputs)."
            )
        total_sum, count = self.sum.value, self.count.value
        mean = ops.divide(total_sum, count)
        total = ops.subtract(self.squared_sum.value, ops.multiply(total_sum, mean))
        raw_scores = ops.subtract(1.0, ops.divide(self.total_mse.value, total))
        raw_scores = ops.where(ops.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            r2_score = ops.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = ops.divide(ops.sum(ops.multiply(total, raw_scores)), ops.sum(total))
        else:
            r2_score = raw_scores
        if self.num_regressors != 0:
            n = ops.cast(self.num_samples.value, "float32")
            p = float(self.num_regressors)
            denominator = ops.subtract(ops.subtract(n, p), 1.0)
            # Only where n - 1 > p; chosen with `where` so that it compiles.
            defined = ops.greater(denominator, 0.0)
            safe = ops.where(defined, denominator, 1.0)
            adjusted = ops.subtract(
                1.0,
                ops.divide(ops.multiply(ops.subtract(1.0, r2_score), ops.subtract(n, 1.0)), safe),
            )
            r2_score = ops.where(defined, adjusted, r2_score)
        return r2_score

    def reset_state(self) -> None:
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
