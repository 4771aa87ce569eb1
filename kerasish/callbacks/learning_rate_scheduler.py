"""LearningRateScheduler: set the learning rate at the start of each epoch from a function."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

import numpy as np

from kerasish.callbacks.callback import Callback


def current_learning_rate(optimizer) -> float:
    """The optimizer's learning rate now, as a Python float."""
    from kerasish import ops

    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            'The model\'s optimizer must have a "learning_rate" attribute (compile the model first). '
            f"Received: optimizer={optimizer!r}"
        )
    return float(ops.convert_to_numpy(optimizer.learning_rate))


def _positional_arity(fn: Callable) -> int | None:
    """How many positional arguments `fn` takes (None: any number, or unknown)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for p in parameters:
        if p.kind == p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _as_float(value) -> float | None:
    """`value` as a float if it is a real scalar (number, NumPy scalar, 0-d array or tensor)."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    try:
        array = np.asarray(value)
    except Exception:  # whatever cannot be an array is simply not a float
        return None
    if array.shape != () or array.dtype.kind not in "fiu":
        return None
    return float(array)


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from `schedule(epoch, lr)`.

    The function receives the epoch index (from 0) and the current learning rate and
    returns the new rate; a function of the epoch alone also works (Keras's older
    form). The rate is added to the epoch's logs as `"learning_rate"`.

    Example:

    >>> import math
    >>> import numpy as np
    >>> import kerasish as keras
    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 10 else lr * math.exp(-0.1)
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    >>> model.compile(keras.optimizers.SGD(), loss="mse")
    >>> round(float(model.optimizer.learning_rate), 5)
    0.01
    >>> callback = keras.callbacks.LearningRateScheduler(scheduler)
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=15,
    ...                     callbacks=[callback], verbose=0)
    >>> round(float(model.optimizer.learning_rate), 5)
    0.00607

    Args:
        schedule: `schedule(epoch, lr) -> new_lr` (or `schedule(epoch) -> new_lr`).
        verbose: 0 quiet, 1 print the new rate each epoch.
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"`schedule` must be a function of (epoch, lr). Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch: int) -> float:
        lr = current_learning_rate(optimizer)
        arity = _positional_arity(self.schedule)
        output = self.schedule(epoch) if arity == 1 else self.schedule(epoch, lr)
        new_lr = _as_float(output)
        if new_lr is None:
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {output!r}")
        optimizer.learning_rate = new_lr
        return new_lr

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for i, inner in enumerate(optimizer.optimizers):
                lr = self._update_optimizer_lr(inner, epoch)
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {inner.name}_{i} learning rate to {lr}.")
            return
        lr = self._update_optimizer_lr(optimizer, epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for i, inner in enumerate(optimizer.optimizers):
                logs[f"learning_rate_{inner.name}_{i}"] = current_learning_rate(inner)
        else:
            logs["learning_rate"] = current_learning_rate(optimizer)
