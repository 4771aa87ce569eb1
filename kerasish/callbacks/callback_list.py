"""CallbackList: calls every hook of a list of callbacks, and tells the loop what they need."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kerasish.callbacks.callback import (
    BATCH_HOOKS,
    BATCH_HOOKS_BY_MODE,
    Callback,
    needs_every_batch,
)
from kerasish.callbacks.history import History
from kerasish.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """A list of callbacks called through one object: `callbacks.on_epoch_end(epoch, logs)`.

    Besides dispatching each hook to every callback in order, it tells a training loop
    what the callbacks need, so that the loop waits for the device only when it must:

    - `needs_batch_logs`: true when some callback overrides a per-batch hook
      (`on_train_batch_end`, the legacy `on_batch_end`, ...). Then the loop calls the
      batch hooks on every step, with logs converted to Python floats. Otherwise it
      calls no batch hook at all, and:
    - `wants_progress(batch)` (cheap) says whether the progress bar would redraw now;
      only then does the loop fetch the latest logs and call
      `on_progress(batch, logs)`. See `ProgbarLogger` for this contract.

    Example, a custom training loop:

    ```python
    callbacks = keras.callbacks.CallbackList([MyCallback()], add_history=True,
                                             add_progbar=True, model=model,
                                             verbose=1, epochs=2, steps=len(batches))
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for step, batch in enumerate(batches):
            logs = train_step(batch)
            if callbacks.needs_batch_logs:
                callbacks.on_train_batch_end(step, logs)
            elif callbacks.wants_progress(step):
                callbacks.on_progress(step, logs)
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end(logs)
    ```

    Args:
        callbacks: `Callback` instances (a list, possibly nested, or a `CallbackList`).
        add_history: add a `History` unless one is among `callbacks`.
        add_progbar: add a `ProgbarLogger` unless one is among `callbacks`.
        model: the model the callbacks are used with (given to each by `set_model`;
            `model.history` is set to the History callback).
        **params: training parameters (`verbose`, `epochs`, `steps`) given to each
            callback by `set_params`.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | Callback | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params,
    ):
        super().__init__()
        self.callbacks: list[Callback] = _flatten_callbacks(callbacks)
        self._needs_batch_logs: dict[str | None, bool] = {}
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._history: History | None = None
        self._progbar: ProgbarLogger | None = None
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback: Callback) -> None:
        """Adds a callback at the end of the list."""
        _check_callback(callback)
        self.callbacks.append(callback)
        self._needs_batch_logs.clear()
        if self._progbar is None and isinstance(callback, ProgbarLogger):
            self._progbar = callback
        if self._history is None and isinstance(callback, History):
            self._history = callback
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    # ------------------------------------------------------ what the loop needs
    @property
    def needs_batch_logs(self) -> bool:
        """Whether some callback overrides a per-batch hook (in any mode).

        When false, the batch hooks need not be called at all (a training loop then
        reports progress through `wants_progress` / `on_progress`).
        """
        return self.needs_batch_logs_for(None)

    def needs_batch_logs_for(self, mode: str | None) -> bool:
        """Whether some callback overrides a batch hook of `mode`.

        Args:
            mode: "train" (including the legacy `on_batch_*` aliases), "test",
                "predict", or None for any of them.
        """
        cached = self._needs_batch_logs.get(mode)
        if cached is None:
            if mode is None:
                hooks = BATCH_HOOKS
            elif mode in BATCH_HOOKS_BY_MODE:
                hooks = BATCH_HOOKS_BY_MODE[mode]
            else:
                raise ValueError(
                    f"Argument `mode` must be 'train', 'test', 'predict' or None. Received: mode={mode!r}"
                )
            cached = any(needs_every_batch(callback, hooks) for callback in self.callbacks)
            self._needs_batch_logs[mode] = cached
        return cached

    def wants_progress(self, batch: int) -> bool:
        """Whether the progress bar would redraw after batch `batch` (cheap: no logs needed)."""
        return self._progbar is not None and self._progbar.wants_progress(batch)

    def on_progress(self, batch: int, logs: dict | Callable[[], dict] | None = None) -> None:
        """Hands the latest logs (or a function returning them) to the progress bar.

        Call it when `wants_progress(batch)` is true and the batch hooks are not being
        called on every step.
        """
        if self._progbar is not None:
            self._progbar.on_progress(batch, logs)

    # ------------------------------------------------------------------ hooks
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = _pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = _pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = _pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Predictions stay arrays: they are outputs, not metrics.
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs=logs)

    def on_train_begin(self, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_test_begin(self, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_test_end(logs)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        logs = logs or {}
        for callback in self.callbacks:
            callback.on_predict_end(logs)


def _check_callback(callback) -> None:
    if not isinstance(callback, Callback):
        raise TypeError(
            "Callbacks must be instances of `kerasish.callbacks.Callback`. "
            f"Received: {callback!r} (of type {type(callback).__name__})"
        )


def _flatten_callbacks(callbacks) -> list[Callback]:
    """The callbacks as a flat list (nested lists and CallbackLists are opened)."""
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, Callback):
        return [callbacks]
    flat: list[Callback] = []
    stack = [iter(callbacks)]
    while stack:
        item = next(stack[-1], _DONE)
        if item is _DONE:
            stack.pop()
        elif isinstance(item, CallbackList):
            flat.extend(item.callbacks)
        elif isinstance(item, (list, tuple)):
            stack.append(iter(item))
        else:
            _check_callback(item)
            flat.append(item)
    return flat


_DONE = object()


def _pythonify_logs(logs: dict | None) -> dict:
    """Logs as Python scalars, nested dicts flattened (cheap when they are floats already)."""
    result: dict = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(_pythonify_logs(value))
        elif isinstance(value, float) or value is None:
            result[key] = value
        else:
            try:
                result[key] = float(value)
            except (TypeError, ValueError):
                result[key] = value
    return result
