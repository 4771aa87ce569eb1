"""Hinge metrics (`keras.metrics.Hinge`, `SquaredHinge`, `CategoricalHinge`): mean hinge losses."""

from __future__ import annotations

from kerasish.losses.losses import categorical_hinge, hinge, squared_hinge
from kerasish.metrics.reduction_metrics import MeanMetricWrapper


class Hinge(MeanMetricWrapper):
    """The mean hinge loss, `maximum(1 - y_true * y_pred, 0)`, over all samples seen.

    Labels are -1 or 1; binary labels (0 or 1) are converted to -1 or 1.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.

    Example:

    >>> m = Hinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 2)
    1.3
    """

    def __init__(self, name: str = "hinge", dtype=None):
        super().__init__(fn=hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class SquaredHinge(MeanMetricWrapper):
    """The mean squared hinge loss over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, name: str = "squared_hinge", dtype=None):
        super().__init__(fn=squared_hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class CategoricalHinge(MeanMetricWrapper):
    """The mean categorical hinge loss over all samples seen.

    Args:
        name: the metric's name.
        dtype: the dtype of the state and result.
    """

    def __init__(self, name: str = "categorical_hinge", dtype=None):
        super().__init__(fn=categorical_hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}
