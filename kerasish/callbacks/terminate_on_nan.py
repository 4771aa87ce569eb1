"""TerminateOnNaN: stop training when the loss becomes NaN or infinite."""

from __future__ import annotations

import math

from kerasish.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite.

    By default training stops gracefully (`model.stop_training = True`), so every
    callback's `on_train_end` still runs. With `raise_error=True` a `RuntimeError` is
    raised at once instead, skipping that cleanup (to keep, say, a backup untouched).
    The message names the batch and the epoch.

    Example:

    ```python
    model.fit(x, y, callbacks=[keras.callbacks.TerminateOnNaN()])
    ```

    Args:
        raise_error: raise `RuntimeError` rather than stop gracefully.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        where = f"batch {batch} of epoch {self._epoch + 1}"
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at {where}. Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch} (epoch {self._epoch + 1}): Invalid loss {loss}, terminating training")
        self.model.stop_training = True
