"""ModelCheckpoint: save the model, or its weights, every epoch or every N batches."""

from __future__ import annotations

import os
import warnings

import numpy as np

from kerasish.callbacks.callback import Callback
from kerasish.callbacks.monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Saves the model, or its weights, during `fit`: every epoch or every `save_freq` batches.

    Every save goes through `model.save` / `model.save_weights`, which write a temporary
    file next to the destination and rename it into place, so a crash during a save never
    leaves a half-written checkpoint where a good one was.

    Example:

    ```python
    checkpoint = keras.callbacks.ModelCheckpoint(
        "/tmp/ckpt/best.keras", monitor="val_accuracy", mode="max", save_best_only=True)
    model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    model = keras.models.load_model("/tmp/ckpt/best.keras")

    # Weights only (with the optimizer's state, when the model is compiled):
    checkpoint = keras.callbacks.ModelCheckpoint(
        "/tmp/ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5", save_weights_only=True)
    ```

    Args:
        filepath: where to save (str or `PathLike`). It may hold `str.format` fields
            filled with `epoch` (1-based), `batch` (1-based, when saving every N batches)
            and the logs: `"{epoch:02d}-{val_loss:.2f}.keras"`. It must end in
            `.weights.h5` when `save_weights_only=True`, else in `.keras` (or `.h5`, Keras
            2's legacy format).
        monitor: the logged quantity that decides, with `save_best_only`, which models
            are the best ("val_loss", "accuracy", ...).
        verbose: 0 silent, 1 a message each time the callback saves (or decides not to).
        save_best_only: save only when `monitor` improves on the best value so far (so
            a file name without fields always holds the best model seen).
        save_weights_only: save the weights (`model.save_weights`) rather than the
            whole model (`model.save`).
        mode: "auto", "min" or "max": whether lower or higher values of `monitor` are
            better ("auto": losses are minimized, metrics go the way they say).
        save_freq: "epoch" (save at the end of every epoch) or an integer N (save every
            N training batches; with `steps_per_execution=S` the count is checked every S
            batches). Only an integer makes the training loop report every batch.
        initial_value_threshold: with `save_best_only`, the value `monitor` must beat
            before the first save.
    """

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold: float | None = None,
    ):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) or save_freq <= 0
        ):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                    f"must end in `.weights.h5` (Keras weights format). Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                f"The filepath provided must end in `.keras` (Keras model format). Received: filepath={self.filepath}"
            )
        if save_freq == "epoch":
            # Nothing to do per batch: fall back to the base hook, so that the training
            # loop does not fetch logs from the device every step on this callback's account.
            self.on_train_batch_end = Callback.on_train_batch_end.__get__(self)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    # -------------------------------------------------------------- internals
    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts batches (also when `steps_per_execution` skips indices); true every `save_freq`."""
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available. "
                f"Available metrics are: {','.join(logs) or '(none)'}. Saving the model anyway.",
                stacklevel=3,
            )
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if self.monitor_op is None:
            # Set up here, once the model's metrics are built.
            self._set_monitor_op()
        current = float(current)
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        logs = dict(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict) -> str:
        """The file path for this save: `filepath` with `epoch`, `batch` and the logs filled in."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from e
