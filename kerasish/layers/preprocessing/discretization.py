"""Discretization: buckets continuous values by boundaries, given or learned as quantiles by `adapt`."""

from __future__ import annotations

import numpy as np

import kerasish.backend as kb
from kerasish import ops
from kerasish.layers.layer import Layer
from kerasish.layers.preprocessing.category_encoding import encode_categorical_inputs, encoded_shape
from kerasish.ops.symbolic import KerasTensor

_MODES = ("int", "one_hot", "multi_hot", "count")


# Approximate quantiles with bounded memory: the data is reduced to a "summary", a
# sorted list of values with weights (how many samples each stands for), that merges
# with another batch's and compresses to about 1 / epsilon entries. Same algorithm as
# Keras's, so adapted boundaries agree with Keras's.
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_percents = cum_weights / cum_weights[-1]
    new_values = np.interp(percents, cum_percents, summary[0])
    new_cum = np.interp(percents, cum_percents, cum_weights)
    new_weights = new_cum - np.concatenate(([0.0], new_cum[:-1]))
    return np.stack((new_values, new_weights)).astype("float32")


def _merge(a: np.ndarray, b: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((a, b), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


class Discretization(Layer):
    """Maps each value to the index of its bucket: `bin_boundaries[i-1] <= x < bin_boundaries[i]`.

    The boundaries are given, or learned with `adapt(data)` as `num_bins` quantiles of
    the data (approximate, within `epsilon`). Values below the first boundary go to
    bucket 0, values at or above the last to bucket `len(bin_boundaries)`.

    Args:
        bin_boundaries: a sorted list of boundaries (no `num_bins` then).
        num_bins: the number of buckets to learn with `adapt`.
        epsilon: the quantiles' error tolerance while adapting.
        output_mode: "int" (bucket indices, int32), or "one_hot", "multi_hot",
            "count" (encodings with `len(bin_boundaries) + 1` entries, as
            `CategoryEncoding`).
        sparse: must be False (kerasish has no sparse tensors).

    Input shape:
        Arbitrary.

    Output shape:
        The input's with "int"; see `CategoryEncoding` for the other modes.
    """

    def __init__(self, bin_boundaries=None, num_bins: int | None = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        if sparse:
            raise ValueError("Discretization: `sparse=True` is not supported (kerasish has no sparse tensors). Received: sparse=True")
        if output_mode not in _MODES:
            raise ValueError(
                f"Unknown value for `output_mode` of Discretization. Expected one of {list(_MODES)}. "
                f"Received: output_mode={output_mode!r}"
            )
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 0):
            raise ValueError(f"`num_bins` of Discretization must be an integer >= 0. Received: num_bins={num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: set either `num_bins` or `bin_boundaries`, not both. "
                f"Received: num_bins={num_bins} and bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: you need to set either `num_bins` or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = self._checked_boundaries(bin_boundaries)
        if not 0 < epsilon < 1:
            raise ValueError(f"`epsilon` of Discretization must be in (0, 1). Received: epsilon={epsilon!r}")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @staticmethod
    def _checked_boundaries(bin_boundaries) -> list[float]:
        values = np.asarray(bin_boundaries, dtype="float64")
        if values.ndim != 1 or np.any(np.diff(values) < 0):
            raise ValueError(
                f"`bin_boundaries` of Discretization must be a sorted 1-D list of numbers. Received: {bin_boundaries!r}"
            )
        return [float(v) for v in values]

    @property
    def output_dtype(self) -> str:
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data, steps: int | None = None) -> None:
        """Learns `num_bins` quantile boundaries from `data`.

        Args:
            data: a NumPy array or tensor, or an iterable of batches.
            steps: with an iterable, the number of batches to read at most.
        """
        if self.num_bins is None:
            raise ValueError(
                f"Layer {self.name!r} (Discretization) was given `bin_boundaries`; it cannot be adapted. "
                "Use `num_bins` to learn the boundaries."
            )
        self.reset_state()
        if isinstance(data, np.ndarray) or kb.get().is_tensor(data) or np.isscalar(data):
            self.update_state(data)
        elif hasattr(data, "__iter__"):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                self.update_state(batch[0] if isinstance(batch, tuple) else batch)
        else:
            raise TypeError(
                f"Layer {self.name!r} (Discretization): `adapt` takes an array, a tensor or an iterable of batches. "
                f"Received: {type(data).__name__}"
            )
        self.finalize_state()

    def update_state(self, data) -> None:
        if kb.get().is_tensor(data):
            data = kb.get().to_numpy(data)
        data = np.asarray(data).astype("float32")
        self.summary = _merge(_summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self) -> None:
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Layer {self.name!r} (Discretization): pass `bin_boundaries` at construction or call "
                "`adapt(data)` before using the layer."
            )
        x = ops.cast(inputs, kb.floatx())
        boundaries = np.asarray(self.bin_boundaries, dtype=kb.floatx())
        # The bucket index is the number of boundaries at or below the value (np.digitize).
        indices = ops.sum(ops.cast(ops.greater_equal(ops.expand_dims(x, -1), boundaries), "int32"), axis=-1)
        return encode_categorical_inputs(indices, self.output_mode, len(boundaries) + 1, self.output_dtype)

    def _depth(self) -> int | None:
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.output_dtype)

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer: rebuilt as adaptable, with the boundaries it learned.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = cls._checked_boundaries(boundaries)
            return layer
        return cls(**config)
