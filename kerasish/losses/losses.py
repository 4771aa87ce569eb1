"""Built-in losses (`keras.losses` names, arguments and defaults): classes and functions."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import kerasish.backend as kb
from kerasish import ops
from kerasish.backend import tree
from kerasish.losses.loss import Loss, check_compatible_shapes, squeeze_or_expand_to_same_rank
from kerasish.saving.serialization import serialize_keras_object


class LossFunctionWrapper(Loss):
    """A `Loss` made from a function `fn(y_true, y_pred, **kwargs)` of per-sample losses.

    Args:
        fn: the loss function.
        reduction: as for `Loss`.
        name: the loss's name.
        dtype: the dtype of the computation.
        **kwargs: passed on to `fn` at every call.
    """

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        pairs = tree.map_structure(
            lambda t, p: squeeze_or_expand_to_same_rank(t, p), y_true, y_pred
        )
        if tree.is_nested(y_true):
            flat = tree.flatten(pairs)
            y_true = tree.pack_sequence_as(y_true, flat[0::2])
            y_pred = tree.pack_sequence_as(y_pred, flat[1::2])
        else:
            y_true, y_pred = pairs
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "fn" in config:
            from kerasish.losses import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({name}, kwargs={self._fn_kwargs})>"


_REDUCTION_DOC = """reduction: how per-sample losses are combined: `"sum_over_batch_size"` (the
            default) and `"mean"` average them, `"sum"` sums them,
            `"mean_with_sample_weight"` divides the sum by the sum of the sample
            weights, `"none"` or `None` returns them unreduced.
        name: the loss's name.
        dtype: the dtype of the computation (by default `floatx()`)."""


class MeanSquaredError(LossFunctionWrapper):
    """Mean of the squared errors: `mean(square(y_true - y_pred), axis=-1)`.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype=None,
    ):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of the absolute errors: `mean(abs(y_true - y_pred), axis=-1)`.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype=None,
    ):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy between binary labels (0 or 1) and predicted probabilities or logits.

    Args:
        from_logits: whether `y_pred` holds logits (any real number) rather than
            probabilities in [0, 1]. Logits are numerically safer.
        label_smoothing: in [0, 1]; when positive, labels are squeezed towards 0.5:
            `y_true * (1 - label_smoothing) + 0.5 * label_smoothing`.
        axis: the axis the elementwise crossentropies are averaged over.
        {reduction}

    Example:

    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> float(bce([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]))  # doctest: +ELLIPSIS
    0.865...
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(
            {
                "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing,
                "axis": self.axis,
            }
        )
        return config


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between one-hot (or soft) labels and predicted class probabilities or logits.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; when positive, the labels become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`.
        axis: the class axis.
        {reduction}

    Example:

    >>> cce = CategoricalCrossentropy()
    >>> float(cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))  # doctest: +ELLIPSIS
    1.176...
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(
            {
                "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing,
                "axis": self.axis,
            }
        )
        return config


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between integer class labels and predicted class probabilities or logits.

    `y_true` holds one class id per sample, shaped `(batch,)` or `(batch, 1)` (ints or
    floats); `y_pred` has one more axis, of size `num_classes`.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a class id whose samples are left out of the loss (they count
            neither in the sum nor in the number averaged over), or None.
        {reduction}

    Example:

    >>> scce = SparseCategoricalCrossentropy()
    >>> float(scce([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]))  # doctest: +ELLIPSIS
    1.176...
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _loss_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        if ops.ndim(y_true) == ops.ndim(y_pred) and ops.shape(y_true)[-1] == 1:
            y_true = ops.squeeze(y_true, axis=-1)
        return ops.not_equal(y_true, ops.cast(self.ignore_class, ops.dtype(y_true)))

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "ignore_class": self.ignore_class})
        return config


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error: `100 * mean(abs((y_true - y_pred) / y_true), axis=-1)`.

    A target of 0 is replaced by `epsilon()` in the denominator, so the loss stays finite.

    Args:
        {reduction}

    Example:

    >>> float(MeanAbsolutePercentageError()([[1.0, 2.0]], [[1.5, 1.0]]))
    50.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype=None,
    ):
        super().__init__(
            mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype
        )

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error: `mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)`.

    Values below `epsilon()` (zero and negatives) are raised to `epsilon()` first.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype=None,
    ):
        super().__init__(
            mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype
        )

    def get_config(self) -> dict:
        return Loss.get_config(self)


class CosineSimilarity(LossFunctionWrapper):
    """The negated cosine similarity: `-sum(l2_normalize(y_true) * l2_normalize(y_pred))`.

    It lies in [-1, 1]; -1 means the same direction, so minimizing it aligns the
    predictions with the targets. A zero vector has similarity 0 with anything.

    Args:
        axis: the axis the similarity is computed along (the features).
        {reduction}

    Example:

    >>> round(float(CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])), 4)
    -0.5
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype=None,
    ):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        # Keras leaves `axis` out of the config; it is kept here so that it round-trips.
        return {**Loss.get_config(self), "axis": self.axis}


class Huber(LossFunctionWrapper):
    """The Huber loss: quadratic for errors up to `delta`, linear beyond.

    For an error `x = y_pred - y_true`: `0.5 * x**2` when `abs(x) <= delta`, else
    `delta * abs(x) - 0.5 * delta**2`; averaged over the last axis.

    Args:
        delta: where the loss turns from quadratic to linear.
        {reduction}

    Example:

    >>> float(Huber()([[0.0, 1.0]], [[0.5, 3.0]]))
    0.8125
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype=None,
    ):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self) -> dict:
        # Keras leaves `delta` out of the config; it is kept here so that it round-trips.
        return {**Loss.get_config(self), "delta": self.delta}


class LogCosh(LossFunctionWrapper):
    """The mean over the last axis of `log(cosh(y_pred - y_true))`.

    About `x**2 / 2` for a small error and `abs(x) - log(2)` for a large one: like the
    mean squared error, but less swayed by an occasional wild prediction.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "log_cosh",
        dtype=None,
    ):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class Hinge(LossFunctionWrapper):
    """The hinge loss: `mean(maximum(1 - y_true * y_pred, 0), axis=-1)`.

    Labels are -1 or 1; binary labels (0 or 1) are converted to -1 or 1.

    Args:
        {reduction}
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "hinge", dtype=None
    ):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class SquaredHinge(LossFunctionWrapper):
    """The squared hinge loss: `mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`.

    Labels are -1 or 1; binary labels (0 or 1) are converted to -1 or 1.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "squared_hinge",
        dtype=None,
    ):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class CategoricalHinge(LossFunctionWrapper):
    """The categorical hinge loss: `maximum(neg - pos + 1, 0)`.

    `pos = sum(y_true * y_pred)` and `neg = max((1 - y_true) * y_pred)` over the last
    axis, for one-hot (or -1/1) labels.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype=None,
    ):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class KLDivergence(LossFunctionWrapper):
    """The Kullback-Leibler divergence: `sum(y_true * log(y_true / y_pred), axis=-1)`.

    Both inputs are probability distributions; they are clipped to
    `[epsilon(), 1]` first, so zeros give finite values.

    Args:
        {reduction}
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "kl_divergence",
        dtype=None,
    ):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class Poisson(LossFunctionWrapper):
    """The Poisson loss: `mean(y_pred - y_true * log(y_pred + epsilon()), axis=-1)`.

    Args:
        {reduction}
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "poisson", dtype=None
    ):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)

    def get_config(self) -> dict:
        return Loss.get_config(self)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary crossentropy scaled by a focal factor that down-weights easy examples.

    With `p_t = y_true * p + (1 - y_true) * (1 - p)` (`p` the predicted probability),
    each element's crossentropy is multiplied by `(1 - p_t) ** gamma` (Lin et al.,
    2018) and, with `apply_class_balancing`, by `alpha` for class 1 and `1 - alpha`
    for class 0; then averaged over `axis`.

    With `from_logits`, the crossentropy and `1 - p_t` are computed from the logits
    directly (log-sigmoid forms), so that any logit gives a finite loss and gradient.

    Args:
        apply_class_balancing: whether to weight the classes with `alpha`.
        alpha: the weight of class 1 (class 0 gets `1 - alpha`).
        gamma: the focusing parameter; 0 gives the plain binary crossentropy.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; squeezes the labels towards 0.5.
        axis: the axis the elementwise losses are averaged over.
        {reduction}

    Example:

    >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    >>> round(float(loss([[0.0, 1.0], [0.0, 0.0]], [[-18.6, 0.51], [2.94, -12.8]])), 3)
    0.691
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(
            {
                "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing,
                "axis": self.axis,
                "apply_class_balancing": self.apply_class_balancing,
                "alpha": self.alpha,
                "gamma": self.gamma,
            }
        )
        return config


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy scaled by `alpha * (1 - p) ** gamma` per class.

    `p` is the predicted probability of each class; easy (confident, correct)
    examples contribute little (Lin et al., 2018). With `from_logits`, the log
    probabilities come from a log-softmax, so any logit gives a finite loss and
    gradient.

    Args:
        alpha: a weight for all classes (a float, or one weight per class).
        gamma: the focusing parameter; 0 gives `alpha` times the crossentropy.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`.
        axis: the class axis.
        {reduction}

    Example:

    >>> loss = CategoricalFocalCrossentropy()
    >>> round(float(loss([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
    0.2332
    """

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(
            {
                "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing,
                "axis": self.axis,
                "alpha": self.alpha,
                "gamma": self.gamma,
            }
        )
        return config


for _cls in (
    MeanSquaredError,
    MeanAbsoluteError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
):
    _cls.__doc__ = _cls.__doc__.replace("{reduction}", _REDUCTION_DOC)


# ------------------------------------------------------------------ functions
def mean_squared_error(y_true, y_pred):
    """Mean squared error over the last axis: `mean(square(y_true - y_pred), axis=-1)`.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: `mean(abs(y_true - y_pred), axis=-1)`.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis!r} of type {type(axis)}"
        )


def binary_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
):
    """Binary crossentropy, averaged over `axis`.

    Args:
        y_true: labels (0 or 1), shape `(batch, d0, ..., dN)`.
        y_pred: probabilities (or logits when `from_logits`), same shape.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: squeezes the labels towards 0.5 when positive.
        axis: the axis the mean is taken over.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
):
    """Categorical crossentropy between one-hot (or soft) labels and predictions.

    Args:
        y_true: one-hot labels, shape `(batch, ..., num_classes)`.
        y_pred: probabilities (or logits when `from_logits`), same shape.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: when positive, labels become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`.
        axis: the class axis.

    Returns:
        The per-sample losses (the class axis reduced).
    """
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    if ops.shape(y_pred)[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={ops.shape(y_pred)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = float(ops.shape(y_true)[-1])
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / num_classes)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
):
    """Categorical crossentropy with integer class labels.

    Args:
        y_true: class ids, shape `(batch, ...)` or `(batch, ..., 1)`, ints or floats.
        y_pred: probabilities (or logits when `from_logits`), shape `(batch, ..., num_classes)`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a class id whose entries get a loss of 0, or None.
        axis: the class axis.

    Returns:
        The per-sample losses, shaped as `y_true` without a trailing size-1 axis.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if ops.ndim(y_true) == ops.ndim(y_pred) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(y_true, ops.cast(ignore_class, ops.dtype(y_true)))
        # Ignored entries are computed as class 0 (a valid index, so everything stays
        # finite, gradients included) and then set to 0.
        y_true = ops.where(valid, y_true, ops.zeros_like(y_true))
    result = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if valid is not None:
        result = ops.where(valid, result, ops.zeros_like(result))
    return result


def _float_predictions(y_pred):
    # Integer predictions would turn epsilon() into 0 (and the loss into NaN).
    y_pred = ops.convert_to_tensor(y_pred)
    return y_pred if kb.dtypes.is_float(ops.dtype(y_pred)) else ops.cast(y_pred, kb.floatx())


def _same_rank_pair(y_true, y_pred, name: str):
    """Both as tensors of `y_pred`'s (floating) dtype, a trailing size-1 axis reconciled."""
    y_pred = _float_predictions(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_compatible_shapes(name, y_true, y_pred)
    return y_true, y_pred


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon())), axis=-1)`.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _same_rank_pair(y_true, y_pred, "mean_absolute_percentage_error")
    epsilon = ops.convert_to_tensor(kb.epsilon(), dtype=ops.dtype(y_pred))
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), epsilon)))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(y_pred + 1) - log(y_true + 1)), axis=-1)`, inputs raised to `epsilon()`.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _same_rank_pair(y_true, y_pred, "mean_squared_logarithmic_error")
    epsilon = ops.convert_to_tensor(kb.epsilon(), dtype=ops.dtype(y_pred))
    first_log = ops.log(ops.add(ops.maximum(y_pred, epsilon), 1.0))
    second_log = ops.log(ops.add(ops.maximum(y_true, epsilon), 1.0))
    return ops.mean(ops.square(ops.subtract(first_log, second_log)), axis=-1)


def l2_normalize(x, axis):
    # x / max(norm, eps) written as x / sqrt(max(sum(x**2), eps**2)): the same value,
    # and for a zero vector the maximum picks the constant, so the gradient is finite.
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    epsilon = kb.epsilon()
    return ops.divide(x, ops.sqrt(ops.maximum(square_sum, epsilon * epsilon)))


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """The negated cosine similarity along `axis`: `-sum(l2_normalize(y_true) * l2_normalize(y_pred))`.

    Args:
        y_true: targets.
        y_pred: predictions, same shape.
        axis: the axis the similarity is computed along.

    Returns:
        Values in [-1, 1], `axis` reduced (0 where either vector is zero).
    """
    _check_axis(axis)
    y_true, y_pred = _same_rank_pair(y_true, y_pred, "cosine_similarity")
    return ops.negative(
        ops.sum(ops.multiply(l2_normalize(y_true, axis), l2_normalize(y_pred, axis)), axis=axis)
    )


def huber(y_true, y_pred, delta: float = 1.0):
    """The Huber loss, averaged over the last axis.

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.
        delta: where the loss turns from quadratic (`0.5 * x**2`) to linear
            (`delta * abs(x) - 0.5 * delta**2`).

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _same_rank_pair(y_true, y_pred, "huber")
    dtype = ops.dtype(y_pred)
    delta = ops.convert_to_tensor(delta, dtype=dtype)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(0.5, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, abs_error), ops.multiply(0.5, ops.square(delta)))
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, as `x + softplus(-2x) - log(2)` (no overflow).

    Args:
        y_true: targets, shape `(batch, d0, ..., dN)`.
        y_pred: predictions, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_true, y_pred = _same_rank_pair(y_true, y_pred, "log_cosh")
    x = ops.subtract(y_pred, y_true)
    logcosh = ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))), math.log(2.0))
    return ops.mean(logcosh, axis=-1)


def _hinge_labels(y_true):
    # 0/1 labels become -1/1; labels that are not all binary are kept. Chosen with
    # `where` (not a Python `if` on values) so that it runs inside a compiled step.
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.where(is_binary, ops.subtract(ops.multiply(2.0, y_true), 1.0), y_true)


def hinge(y_true, y_pred):
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)`; 0/1 labels are taken as -1/1.

    Args:
        y_true: labels (-1 or 1, or 0 or 1), shape `(batch, d0, ..., dN)`.
        y_pred: scores, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _hinge_labels(ops.cast(y_true, ops.dtype(y_pred)))
    check_compatible_shapes("hinge", y_true, y_pred)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`; 0/1 labels are taken as -1/1.

    Args:
        y_true: labels (-1 or 1, or 0 or 1), shape `(batch, d0, ..., dN)`.
        y_pred: scores, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _hinge_labels(ops.cast(y_true, ops.dtype(y_pred)))
    check_compatible_shapes("squared_hinge", y_true, y_pred)
    margin = ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)
    return ops.mean(ops.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`maximum(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) * y_pred)`.

    Args:
        y_true: one-hot (or -1/1) labels, shape `(batch, ..., num_classes)`.
        y_pred: scores, same shape.

    Returns:
        The per-sample losses (the last axis reduced).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_compatible_shapes("categorical_hinge", y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to `[epsilon(), 1]`.

    Args:
        y_true: target distributions, shape `(batch, ..., n)`.
        y_pred: predicted distributions, same shape.

    Returns:
        The per-sample divergences (the last axis reduced).
    """
    y_pred = _float_predictions(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    check_compatible_shapes("kl_divergence", y_true, y_pred)
    epsilon = kb.epsilon()
    y_true = ops.clip(y_true, epsilon, 1.0)
    y_pred = ops.clip(y_pred, epsilon, 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + epsilon()), axis=-1)`.

    Args:
        y_true: targets (counts), shape `(batch, d0, ..., dN)`.
        y_pred: predicted rates, same shape.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = _float_predictions(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=ops.dtype(y_pred))
    check_compatible_shapes("poisson", y_true, y_pred)
    epsilon = ops.convert_to_tensor(kb.epsilon(), dtype=ops.dtype(y_pred))
    return ops.mean(
        ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, epsilon)))), axis=-1
    )


