"""The `Metric` base class: state in variables, and the pure (stateless) forms of its methods."""

from __future__ import annotations

import kerasish.backend as kb
from kerasish import initializers, ops
from kerasish.utils import naming
from kerasish.variables import StatelessScope, Variable


class Metric:
    """Accumulates a statistic over batches in variables; `result()` reads it out.

    Subclasses create their state in `__init__` with `add_variable`, update it in
    `update_state` with `variable.assign(...)`, and compute the value in `result`.
    The pure forms `stateless_update_state`, `stateless_result` and
    `stateless_reset_state` take and return the variables' values instead of
    mutating them, so that a compiled training step can carry metric state.

    Args:
        dtype: the dtype of the metric's variables and result (default `floatx()`).
        name: the metric's name (by default, the snake-case class name).

    Example:

    >>> class BinaryTruePositives(Metric):
    ...     def __init__(self, name="binary_true_positives", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         hits = ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool"))
    ...         self.true_positives.assign_add(ops.sum(ops.cast(hits, self.dtype)))
    ...     def result(self):
    ...         return self.true_positives.value
    """

    def __init__(self, dtype=None, name: str | None = None):
        self.name = name or naming.auto_name(type(self).__name__)
        self._dtype = kb.standardize_dtype(dtype or kb.floatx())
        self._variables: list[Variable] = []
        self._tracked_metrics: list[Metric] = []

    # ---------------------------------------------------------------- tracking
    def __setattr__(self, name, value):
        # Metrics and variables assigned as attributes are tracked, so that a metric
        # built from other metrics exposes all of their state in `variables`.
        tracked = self.__dict__.get("_tracked_metrics")
        if tracked is not None and name not in ("_tracked_metrics", "_variables"):
            if (
                isinstance(value, Metric)
                and value is not self
                and not any(m is value for m in tracked)
            ):
                tracked.append(value)
            elif isinstance(value, Variable) and not any(v is value for v in self._variables):
                self._variables.append(value)
        super().__setattr__(name, value)

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call `super().__init__()` in `__init__()` before anything else."
            )

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list[Variable]:
        """This metric's state variables, then those of the metrics it holds."""
        found = list(self._variables)
        for metric in self._tracked_metrics:
            found.extend(v for v in metric.variables if not any(v is f for f in found))
        return found

    def add_variable(
        self, shape, initializer, dtype=None, aggregation: str = "sum", name: str | None = None
    ) -> Variable:
        """Creates a non-trainable state variable, tracked in `variables`.

        Args:
            shape: the variable's shape.
            initializer: an initializer, its name ("zeros"), or a callable.
            dtype: the variable's dtype (default: the metric's dtype).
            aggregation: how values combine across replicas (recorded only).
            name: the variable's name within the metric.

        Returns:
            The new `Variable`.
        """
        self._check_super_called()
        variable = Variable(
            initializer=initializers.get(initializer),
            shape=tuple(shape),
            dtype=dtype or self.dtype,
            trainable=False,
            aggregation=aggregation,
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(
        self, shape=(), initializer=None, dtype=None, name: str | None = None
    ) -> Variable:
        """Alias of `add_variable` (kept for Keras 2 code)."""
        return self.add_variable(
            shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name
        )

    # ------------------------------------------------------------ stateful API
    def update_state(self, *args, **kwargs) -> None:
        """Accumulates statistics from one batch (override in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self):
        """The current value: a scalar tensor, or a dict of them (override in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def reset_state(self) -> None:
        """Sets every state variable back to zeros (called between epochs)."""
        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        """Updates the state with this batch and returns the result."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------- pure forms
    def _check_values(self, metric_variables) -> list:
        expected = len(self.variables)
        if len(metric_variables) != expected:
            raise ValueError(
                f"Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables ({expected} variables). "
                f"Received a list of length {len(metric_variables)}."
            )
        return list(metric_variables)

    def _read_back(self, scope: StatelessScope, previous) -> list:
        out = []
        for variable, old in zip(self.variables, previous):
            new = scope.get_current_value(variable)
            out.append(old if new is None else new)
        return out

    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        """`update_state` on these variable values; returns the new values (mutates nothing)."""
        metric_variables = self._check_values(metric_variables)
        before = {id(v) for v in self.variables}
        with StatelessScope(state_mapping=list(zip(self.variables, metric_variables))) as scope:
            self.update_state(*args, **kwargs)
        if len(self.variables) != len(metric_variables):
            # A metric that shapes its state from its first batch (F1Score, R2Score,
            # AUC(multi_label=True) without num_labels) built it just now: the values
            # handed in cannot cover variables that did not exist yet.
            new = [v.path for v in self.variables if id(v) not in before]
            raise ValueError(
                f"Metric {self.name!r} created state variables during a stateless update: {new}. "
                "A metric that builds its state from the shapes of its first batch must be built "
                "before the pure step: run `update_state` once on a batch (then `reset_state()`), "
                "or run it under `kerasish.ops.symbolic.compute_output_spec` on symbolic inputs. "
                f"Received {len(metric_variables)} variable values; it now has {len(self.variables)}."
            )
        return self._read_back(scope, metric_variables)

    def stateless_result(self, metric_variables):
        """`result()` computed from these variable values."""
        metric_variables = self._check_values(metric_variables)
        with StatelessScope(state_mapping=list(zip(self.variables, metric_variables))):
            return self.result()

    def stateless_reset_state(self) -> list:
        """The variable values `reset_state()` would set (mutates nothing)."""
        with StatelessScope() as scope:
            self.reset_state()
        return self._read_back(scope, [v.value for v in self.variables])

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
