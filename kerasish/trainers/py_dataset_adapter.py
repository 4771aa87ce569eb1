"""PyDatasetAdapter: batches from a `kerasish.utils.PyDataset`, prepared ahead by workers."""

from __future__ import annotations

import collections
import itertools
import multiprocessing
from collections.abc import Iterator
from concurrent import futures

import numpy as np

from kerasish.trainers.data_adapter import DataAdapter, standardize_batch
from kerasish.utils.py_dataset import PyDataset

# The dataset of a worker process (set once per process by the pool's initializer).
_WORKER_DATASET: PyDataset | None = None


def _set_worker_dataset(dataset: PyDataset) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _worker_item(index: int):
    return _WORKER_DATASET[index]


class PyDatasetAdapter(DataAdapter):
    """Reads a `PyDataset` batch by batch, in order, with its workers if it has any.

    With `workers > 1` (or `use_multiprocessing=True` and `workers >= 1`), up to
    `max_queue_size` batches are requested ahead from a pool of threads (or of
    processes, started with "spawn" so that no thread of the parent, JAX's included,
    is forked) and handed on in index order. A process pool is started for each epoch,
    after `on_epoch_begin`, so that the workers see what the epoch hooks changed.

    Args:
        dataset: the `PyDataset`.
        steps: batches per epoch; by default `dataset.num_batches`. A finite dataset is
            read again from the start when an epoch needs more batches than it has.
        shuffle: visit the batches of a finite dataset in a new random order each epoch.
        class_weight: `{class index: weight}`, applied to each batch's `y`.
    """

    def __init__(self, dataset: PyDataset, steps: int | None = None, shuffle: bool = False, class_weight=None):
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0):
            raise ValueError(f"`steps` must be a positive integer or None. Received: steps={steps!r}")
        self.dataset = dataset
        size = dataset.num_batches
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0):
            raise ValueError(
                f"{type(dataset).__name__}: `__len__` (or `num_batches`) must return a non-negative integer, "
                f"or None for an infinite dataset. Received: {size!r}"
            )
        if size == 0:
            raise ValueError(f"The PyDataset {type(dataset).__name__} has length 0: it holds no batches.")
        self.size = None if size is None else int(size)
        self.steps = steps
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.num_batches = steps if steps is not None else self.size
        workers = dataset.workers
        self.use_processes = dataset.use_multiprocessing and workers >= 1
        self.pooled = workers > 1 or self.use_processes
        self.workers = max(workers, 1)
        self.max_queue_size = dataset.max_queue_size
        self._executor: futures.Executor | None = None

    def _standardize(self, batch, index: int):
        return standardize_batch(batch, "PyDataset", self.class_weight, index=index)

    def first_batch(self):
        return self._standardize(self.dataset[0], 0)

    def _indices(self) -> Iterator[int]:
        if self.size is None:
            counter = itertools.count()
            return counter if self.steps is None else itertools.islice(counter, self.steps)
        target = self.steps if self.steps is not None else self.size

        def passes():
            produced = 0
            while produced < target:
                order = np.random.permutation(self.size) if self.shuffle else np.arange(self.size)
                for i in order[: target - produced]:
                    yield int(i)
                produced += min(self.size, target - produced)

        return passes()

    # ------------------------------------------------------------- workers
    def _pool(self) -> futures.Executor:
        if self._executor is None:
            if self.use_processes:
                self._executor = futures.ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_set_worker_dataset,
                    initargs=(self.dataset,),
                )
            else:
                self._executor = futures.ThreadPoolExecutor(
                    max_workers=self.workers, thread_name_prefix="kerasish-pydataset"
                )
        return self._executor

    def _shutdown_pool(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _prefetched(self, indices: Iterator[int]) -> Iterator:
        pool = self._pool()
        fetch = _worker_item if self.use_processes else self.dataset.__getitem__
        pending: collections.deque = collections.deque()
        try:
            for index in itertools.islice(indices, self.max_queue_size):
                pending.append((index, pool.submit(fetch, index)))
            while pending:
                index, future = pending.popleft()
                batch = future.result()
                following = next(indices, None)
                if following is not None:
                    pending.append((following, pool.submit(fetch, following)))
                yield self._standardize(batch, index)
        finally:
            # The epoch may stop early (a callback, an error): drop what was requested ahead.
            for _, future in pending:
                future.cancel()

    # --------------------------------------------------------------- epochs
    def epoch(self) -> Iterator:
        indices = self._indices()
        if self.pooled:
            yield from self._prefetched(indices)
            return
        for index in indices:
            yield self._standardize(self.dataset[index], index)

    def on_epoch_begin(self) -> None:
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        if self.use_processes:
            # Processes hold a copy of the dataset: the next epoch's pool takes a fresh one.
            self._shutdown_pool()
        self.dataset.on_epoch_end()

    def close(self) -> None:
        self._shutdown_pool()