def _focal_power(base, gamma):
    # base ** gamma with the base kept off 0: below 1e-30 the value is 0 to float32
    # precision anyway, and the gradient of x**gamma at 0 is infinite for gamma < 1.
    return ops.power(ops.maximum(base, 1e-30), gamma)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
):
    """Binary focal crossentropy (Lin et al., 2018), averaged over `axis`.

    Args:
        y_true: labels (0 or 1), shape `(batch, d0, ..., dN)`.
        y_pred: probabilities (or logits when `from_logits`), same shape.
        apply_class_balancing: weight class 1 by `alpha` and class 0 by `1 - alpha`.
        alpha: the weight of class 1 when balancing.
        gamma: the focusing parameter.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: squeezes the labels towards 0.5 when positive.
        axis: the axis the mean is taken over.

    Returns:
        The per-sample losses, shape `(batch, d0, ..., dN-1)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_compatible_shapes("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        # log-sigmoid forms: finite for any logit, gradients included.
        bce = ops.binary_crossentropy(y_true, y_pred, from_logits=True)
        one_minus_p_t = ops.add(
            ops.multiply(y_true, ops.sigmoid(ops.negative(y_pred))),
            ops.multiply(ops.subtract(1.0, y_true), ops.sigmoid(y_pred)),
        )
    else:
        bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
        p_t = ops.add(
            ops.multiply(y_true, y_pred),
            ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)),
        )
        one_minus_p_t = ops.subtract(1.0, p_t)
    focal_bce = ops.multiply(_focal_power(one_minus_p_t, gamma), bce)
    if apply_class_balancing:
        weight = ops.add(
            ops.multiply(y_true, alpha), ops.multiply(ops.subtract(1.0, y_true), 1.0 - alpha)
        )
        focal_bce = ops.multiply(weight, focal_bce)
    return ops.mean(focal_bce, axis=axis)


def categorical_focal_crossentropy(
    y_true,
    y_pred,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
):
    """Categorical focal crossentropy: `sum(-alpha * (1 - p)**gamma * y_true * log(p), axis)`.

    Args:
        y_true: one-hot (or soft) labels, shape `(batch, ..., num_classes)`.
        y_pred: probabilities (or logits when `from_logits`), same shape.
        alpha: a weight for all classes (a float or one per class).
        gamma: the focusing parameter.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: when positive, labels become
            `y_true * (1 - label_smoothing) + label_smoothing / num_classes`.
        axis: the class axis.

    Returns:
        The per-sample losses (the class axis reduced).
    """
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    check_compatible_shapes("categorical_focal_crossentropy", y_true, y_pred)
    if ops.shape(y_pred)[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: y_pred.shape={ops.shape(y_pred)}. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = float(ops.shape(y_true)[-1])
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / num_classes)
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=axis)
        p = ops.exp(log_p)
    else:
        # As Keras: renormalize so that each sample's probabilities sum to 1, then clip.
        p = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
        epsilon = kb.epsilon()
        p = ops.clip(p, epsilon, 1.0 - epsilon)
        log_p = ops.log(p)
    if isinstance(alpha, (list, tuple)):
        alpha = ops.convert_to_tensor(alpha, dtype=ops.dtype(y_pred))
    cce = ops.negative(ops.multiply(y_true, log_p))
    weighting = ops.multiply(_focal_power(ops.subtract(1.0, p), gamma), alpha)
    return ops.sum(ops.multiply(weighting, cce), axis=axis)
