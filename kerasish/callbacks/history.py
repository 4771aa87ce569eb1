"""History: records the logs of every epoch; `fit` returns it."""

from __future__ import annotations

from kerasish.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs in `history`, a dict of lists keyed by metric name.

    `fit` adds one automatically and returns it; it is also `model.history`.

    >>> import kerasish as keras
    >>> history = keras.callbacks.History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.on_epoch_end(1, {"loss": 0.25})
    >>> history.history, history.epoch
    ({'loss': [0.5, 0.25]}, [0, 1])

    Attributes:
        epoch: the indices of the epochs seen since training began.
        history: `{name: [value per epoch]}`; kept across calls to `fit`.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        # Set at each epoch's end (as Keras does) so that `model.history` is current
        # even when training stops early.
        if self.model is not None:
            self.model.history = self
