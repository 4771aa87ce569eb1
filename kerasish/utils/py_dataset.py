"""PyDataset (and its older name Sequence): a dataset of batches written in Python."""

from __future__ import annotations

import warnings
from typing import Any


def _check_settings(workers, use_multiprocessing, max_queue_size) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"`workers` must be a non-negative integer. Received: workers={workers!r}")
    if not isinstance(use_multiprocessing, bool):
        raise ValueError(
            f"`use_multiprocessing` must be a boolean. Received: use_multiprocessing={use_multiprocessing!r}"
        )
    if isinstance(max_queue_size, bool) or not isinstance(max_queue_size, int) or max_queue_size < 1:
        raise ValueError(
            f"`max_queue_size` must be a positive integer. Received: max_queue_size={max_queue_size!r}"
        )


class PyDataset:
    """Base class for a dataset of batches computed in Python, possibly in parallel.

    Implement `__getitem__(index)`, returning one complete batch (`(x,)`, `(x, y)` or
    `(x, y, sample_weight)`; a bare `x` or a dict of inputs also works), and
    `__len__()`, the number of batches. To change the dataset between epochs (reshuffle
    file lists, ...), implement `on_epoch_end()` (or `on_epoch_begin()`). For an
    infinite dataset, implement a `num_batches` property that returns None instead of
    `__len__`; `fit` then needs `steps_per_epoch`, or a callback that stops training.

    `fit`, `evaluate` and `predict` read the batches in order (shuffled between epochs
    by `fit(shuffle=True)`, which is the default) and call the epoch hooks. With
    `workers > 1`, up to `max_queue_size` batches are prepared ahead by a pool of
    threads, or of processes with `use_multiprocessing=True` (the dataset must then be
    picklable, and its class importable by the worker processes). The order of the
    batches is kept either way. Each sample is seen once per epoch, which a generator
    cannot promise.

    Example:

    ```python
    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index):
            low = index * self.batch_size
            high = min(low + self.batch_size, len(self.x))
            return self.x[low:high], self.y[low:high]

    model.fit(Batches(x, y, 32, workers=4), epochs=3)
    ```

    Args:
        workers: how many threads (or processes) prepare batches; 0 or 1 reads them in
            the training loop's thread.
        use_multiprocessing: prepare batches in processes rather than threads.
        max_queue_size: how many batches are prepared ahead, at most.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        _check_settings(workers, use_multiprocessing, max_queue_size)
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = [
            name for name in ("_workers", "_use_multiprocessing", "_max_queue_size") if not hasattr(self, name)
        ]
        if not missing:
            return
        self._workers = getattr(self, "_workers", 1)
        self._use_multiprocessing = getattr(self, "_use_multiprocessing", False)
        self._max_queue_size = getattr(self, "_max_queue_size", 10)
        warnings.warn(
            "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
            "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
            "these arguments to `fit()`, as they will be ignored.",
            stacklevel=3,
        )

    @property
    def workers(self) -> int:
        """How many workers prepare batches."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        _check_settings(value, False, 1)
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """Whether the workers are processes rather than threads."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        _check_settings(0, value, 1)
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """How many batches are prepared ahead, at most."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        _check_settings(0, False, value)
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """The batch at position `index`.

        Args:
            index: the position of the batch, in `[0, num_batches)`.

        Returns:
            A batch: `(x,)`, `(x, y)` or `(x, y, sample_weight)`.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__(self, index)`.")

    @property
    def num_batches(self) -> int | None:
        """The number of batches, or None for an infinite dataset (`len(self)` by default)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__` (the number of batches) or a "
            "`num_batches` property (None for an infinite dataset)."
        )

    def on_epoch_begin(self) -> None:
        """Called at the beginning of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""


#: The name Keras 2 used; Keras 3 keeps it as an alias of `PyDataset`.
Sequence = PyDataset
