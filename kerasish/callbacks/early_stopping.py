"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

from __future__ import annotations

import numpy as np

from kerasish.callbacks.monitor_callback import MonitorCallback, warn_missing


class EarlyStopping(MonitorCallback):
    """Stops training when a monitored metric has stopped improving.

    At the end of every epoch, the monitored value (e.g. `"val_loss"`) is compared
    with the best so far; after `patience` epochs without an improvement of more than
    `min_delta`, `model.stop_training` is set and `fit` ends.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> callback = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    >>> model.compile(keras.optimizers.SGD(), loss="mse")
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=10,
    ...                     batch_size=1, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"])  # Only 4 epochs are run.
    4

    Args:
        monitor: the logged quantity to watch.
        min_delta: the least change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        verbose: 0 silent, 1 print a message when stopping or restoring weights.
        mode: "auto", "min" or "max": whether lower or higher is better ("auto": from
            the quantity; losses are minimized).
        baseline: a value to reach: training stops after `patience` epochs that do not
            improve on it (the best of them is still tracked).
        restore_best_weights: at the end of training, set the weights of the best epoch
            (also when training ran all its epochs), rather than keep the last ones.
        start_from_epoch: epochs to wait before monitoring (a warm-up).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        # The best value starts at +-inf; `baseline` only decides when patience restarts.
        super().__init__(monitor=monitor, mode=mode, baseline=None, min_delta=min_delta)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"`patience` must be a non-negative integer. Received: patience={patience!r}")
        if isinstance(start_from_epoch, bool) or not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError(
                f"`start_from_epoch` must be a non-negative integer. Received: start_from_epoch={start_from_epoch!r}"
            )
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: dict | None = None) -> None:
        # Instances may be reused for another `fit`.
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0
        if self.monitor_op is not None:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.monitor_op is None:
            # Set up here, once the model's metrics are built.
            self._set_monitor_op()
        if self.restore_best_weights and self.best_weights is None:
            # Nothing better seen yet: the current weights are the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Patience restarts only when both the previous best and the baseline are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict | None):
        """The monitored value in `logs`, or None (with a warning naming what is there)."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warn_missing("Early stopping", self.monitor, logs)
        return value
