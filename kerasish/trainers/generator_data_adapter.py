"""GeneratorDataAdapter: batches from a Python generator, iterator or iterable."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator

from kerasish.trainers.data_adapter import DataAdapter, standardize_batch

RAN_OUT_MESSAGE = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or "
    "generator can generate at least `steps_per_epoch * epochs` batches."
)


class GeneratorDataAdapter(DataAdapter):
    """Batches from a source that yields `(x,)`, `(x, y)` or `(x, y, sample_weight)` tuples.

    Two kinds of source behave differently, as they do in Keras:

    - a one-shot iterator (a generator, `iter(...)`): its batches are consumed once.
      With `steps`, each epoch takes the next `steps` batches; without, an epoch runs
      until the iterator is exhausted, and there is no data for a later epoch.
    - a re-iterable object (a class with `__iter__`, not an iterator): each epoch
      starts a fresh pass, cut at `steps` when given.

    When an epoch cannot get its `steps` batches, it ends early with Keras's warning
    ("Your input ran out of data; interrupting training...").

    Args:
        source: the generator, iterator or iterable.
        steps: batches per epoch, or None to run until the source is exhausted.
        class_weight: `{class index: weight}`, applied to each batch's `y`.
    """

    def __init__(self, source: Iterable, steps: int | None = None, class_weight=None):
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0):
            raise ValueError(f"`steps` must be a positive integer or None. Received: steps={steps!r}")
        self.source = source
        self.one_shot = isinstance(source, Iterator)
        self.steps = steps
        self.class_weight = class_weight
        self.num_batches = steps
        self._iterator: Iterator | None = None
        self._peeked: list = []
        self._index = 0  # position in the current pass, for messages
        self.exhausted = False
        self._warned = False

    def _next_raw(self):
        if self._peeked:
            return self._peeked.pop(0)
        if self._iterator is None:
            self._iterator = iter(self.source)
            self._index = 0
        return next(self._iterator)

    def _standardize(self, batch):
        index = self._index
        self._index += 1
        return standardize_batch(batch, "generator", self.class_weight, index=index)

    def first_batch(self):
        if not self._peeked:
            try:
                self._peeked.append(self._next_raw())
            except StopIteration:
                raise ValueError(
                    "The generator or iterable given as data yielded no batches"
                    + (" (a generator that was already exhausted?)." if self.one_shot else ".")
                ) from None
        return standardize_batch(self._peeked[0], "generator", self.class_weight, index=self._index)

    def epoch(self) -> Iterator:
        produced = 0
        while self.steps is None or produced < self.steps:
            try:
                raw = self._next_raw()
            except StopIteration:
                # A re-iterable source starts a fresh pass next epoch; a one-shot one is done.
                self._iterator = None
                self.exhausted = self.one_shot
                if self.steps is not None:
                    self._warned = True
                    warnings.warn(RAN_OUT_MESSAGE, stacklevel=2)
                return
            produced += 1
            yield self._standardize(raw)

    def has_more_epochs(self) -> bool:
        if self.exhausted and not self._warned:
            self._warned = True
            warnings.warn(RAN_OUT_MESSAGE, stacklevel=3)
        return not self.exhausted

    def close(self) -> None:
        self._iterator = None
