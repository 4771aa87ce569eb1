"""The Callback base class: hooks into the stages of `fit`, `evaluate` and `predict`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The per-batch hooks. A callback that overrides any of them is called on every batch,
#: with logs fetched from the device each time; one that overrides none is not.
BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)

#: The batch hooks that matter in each mode (the legacy aliases belong to training).
BATCH_HOOKS_BY_MODE = {
    "train": ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def default(method: Callable) -> Callable:
    """Marks a hook as doing nothing, so that callers can tell when a subclass overrides it."""
    method._is_default = True
    return method


def progress_only(method: Callable) -> Callable:
    """Marks a batch hook that is content to be called only now and then.

    A hook so marked (ProgbarLogger's) does not make the training loop call the batch hooks
    on every step; the loop reaches it through `CallbackList.on_progress` instead.
    """
    method._progress_only = True
    return method


def is_default(method: Callable) -> bool:
    """Whether `method` is a hook that was not overridden (see `default`)."""
    return getattr(method, "_is_default", False)


def needs_every_batch(callback: Callback, hooks: tuple[str, ...] = BATCH_HOOKS) -> bool:
    """Whether `callback` overrides one of `hooks` with code that wants every batch."""
    for name in hooks:
        method = getattr(callback, name, None)
        if method is None or is_default(method) or getattr(method, "_progress_only", False):
            continue
        return True
    return False


class Callback:
    """Base class of callbacks: objects whose hooks run at stages of training and inference.

    Pass callbacks to `fit()`, `evaluate()` and `predict()`; subclass `Callback` and
    override the hooks of interest:

    >>> import kerasish as keras
    >>> class Printer(keras.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss={logs['loss']:.2f}")

    Hooks receive `logs`, a dict of Python floats (`{"loss": 0.2, "accuracy": 0.7}`).
    Overriding a per-batch hook (`on_train_batch_end`, ...) makes the training loop fetch
    the logs from the device after every batch, which is slower than fetching them once
    per epoch; override only the hooks you need.

    In a custom training loop, wrap the callbacks in a `CallbackList` and call its hooks.

    Attributes:
        params: dict of training parameters (`verbose`, `epochs`, `steps`).
        model: the `Model` being trained, evaluated or run.
    """

    def __init__(self):
        self.params: dict | None = None
        self._model = None

    def set_params(self, params: dict) -> None:
        """Stores the training parameters (`verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Stores the model these callbacks are used with."""
        self._model = model

    @property
    def model(self) -> Any:
        """The model being trained, evaluated or run."""
        return self._model

    # ------------------------------------------------------------ legacy aliases
    @default
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """A backwards-compatibility alias of `on_train_batch_begin`."""

    @default
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """A backwards-compatibility alias of `on_train_batch_end`."""

    # ------------------------------------------------------------------- epochs
    @default
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of an epoch of `fit`.

        Args:
            epoch: the index of the epoch.
            logs: currently empty.
        """

    @default
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of an epoch of `fit`.

        Args:
            epoch: the index of the epoch.
            logs: the metrics of the epoch, and of validation (keys prefixed `val_`)
                when validation ran; e.g. `{"loss": 0.2, "val_loss": 0.3}`.
        """

    # ------------------------------------------------------------------ batches
    @default
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called at the start of a training batch of `fit`.

        With `steps_per_execution=N` in `compile`, it is called once every N batches.

        Args:
            batch: the index of the batch within the epoch.
            logs: currently empty.
        """
        self.on_batch_begin(batch, logs=logs)

    @default
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called at the end of a training batch of `fit`.

        With `steps_per_execution=N` in `compile`, it is called once every N batches.

        Args:
            batch: the index of the batch within the epoch.
            logs: the metrics aggregated over the epoch so far.
        """
        self.on_batch_end(batch, logs=logs)

    @default
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called at the start of a batch of `evaluate`.

        Args:
            batch: the index of the batch.
            logs: currently empty.
        """

    @default
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called at the end of a batch of `evaluate`.

        Args:
            batch: the index of the batch.
            logs: the metrics aggregated so far.
        """

    @default
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called at the start of a batch of `predict`.

        Args:
            batch: the index of the batch.
            logs: currently empty.
        """

    @default
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called at the end of a batch of `predict`.

        Args:
            batch: the index of the batch.
            logs: `{"outputs": ...}`, the batch's predictions.
        """

    # ------------------------------------------------------------ whole runs
    @default
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called at the start of `fit`.

        Args:
            logs: currently empty.
        """

    @default
    def on_train_end(self, logs: dict | None = None) -> None:
        """Called at the end of `fit`.

        Args:
            logs: the logs of the last epoch.
        """

    @default
    def on_test_begin(self, logs: dict | None = None) -> None:
        """Called at the start of `evaluate`.

        Args:
            logs: currently empty.
        """

    @default
    def on_test_end(self, logs: dict | None = None) -> None:
        """Called at the end of `evaluate`.

        Args:
            logs: the metrics of the evaluation.
        """

    @default
    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Called at the start of `predict`.

        Args:
            logs: currently empty.
        """

    @default
    def on_predict_end(self, logs: dict | None = None) -> None:
        """Called at the end of `predict`.

        Args:
            logs: currently empty.
        """
