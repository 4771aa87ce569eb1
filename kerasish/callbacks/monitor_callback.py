"""MonitorCallback: the shared logic of callbacks that watch one logged quantity."""

from __future__ import annotations

import warnings

import numpy as np

from kerasish.callbacks.callback import Callback

_MODES = ("auto", "min", "max")


def model_metrics(model) -> list:
    """The model's metrics, with the compiled metrics' container opened up."""
    found = []
    for metric in getattr(model, "metrics", None) or []:
        inner = getattr(metric, "_all", None)
        if inner is None:
            inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            found.extend(inner)
        else:
            found.append(metric)
    return found


def infer_direction(model, monitor: str) -> str | None:
    """"min" or "max" for a logged name (`val_` prefix ignored), or None when unknown.

    Losses are minimized; a metric says which way is better with its `_direction`
    ("up" or "down"), as in Keras.
    """
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in model_metrics(model):
        if getattr(metric, "name", None) == name:
            direction = getattr(metric, "_direction", None)
            if direction == "up":
                return "max"
            if direction == "down":
                return "min"
    return None


def check_mode(owner: str, mode: str) -> str:
    """`mode`, or "auto" with Keras's warning when it is not one of "auto", "min", "max"."""
    if mode not in _MODES:
        warnings.warn(f"{owner} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


def warn_missing(what: str, monitor: str, logs: dict) -> None:
    """Keras's warning for a monitored name that is not in the logs, listing those that are."""
    warnings.warn(
        f"{what} conditioned on metric `{monitor}` which is not available. "
        f"Available metrics are: {','.join(logs)}",
        stacklevel=3,
    )


class MonitorCallback(Callback):
    """Base class of callbacks that watch a logged quantity for improvements.

    It picks the comparison from `mode` ("min", "max", or "auto": losses are
    minimized, metrics go the way their `_direction` says) once the model's metrics
    are built (at the first epoch's end), and tells whether a value improves on a
    reference by more than `min_delta`.

    Args:
        monitor: the name in the logs to watch (e.g. "val_loss").
        mode: "auto", "min" or "max".
        baseline: the initial best value (None: the first value seen).
        min_delta: the least change that counts as an improvement.

    Raises:
        ValueError: with `mode="auto"`, when the direction of `monitor` cannot be told.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"`monitor` must be the name of a logged quantity (a str). Received: monitor={monitor!r}")
        self.monitor = monitor
        self.mode = check_mode(type(self).__name__, mode)
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        direction = self.mode if self.mode != "auto" else infer_direction(self.model, self.monitor)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but kerasish isn't able "
                "to automatically determine whether that metric should be maximized or minimized. Pass "
                "`mode='max'` in order to monitor based on the highest metric value, or pass `mode='min'` "
                "in order to use the lowest value."
            )
        self.monitor_op = np.less if direction == "min" else np.greater
        if direction == "min":
            self.min_delta = -abs(self.min_delta)
        if self.best is None:
            self.best = np.inf if direction == "min" else -np.inf

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
