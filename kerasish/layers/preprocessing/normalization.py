"""Normalization (preprocessing): `(x - mean) / sqrt(variance)` with statistics given or learned by `adapt`."""

from __future__ import annotations

import itertools
import math

import numpy as np

import kerasish.backend as kb
from kerasish import ops
from kerasish.layers.layer import Layer


def _first_of_batch(batch):
    """The inputs of a batch that may come as `(x, y)` or `(x, y, sample_weight)`."""
    return batch[0] if isinstance(batch, tuple) else batch


def _host_array(data, layer: Layer):
    if kb.get().is_tensor(data):
        try:
            return np.asarray(kb.get().to_numpy(data))
        except Exception:
            raise TypeError(
                f"Layer {layer.name!r} ({type(layer).__name__}): `adapt` needs concrete data, not a value being "
                "traced inside a compiled function. Call `adapt` outside the training step."
            ) from None
    return np.asarray(data)


class Normalization(Layer):
    """Shifts and scales inputs to mean 0 and variance 1 per feature: `(x - mean) / sqrt(var)`.

    The statistics are given (`mean`, `variance`) or learned from data with
    `adapt(data)` before training; adapted statistics are the non-trainable weights
    "mean", "variance" and "count" (as in Keras 3, "count" is kept for compatibility
    and stays 0). With `invert=True` the layer maps normalized values back.

    Args:
        axis: the axis or axes that keep a separate mean and variance per index
            (default the last one); None for one scalar mean and variance.
        mean: the mean to use (broadcast to the kept axes); needs `variance`.
        variance: the variance to use; needs `mean`.
        invert: apply the inverse transformation, `x * sqrt(var) + mean`.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> layer = keras.layers.Normalization(axis=None)
    >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32"))
    >>> [round(float(v), 4) for v in np.asarray(layer(np.array([1.0, 2.0, 3.0], "float32")))]
    [-1.4142, -0.7071, 0.0]

    Input shape:
        Arbitrary (the kept axes of known size).

    Output shape:
        Same as the input.
    """

    def __init__(self, axis: int | tuple[int, ...] | list[int] | None = -1, mean=None, variance=None,
                 invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        given_axis = axis
        if axis is None:
            axis = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axis = (axis,)
        else:
            try:
                axis = tuple(axis)
            except TypeError:
                raise TypeError(
                    f"Argument `axis` of Normalization must be None, an int or a tuple of ints. Received: axis={axis!r}"
                ) from None
            if isinstance(given_axis, str) or not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
                raise TypeError(
                    "Argument `axis` of Normalization must be None, an int or a tuple of ints. "
                    f"Received: axis={given_axis!r}"
                )
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: when setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean!r} and variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. Received: "
                    f"mean shape {np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"Normalization: the rank of `mean` must be at most the number of axes ({len(self.axis)}). "
                    f"Received: mean shape {np.shape(mean)} for axis={self.axis}"
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._build_input_shape = None

    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"Layer {self.name!r} (Normalization): every `axis` must be in [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._build_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(
                    f"Layer {self.name!r} (Normalization): the kept axes must have a known size. Received "
                    f"axis={self.axis}, input_shape={input_shape}, unknown size at axis {a}"
                )
        self._reduce_axis = tuple(a for a in range(ndim) if a not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[a] if a in self._keep_axis else 1 for a in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[a] for a in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=self._mean_and_var_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=self._mean_and_var_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros", trainable=False)
        else:
            self._fixed_mean = self._broadcast_given(self.input_mean)
            self._fixed_variance = self._broadcast_given(self.input_variance)
        self.built = True

    def _broadcast_given(self, values) -> np.ndarray:
        """A given mean or variance, aligned right-to-left with the kept axes and broadcast."""
        values = np.asarray(values, dtype="float64")
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, values.ndim + 1):
            expanded[self._keep_axis[-i]] = values.shape[-i]
        try:
            return np.broadcast_to(values.reshape(expanded), self._broadcast_shape).astype(self.compute_dtype)
        except ValueError:
            raise ValueError(
                f"Layer {self.name!r} (Normalization): the given mean/variance of shape {values.shape} cannot be "
                f"broadcast to the kept axes {self._keep_axis} of inputs of shape {self._build_input_shape}"
            ) from None

    def adapt(self, data) -> None:
        """Computes the mean and variance of `data` and stores them as the layer's weights.

        Args:
            data: a NumPy array or tensor (all of it at once), or an iterable of batches
                (a list of arrays, a generator; `(x, y)` batches use `x`), combined
                exactly with the parallel-variance formula.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Layer {self.name!r} (Normalization) was given `mean` and `variance`; it cannot also be adapted."
            )
        if isinstance(data, np.ndarray) or kb.get().is_tensor(data):
            batches, first = None, _host_array(data, self)
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes)):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    f"Layer {self.name!r} (Normalization): `adapt` received an empty iterable. Expected at least one "
                    "batch, e.g. layer.adapt([x]) or layer.adapt(array)."
                )
            first = _host_array(_first_of_batch(first), self)
            batches = itertools.chain([first], (_host_array(_first_of_batch(b), self) for b in iterator))
        else:
            raise TypeError(
                f"Layer {self.name!r} (Normalization): `adapt` takes a NumPy array, a tensor or an iterable of "
                f"batches. Received: {type(data).__name__}"
            )
        input_shape = first.shape
        if not self.built:
            self.build(input_shape)
        self._check_adapt_shape(input_shape)
        if batches is None:
            total_mean = first.mean(axis=self._reduce_axis, dtype="float64")
            total_var = first.var(axis=self._reduce_axis, dtype="float64")
        else:
            total_mean = np.zeros(self._mean_and_var_shape)
            total_var = np.zeros(self._mean_and_var_shape)
            total_count = 0
            for batch in batches:
                self._check_adapt_shape(batch.shape)
                batch_mean = batch.mean(axis=self._reduce_axis, dtype="float64")
                batch_var = batch.var(axis=self._reduce_axis, dtype="float64")
                batch_count = math.prod(batch.shape[a] for a in self._reduce_axis)
                total_count += batch_count
                weight = batch_count / total_count
                new_mean = total_mean * (1 - weight) + batch_mean * weight
                # Combining variances exactly: each part's spread around the new mean.
                total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - weight) + (
                    batch_var + (batch_mean - new_mean) ** 2
                ) * weight
                total_mean = new_mean
        self.adapt_mean.assign(np.asarray(total_mean, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(total_var, dtype=self.adapt_variance.dtype))

    def _check_adapt_shape(self, shape) -> None:
        built = self._build_input_shape
        if len(shape) != len(built) or any(shape[a] != built[a] for a in self._keep_axis):
            raise ValueError(
                f"Layer {self.name!r} (Normalization) was built with input_shape={built}, but adapt() received "
                f"data of an incompatible shape: {tuple(shape)}"
            )

    def call(self, inputs):
        dtype = self.compute_dtype
        inputs = ops.cast(inputs, dtype)
        if self.input_mean is None:
            # Read through the variables so that a stateless call (fit) sees their current values.
            mean = ops.reshape(ops.cast(self.adapt_mean, dtype), self._broadcast_shape)
            variance = ops.reshape(ops.cast(self.adapt_variance, dtype), self._broadcast_shape)
        else:
            mean, variance = self._fixed_mean, self._fixed_variance
        std = ops.maximum(ops.sqrt(variance), kb.epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(inputs, std))
        return ops.divide(ops.subtract(inputs, mean), std)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    def get_build_config(self):
        if self._build_input_shape:
            return {"input_shape": self._build_input_shape}
        return None

    def build_from_config(self, config):
        if config and not self.built:
            self.build(config["input_shape"])
