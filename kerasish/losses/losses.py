"""Built-in losses (`keras.losses` names, arguments and defaults): classes and functions."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from kerasish import ops
from kerasish.backend import tree
from kerasish.losses.loss import Loss, squeeze_or_expand_to_same_rank
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


for _cls in (
    MeanSquaredError,
    MeanAbsoluteError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
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
