"""Turns what `fit`/`evaluate`/`predict` receive into batches of host arrays."""

from __future__ import annotations

import math

import numpy as np

import kerasish.backend as kb
from kerasish.backend import tree


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch given as x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be in the format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`. "
        f"Received a tuple of length {len(data)}."
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _to_host_array(x, what):
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x
    backend = kb.get()
    if backend.is_tensor(x):
        return np.asarray(backend.to_numpy(x))
    arr = np.asarray(x)
    if arr.dtype == object:
        raise ValueError(
            f"Could not convert `{what}` to a numeric array: it holds Python objects "
            f"(ragged lists or mixed types?). Received an object array of shape {arr.shape}"
        )
    return arr


def to_host_arrays(x, what: str):
    """Every leaf of `x` as a NumPy array (lists of numbers become one array)."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: to_host_arrays(v, f"{what}[{k!r}]") for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(
        isinstance(e, np.ndarray) or kb.get().is_tensor(e) or isinstance(e, dict) for e in x
    ):
        return type(x)(to_host_arrays(e, f"{what}[{i}]") for i, e in enumerate(x))
    return _to_host_array(x, what)


def _num_samples(arrays, what: str) -> int | None:
    leaves = tree.flatten(arrays)
    if not leaves:
        return None
    sizes = {int(a.shape[0]) if a.ndim else None for a in leaves}
    if None in sizes:
        raise ValueError(f"`{what}` must have a batch axis; received a scalar (0-d array).")
    if len(sizes) != 1:
        raise ValueError(f"All arrays in `{what}` must have the same number of samples. Received sizes: {sorted(sizes)}")
    return sizes.pop()


def class_weight_to_sample_weight(y, class_weight: dict) -> np.ndarray:
    """Per-sample weights from a {class index: weight} dict and the labels `y`."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        labels = np.argmax(y, axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        labels = y[:, 0]
    else:
        labels = y
    labels = np.round(labels).astype(np.int64)
    table = np.ones(int(max(max(class_weight) + 1, labels.max(initial=0) + 1)), dtype="float32")
    for k, w in class_weight.items():
        table[int(k)] = float(w)
    return table[labels]


class ArrayDataAdapter:
    """Batches over in-memory arrays (nested lists and dicts of arrays for x and y).

    Args:
        x, y, sample_weight: host arrays with the same number of samples.
        batch_size: samples per batch; the last batch may be partial.
        steps: batches per epoch (cycling through the data if more than one pass).
        shuffle: reshuffle sample order every epoch.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, steps=None, shuffle=False, class_weight=None):
        self.x = to_host_arrays(x, "x")
        self.y = to_host_arrays(y, "y")
        self.sample_weight = to_host_arrays(sample_weight, "sample_weight")
        if class_weight is not None:
            if self.y is None or len(tree.flatten(self.y)) != 1:
                raise ValueError("`class_weight` needs a single target array `y`.")
            if self.sample_weight is not None:
                raise ValueError("Pass `class_weight` or `sample_weight`, not both.")
            self.sample_weight = class_weight_to_sample_weight(tree.flatten(self.y)[0], class_weight)
        n_x = _num_samples(self.x, "x")
        if n_x is None:
            raise ValueError("`x` holds no arrays.")
        for what, part in (("y", self.y), ("sample_weight", self.sample_weight)):
            n = _num_samples(part, what)
            if n is not None and n != n_x:
                raise ValueError(
                    f"Data cardinality is ambiguous: x has {n_x} samples but {what} has {n} samples. "
                    "Make sure all arrays contain the same number of samples."
                )
        self.num_samples = n_x
        if batch_size is None:
            batch_size = 32
        if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.batches_per_pass = max(1, math.ceil(self.num_samples / self.batch_size))
        self.steps = int(steps) if steps is not None else self.batches_per_pass

    def _take(self, part, idx):
        if part is None:
            return None
        return tree.map_structure(lambda a: a[idx], part)

    def batch_indices(self):
        """Index arrays of each batch of one epoch."""
        produced, batches = 0, []
        while produced < self.steps:
            order = np.random.permutation(self.num_samples) if self.shuffle else np.arange(self.num_samples)
            for start in range(0, self.num_samples, self.batch_size):
                if produced == self.steps:
                    break
                batches.append(order[start : start + self.batch_size])
                produced += 1
        return batches

    def get_batch(self, idx):
        return pack_x_y_sample_weight(self._take(self.x, idx), self._take(self.y, idx), self._take(self.sample_weight, idx))

    def __iter__(self):
        for idx in self.batch_indices():
            yield self.get_batch(idx)


def train_validation_split(arrays, validation_split: float):
    """Splits (x, y, sample_weight) into the first part and the last `validation_split` part."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be between 0 and 1. Received: validation_split={validation_split}")
    x, y, sw = (to_host_arrays(a, name) for a, name in zip(arrays, ("x", "y", "sample_weight")))
    n = _num_samples(x, "x")
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a validation "
            f"and training set as specified by `validation_split={validation_split}`."
        )

    def part(a, sl):
        return None if a is None else tree.map_structure(lambda v: v[sl], a)

    first = (part(x, slice(0, split_at)), part(y, slice(0, split_at)), part(sw, slice(0, split_at)))
    last = (part(x, slice(split_at, None)), part(y, slice(split_at, None)), part(sw, slice(split_at, None)))
    return first, last
