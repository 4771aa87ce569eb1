"""Turns what `fit`/`evaluate`/`predict` receive into batches of host arrays.

`get_data_adapter` picks the adapter for the data, as Keras's
`keras.src.trainers.data_adapters.get_data_adapter` does:

- NumPy arrays, backend tensors, and lists/tuples/dicts of them: `ArrayDataAdapter`
  (slices of the arrays; the fast path: no per-step Python work beyond slicing);
- a `kerasish.utils.PyDataset` (or `Sequence`): `PyDatasetAdapter`, with a pool of
  workers when the dataset asks for one;
- a Python generator, iterator or other iterable yielding `(x,)`, `(x, y)` or
  `(x, y, sample_weight)` tuples: `GeneratorDataAdapter`.

Every adapter gives the trainer the same few things: `num_batches` (None when unknown),
`first_batch()` (to build the model), and `epoch()`, the batches of one epoch.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator

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
    """A batch as `fit` hands it to `train_step`: `x`, `(x, y)` or `(x, y, sample_weight)`.

    As in Keras, `x` alone is not wrapped in a tuple, unless it is a list or tuple
    itself (several inputs), which becomes `(x,)` so that it cannot pass for `(x, y)`.
    """
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
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
        isinstance(e, (np.ndarray, dict, list, tuple)) or kb.get().is_tensor(e) for e in x
    ) and not _is_nested_numbers(x):
        return type(x)(to_host_arrays(e, f"{what}[{i}]") for i, e in enumerate(x))
    return _to_host_array(x, what)


def _is_nested_numbers(x) -> bool:
    """Whether `x` is a (nested) Python list of numbers, i.e. one array written as lists."""
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, (int, float, bool, np.number))


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


def class_weight_to_sample_weight(y, class_weight) -> np.ndarray:
    """Per-sample weights from a `{class index: weight}` dict and the labels `y`.

    Labels may be class ids (`(n,)` or `(n, 1)`) or one-hot / probabilities (`(n, k)`,
    whose argmax is taken), as in Keras. Classes missing from `class_weight` weigh 1.
    """
    if not hasattr(class_weight, "items") or not hasattr(class_weight, "get"):
        raise ValueError(
            "`class_weight` must be a dict-like mapping of class indices to weights. "
            f"Received: class_weight={class_weight!r} of type {type(class_weight).__name__}"
        )
    cleaned = {}
    for key, weight in class_weight.items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            index = None
        if index is None or index < 0:
            raise ValueError(
                "`class_weight` must be a dict with non-negative integer keys (class indices). "
                f"Received an invalid key: {key!r} of type {type(key).__name__}"
            )
        cleaned[index] = float(weight)
    y = np.asarray(y)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    labels = np.round(y).astype(np.int64).reshape(-1)
    size = max(max(cleaned, default=0), int(labels.max(initial=0))) + 1
    table = np.ones(size, dtype=kb.floatx())
    for index, weight in cleaned.items():
        table[index] = weight
    return table[labels]


def _leaf_shapes(batch) -> tuple:
    return tuple(np.shape(a) for a in tree.flatten(batch))


def same_shapes(batches: list) -> bool:
    """Whether the batches have the same structure and leaf shapes (so they can be stacked)."""
    first = _leaf_shapes(batches[0])
    return all(_leaf_shapes(b) == first for b in batches[1:])


class DataAdapter:
    """What the trainer needs from its data, whatever form the data came in.

    Attributes:
        num_batches: batches in one epoch, or None when unknown (a generator without
            `steps`); the progress bar then learns the total at the end of the epoch.
        batch_size: samples per batch when known, else None.
        exhausted: true once a one-shot source (a generator) has run out for good.
    """

    num_batches: int | None = None
    batch_size: int | None = None
    exhausted: bool = False

    def first_batch(self):
        """A batch of host arrays, to build the model, its losses and metrics."""
        raise NotImplementedError

    def epoch(self) -> Iterator:
        """The batches of one epoch, each a tuple `(x,)`, `(x, y)` or `(x, y, sample_weight)`."""
        raise NotImplementedError

    def has_more_epochs(self) -> bool:
        """False once the data has run out for good (then `fit` stops, with Keras's warning)."""
        return True

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (also when it stopped early)."""

    def close(self) -> None:
        """Releases workers and iterators; called when `fit`/`evaluate`/`predict` ends."""


class ArrayDataAdapter(DataAdapter):
    """Batches over in-memory arrays (nested lists and dicts of arrays for x and y).

    Args:
        x, y, sample_weight: host arrays with the same number of samples.
        batch_size: samples per batch; the last batch may be partial. When None, it is
            `ceil(samples / steps)` if `steps` is given, else 32 (as in Keras).
        steps: batches per epoch (cycling through the data if more than one pass).
        shuffle: reshuffle sample order every epoch.
        class_weight: `{class index: weight}`, turned into per-sample weights.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None):
        self.x = to_host_arrays(x, "x")
        self.y = to_host_arrays(y, "y")
        self.sample_weight = to_host_arrays(sample_weight, "sample_weight")
        if class_weight is not None:
            if self.y is None or len(tree.flatten(self.y)) != 1:
                raise ValueError("`class_weight` is only supported for models with a single output and a target `y`.")
            if self.sample_weight is not None:
                raise ValueError("You cannot pass `class_weight` and `sample_weight` at the same time.")
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
        if steps is not None and (not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps <= 0):
            raise ValueError(f"`steps` must be a positive integer or None. Received: steps={steps!r}")
        if batch_size is None:
            batch_size = math.ceil(n_x / steps) if steps else 32
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.batches_per_pass = max(1, math.ceil(self.num_samples / self.batch_size))
        self.steps = int(steps) if steps is not None else self.batches_per_pass
        self.num_batches = self.steps

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

    def first_batch(self):
        return self.get_batch(np.arange(min(self.batch_size, self.num_samples)))

    def epoch(self) -> Iterator:
        for idx in self.batch_indices():
            yield self.get_batch(idx)

    def __iter__(self):
        return self.epoch()


