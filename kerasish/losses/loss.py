"""The `Loss` base class and the reductions that turn per-sample losses into one number."""

from __future__ import annotations

from typing import Any

import kerasish.backend as kb
from kerasish import ops
from kerasish.backend import tree
from kerasish.utils import naming

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


class Loss:
    """Base class of losses: `loss(y_true, y_pred, sample_weight=None)` is a reduced loss.

    Subclasses implement `call(y_true, y_pred)`, which returns one loss per sample (or
    per element). `__call__` converts both inputs to the loss's dtype, calls `call`,
    weights the result by `sample_weight` and reduces it.

    Args:
        name: the loss's name (by default, the snake-case class name).
        reduction: how per-sample losses are combined. `"sum_over_batch_size"`
            (the default) and `"mean"` sum the weighted losses and divide by their
            number; `"sum"` sums them; `"mean_with_sample_weight"` divides the sum by
            the sum of the sample weights; `"none"` or `None` returns them unreduced.
        dtype: the dtype of the computation (by default `floatx()`, "float32").

    Example:

    >>> class MeanSquaredError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.mean(ops.square(y_pred - y_true), axis=-1)
    """

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype=None
    ):
        self.name = name or naming.auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = kb.standardize_dtype(dtype or kb.floatx())

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _convert_structure(y_pred, self.dtype)
        y_true = _convert_structure(y_true, self.dtype)
        losses = self.call(y_true, y_pred)
        mask = self._loss_mask(y_true, y_pred)
        return reduce_weighted_values(
            losses,
            sample_weight=sample_weight,
            mask=mask,
            reduction=self.reduction,
            dtype=self.dtype,
        )

    def call(self, y_true, y_pred):
        """Per-sample losses for these targets and predictions (override in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def _loss_mask(self, y_true, y_pred):
        """A boolean mask over `call`'s output of the entries that count, or None (all)."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _convert_structure(x, dtype: str):
    """Tensors of `dtype` for each leaf; a nested list of plain numbers is one array."""
    if isinstance(x, (list, tuple)) and not any(hasattr(leaf, "shape") for leaf in tree.flatten(x)):
        return ops.convert_to_tensor(x, dtype=dtype)
    return tree.map_structure(lambda leaf: ops.convert_to_tensor(leaf, dtype=dtype), x)


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Makes ranks equal when they differ by one and the longer one ends in a size-1 axis.

    A rank-1 partner is expanded (`(batch,)` -> `(batch, 1)`) when `expand_rank_1`;
    otherwise the size-1 axis is squeezed away. Other rank differences are left alone.
    """
    r1, r2 = ops.ndim(x1), ops.ndim(x2)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and ops.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, axis=-1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if r2 == r1 + 1 and ops.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, axis=-1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def check_compatible_shapes(name: str, y_true, y_pred) -> None:
    """Raises a ValueError naming `name` unless the two shapes broadcast together.

    Unknown (None) sizes are taken as compatible with anything.
    """
    true_shape, pred_shape = ops.shape(y_true), ops.shape(y_pred)
    for a, b in zip(reversed(true_shape), reversed(pred_shape)):
        if a is not None and b is not None and a != b and a != 1 and b != 1:
            raise ValueError(
                f"`{name}`: `y_true` and `y_pred` must have the same shape (or shapes that "
                f"broadcast together). Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
            )


divide_no_nan = ops.divide_no_nan


def reduce_values(values, sample_weight=None, reduction: str | None = "sum_over_batch_size"):
    """Reduces already-weighted `values` as `reduction` says."""
    shape = ops.shape(values)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    loss = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            loss = divide_no_nan(loss, ops.cast(ops.sum(sample_weight), ops.dtype(loss)))
        else:
            n = ops.size(values)
            loss = ops.divide(loss, float(n)) if n > 0 else loss
    return loss


def apply_mask(sample_weight, mask, dtype: str, reduction: str | None):
    """Folds a boolean `mask` into `sample_weight` (masked entries get weight 0).

    For the averaging reductions, the kept entries are scaled up by `total / kept` so
    that the average is taken over the kept entries only.
    """
    if mask is None:
        return sample_weight
    mask = ops.cast(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(ops.size(mask))
        mask = ops.multiply(mask, divide_no_nan(ops.convert_to_tensor(total, dtype), ops.sum(mask)))
    if sample_weight is None:
        return mask
    sample_weight = ops.cast(sample_weight, dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return ops.multiply(sample_weight, mask)


def reduce_weighted_values(
    values,
    sample_weight=None,
    mask=None,
    reduction: str | None = "sum_over_batch_size",
    dtype: Any = None,
):
    """Weights `values` by `sample_weight` (and `mask`), then reduces them."""
    reduction = standardize_reduction(reduction)
    dtype = kb.standardize_dtype(dtype or kb.floatx())
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction=reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)
