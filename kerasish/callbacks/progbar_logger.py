"""ProgbarLogger: the progress bar of `fit`, `evaluate` and `predict`."""

from __future__ import annotations

import sys
from collections.abc import Callable

from kerasish.callbacks.callback import Callback, progress_only
from kerasish.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints the progress bar and the metrics to stdout.

    `verbose=1` draws a bar per epoch (redrawn in place on a terminal, printed once when
    the epoch ends elsewhere); `verbose=2` prints one line per epoch. With more than one
    epoch, each bar is preceded by `Epoch i/n`. The verbosity, the number of epochs and
    the steps per epoch come from `params` (`verbose`, `epochs`, `steps`), which `fit`,
    `evaluate` and `predict` set.

    The progress contract: fetching logs from the device on every step would make the
    device wait for the host, so the training loop does not call this callback's batch
    hooks on every step (they are marked as content with occasional calls). Instead,
    after each step it asks `wants_progress(batch)`, which is cheap (a clock read), and
    only when that is true it fetches the latest logs and calls `on_progress(batch, logs)`.
    `wants_progress` is true when the bar would redraw now: at most every `interval`
    seconds on a terminal, never in the middle of an epoch otherwise. The bar catches up
    on skipped steps from `batch`, and the epoch's final line is drawn by
    `on_epoch_end` / `on_test_end` / `on_predict_end` from their logs. The logs are
    running aggregates (what the metrics report), so they are shown as given, not
    averaged again. The usual batch hooks also work, for loops that call them on every
    step.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False
        self._mode: str | None = None
        self._steps_done = 0

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    # ------------------------------------------------------------- progress
    def wants_progress(self, batch: int) -> bool:
        """Whether `on_progress(batch, logs)` would draw now (so the logs are worth fetching).

        Args:
            batch: the index of the batch just done.
        """
        if not self._updates_bar(self._mode):
            return False
        # Counted here, where every step passes: with an unknown number of steps (a
        # generator), the final line needs the count even if no step was drawn.
        self._steps_done = batch + 1
        if self.verbose == 1 and self.progbar.will_redraw():
            return True
        if self.seen == 0:
            # No redraw, but note when the first (compiling) step ended, without its logs:
            # the time per step shown at the end leaves that step out.
            self._update_progbar(batch, None)
        return False

    def on_progress(self, batch: int, logs: dict | Callable[[], dict] | None = None) -> None:
        """Updates the bar to `batch + 1` steps done with the latest logs.

        Args:
            batch: the index of the batch just done.
            logs: the latest logs, or a function returning them (called only if they are
                shown: `predict` has none to show).
        """
        if not self._updates_bar(self._mode):
            return
        if self._mode == "predict":
            logs = None
        elif callable(logs):
            logs = logs()
        self._update_progbar(batch, logs)

    def _updates_bar(self, mode: str | None) -> bool:
        if self.progbar is None or mode is None:
            return False
        # Inside `fit`, validation is silent.
        return not (mode == "test" and self._called_in_fit)

    # ---------------------------------------------------------------- hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._called_in_fit = True

    def on_train_end(self, logs: dict | None = None) -> None:
        self._called_in_fit = False
        self._mode = None

    def on_test_begin(self, logs: dict | None = None) -> None:
        if self._called_in_fit:
            # Validation inside `fit`: silent, and the training bar must not take its steps.
            self._mode = "test"
            return
        self._mode = "test"
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._mode = "predict"
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._mode = "train"
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            stream = sys.stdout
            stream.write(f"Epoch {epoch + 1}/{self.epochs}\n")
            stream.flush()

    @progress_only
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update_progbar(batch, logs)

    @progress_only
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    @progress_only
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Predictions are not metrics: show progress only.
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if self._called_in_fit:
            self._mode = "train"
            return
        self._finalize_progbar(logs)
        self._mode = None

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._finalize_progbar(logs)
        self._mode = None

    # ------------------------------------------------------------ internals
    def _reset_progbar(self) -> None:
        self.seen = 0
        self._steps_done = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(
                target=self.target, verbose=self.verbose, stateless_metrics=(), unit_name="step"
            )

    def _update_progbar(self, batch: int, logs: dict | None) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1
        self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs: dict | None) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.target = max(self.seen, self._steps_done)
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