def is_array_like(x) -> bool:
    """Whether `x` (a leaf or a list/tuple/dict of leaves) is data for `ArrayDataAdapter`."""
    if x is None:
        return True
    if isinstance(x, (np.ndarray, np.number, int, float)) or kb.get().is_tensor(x):
        return True
    if isinstance(x, (str, bytes)):
        return False
    if isinstance(x, dict):
        return all(is_array_like(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return all(is_array_like(v) for v in x)
    # pandas frames, array-likes of other libraries
    return hasattr(x, "__array__")


def _is_iterable_data(x) -> bool:
    if isinstance(x, (types.GeneratorType, Iterator)):
        return True
    return hasattr(x, "__iter__") and not isinstance(x, (str, bytes, dict, list, tuple, np.ndarray))


def _raise_unsupported_arg(arg_name: str, description: str, input_type: str):
    raise ValueError(
        f"When providing `x` as a {input_type}, `{arg_name}` should not be passed. "
        f"Instead, {description} should be included as part of the {input_type}."
    )


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None, shuffle=False,
                     class_weight=None) -> DataAdapter:
    """The adapter for `x` (and `y`, `sample_weight`): the one place that decides.

    Args:
        x: arrays (or lists/dicts of arrays), a `PyDataset`, a generator or iterable of
            batches, or a `DataAdapter` (returned as is).
        y, sample_weight: arrays; only with array `x`.
        batch_size: samples per batch (array data only; other data is already batched).
        steps_per_epoch: batches per epoch; None for one pass through the data.
        shuffle: reshuffle each epoch (arrays: samples; a finite PyDataset: batch order;
            generators yield their own order and are not shuffled).
        class_weight: `{class index: weight}`, applied to `y` of each batch.

    Returns:
        A `DataAdapter`.
    """
    from kerasish.trainers.generator_data_adapter import GeneratorDataAdapter
    from kerasish.trainers.py_dataset_adapter import PyDatasetAdapter
    from kerasish.utils.py_dataset import PyDataset

    if isinstance(x, DataAdapter):
        return x
    if isinstance(x, PyDataset):
        if y is not None:
            _raise_unsupported_arg("y", "the targets", "PyDataset")
        if sample_weight is not None:
            _raise_unsupported_arg("sample_weight", "the sample weights", "PyDataset")
        return PyDatasetAdapter(x, steps=steps_per_epoch, shuffle=shuffle, class_weight=class_weight)
    if is_array_like((x, y, sample_weight)):
        return ArrayDataAdapter(
            x, y, sample_weight, batch_size=batch_size, steps=steps_per_epoch, shuffle=shuffle,
            class_weight=class_weight,
        )
    if _is_iterable_data(x):
        if y is not None:
            _raise_unsupported_arg("y", "the targets", "Python generator or iterable")
        if sample_weight is not None:
            _raise_unsupported_arg("sample_weight", "the sample weights", "Python generator or iterable")
        return GeneratorDataAdapter(x, steps=steps_per_epoch, class_weight=class_weight)
    bad = next((name for name, v in (("x", x), ("y", y), ("sample_weight", sample_weight)) if not is_array_like(v)), "x")
    value = {"x": x, "y": y, "sample_weight": sample_weight}[bad]
    raise TypeError(
        f"Unrecognized data type for `{bad}`. Expected NumPy arrays or tensors (or lists/dicts of them), "
        "a Python generator or iterable yielding `(x, y[, sample_weight])` tuples, or a "
        f"`kerasish.utils.PyDataset`. Received: {bad}={_short_repr(value)} (of type {type(value).__name__})"
    )


def _short_repr(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def standardize_batch(batch, what: str, class_weight=None, index: int | None = None):
    """A batch from a generator or PyDataset as a tuple of host arrays, checked.

    Args:
        batch: what the source produced.
        what: the source, for messages ("generator", "PyDataset").
        class_weight: if given, per-sample weights are added from the batch's `y`.
        index: the batch's position, for messages.
    """
    where = f"batch {index} of the {what}" if index is not None else f"a batch of the {what}"
    if isinstance(batch, dict) or hasattr(batch, "__array__") or kb.get().is_tensor(batch):
        # A bare `x` (an array or a dict of inputs), as Keras accepts from a PyDataset.
        batch = (batch,)
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        raise ValueError(
            f"A {what} must yield tuples `(inputs,)`, `(inputs, targets)` or "
            f"`(inputs, targets, sample_weights)`. Received for {where}: {_short_repr(batch)} "
            f"(of type {type(batch).__name__}"
            + (f", length {len(batch)})" if isinstance(batch, tuple) else ")")
        )
    x, y, sw = (to_host_arrays(part, name) for part, name in zip(unpack_x_y_sample_weight(batch), ("x", "y", "sample_weight")))
    if class_weight is not None:
        if y is None or len(tree.flatten(y)) != 1:
            raise ValueError(f"`class_weight` needs a single target array `y` in each batch; {where} has none.")
        if sw is not None:
            raise ValueError(f"You cannot pass `class_weight` while the {what} yields sample weights ({where}).")
        sw = class_weight_to_sample_weight(tree.flatten(y)[0], class_weight)
    sizes = {}
    for name, part in (("x", x), ("y", y), ("sample_weight", sw)):
        for leaf in tree.flatten(part):
            if leaf.ndim == 0:
                raise ValueError(f"Arrays of {where} must have a batch axis; `{name}` holds a scalar.")
            sizes.setdefault(name, set()).add(int(leaf.shape[0]))
    if len(set().union(*sizes.values())) > 1:
        detail = ", ".join(f"{name}: {sorted(s)}" for name, s in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous in {where}: its arrays have different numbers of samples "
            f"({detail}). Make sure all arrays of a batch contain the same number of samples."
        )
    return pack_x_y_sample_weight(x, y, sw)


def train_validation_split(arrays, validation_split: float):
    """Splits (x, y, sample_weight) into the first part and the last `validation_split` part."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be between 0 and 1. Received: validation_split={validation_split}")
    if not is_array_like(tuple(arrays)):
        kinds = sorted({type(a).__name__ for a in arrays if a is not None and not is_array_like(a)})
        raise ValueError(
            "`validation_split` is only supported for NumPy arrays and tensors (or lists/dicts of them). "
            f"Pass `validation_data` instead. Received data of type: {', '.join(kinds)}"
        )
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


def align_inputs(x, input_struct):
    """`x` given as a dict by input name, reordered for a model whose inputs are a list.

    Keras's Functional models accept `{input_name: array}` for inputs declared as a list;
    anything else is returned unchanged.
    """
    if not isinstance(x, dict) or not isinstance(input_struct, (list, tuple)):
        return x
    names = [getattr(t, "name", None) for t in input_struct]
    if None in names or not set(names) <= set(x):
        if None not in names:
            missing = sorted(set(names) - set(x))
            raise ValueError(
                f"The model's inputs are named {names}; the dict of inputs lacks {missing}. "
                f"Received keys: {sorted(x)}"
            )
        return x
    return [x[name] for name in names]


_CATEGORICAL = ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge")


def check_target_shapes(y, y_pred_spec, output_names: list[str], loss_fns: list) -> None:
    """Raises a clear error when targets cannot fit a loss and the model's outputs.

    Checked once, on the first batch, before anything is compiled: sparse labels given
    to a categorical loss (or one-hot labels to a sparse one), and targets whose shape
    does not broadcast against the output's.

    Args:
        y: the targets of one batch (host arrays, structured as given to `fit`).
        y_pred_spec: the model's output specs (shapes with a None batch axis).
        output_names: the outputs' names, in flattened order.
        loss_fns: one loss (or None) per output.
    """
    if y is None:
        return
    preds = tree.flatten(y_pred_spec)
    if isinstance(y, dict):
        trues = [y.get(name) for name in output_names]
    elif isinstance(y, (list, tuple)) and len(y) == len(preds) and len(preds) > 1:
        trues = list(y)
    elif len(preds) == 1:
        trues = [y]
    else:
        return
    for name, loss, t, p in zip(output_names, loss_fns, trues, preds):
        if not _is_builtin(loss) or t is None or not hasattr(t, "shape"):
            continue
        _check_one_target(_loss_label(loss), name, tuple(np.shape(t)), tuple(p.shape))


def _is_builtin(loss) -> bool:
    """Whether `loss` is one of kerasish's losses (a custom loss may take targets of any shape)."""
    if loss is None:
        return False
    fn = getattr(loss, "fn", loss)
    return (getattr(fn, "__module__", None) or "").startswith("kerasish.losses")


def _loss_label(loss) -> str:
    fn = getattr(loss, "fn", None)
    return getattr(fn, "__name__", None) or getattr(loss, "name", None) or type(loss).__name__


def _check_one_target(loss_name: str, output: str, t_shape: tuple, p_shape: tuple) -> None:
    expected_dense = ("batch", *p_shape[1:])
    where = f"Loss `{loss_name}` of output {output!r}"
    if "sparse_categorical" in loss_name:
        ok = len(t_shape) == len(p_shape) - 1 or (len(t_shape) == len(p_shape) and t_shape[-1:] == (1,))
        if not ok:
            raise ValueError(
                f"{where} expects integer class ids of shape {('batch', *p_shape[1:-1])} for outputs of shape "
                f"{p_shape}; received targets of shape {t_shape}. For one-hot targets use "
                "`categorical_crossentropy`."
            )
        return
    if any(name in loss_name for name in _CATEGORICAL):
        if len(t_shape) != len(p_shape) or (
            p_shape[-1] is not None and t_shape[-1] != p_shape[-1]
        ):
            hint = (
                " These look like integer class ids: use `sparse_categorical_crossentropy`, or one-hot "
                "encode them."
                if len(t_shape) == len(p_shape) - 1 or (len(t_shape) == len(p_shape) and t_shape[-1] == 1)
                else ""
            )
            raise ValueError(
                f"{where} expects one-hot targets of shape {expected_dense}, the shape of the model's "
                f"output; received targets of shape {t_shape}.{hint}"
            )
        return
    # Other losses line up ranks as Keras's `squeeze_or_expand_to_same_rank` does, then
    # broadcast; a mismatch would otherwise surface as a bare broadcasting error.
    t, p = list(t_shape), [1 if d is None else d for d in p_shape]
    if len(t) == len(p) + 1 and t[-1] == 1:
        t = t[:-1]
    elif len(p) == len(t) + 1 and p[-1] == 1:
        p = p[:-1]
    p[0] = t[0] if t else p[0]
    try:
        np.broadcast_shapes(tuple(t), tuple(p))
    except ValueError:
        raise ValueError(
            f"{where}: targets of shape {t_shape} do not match the model's output of shape {p_shape}. "
            f"Expected targets of shape {expected_dense}."
        ) from None
