"""Weight initializers (`keras.initializers` names, arguments and defaults)."""

from __future__ import annotations

import math

import numpy as np

import kerasish.backend as kb
from kerasish import random as krandom
from kerasish.backend.dtypes import standardize_dtype
from kerasish.saving.serialization import deserialize_keras_object, serialize_keras_object


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight shape, as Keras computes them.

    With `input_axes` and `output_axes` (Keras 3.15's arguments, which EinsumDense sets)
    the fans are the products of the sizes of those axes.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return float(np.prod([shape[a] for a in input_axes])), float(np.prod([shape[a] for a in output_axes]))
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive_field = float(np.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: `initializer(shape, dtype)` returns a tensor."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__`.")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class Constant(Initializer):
    """Fills the tensor with `value`."""
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return kb.get().full(tuple(shape), self.value, standardize_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    """Fills the tensor with zeros."""
    def __call__(self, shape, dtype=None):
        return kb.get().zeros(tuple(shape), standardize_dtype(dtype))


class Ones(Initializer):
    """Fills the tensor with ones."""
    def __call__(self, shape, dtype=None):
        return kb.get().ones(tuple(shape), standardize_dtype(dtype))


class Identity(Initializer):
    """The identity matrix times `gain` (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape. Received: shape={tuple(shape)}")
        b = kb.get()
        return b.multiply(b.eye(shape[0], shape[1], standardize_dtype(dtype)), self.gain)

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """An initializer drawing from a seed: the same seed gives the same values."""

    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
            raise ValueError(f"Argument `seed` must be an integer or None. Received: seed={seed!r}")
        self._init_seed = seed
        self.seed = krandom.make_default_seed() if seed is None else int(seed)

    def get_config(self):
        return {"seed": self._init_seed}


class RandomNormal(RandomInitializer):
    """Draws from a normal distribution of `mean` and `stddev`."""
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return krandom.normal(shape, self.mean, self.stddev, dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Draws uniformly from `[minval, maxval)`."""
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return krandom.uniform(shape, self.minval, self.maxval, dtype, seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Draws from a normal distribution of `mean` and `stddev`, truncated at two standard deviations."""
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return krandom.truncated_normal(shape, self.mean, self.stddev, dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Draws with a variance of `scale / n`, n from the weight's fans (`mode`)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None,
                 output_axes=None):
        super().__init__(seed)
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Argument `mode` must be 'fan_in', 'fan_out' or 'fan_avg'. Received: mode={mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "Argument `distribution` must be 'truncated_normal', 'untruncated_normal' or 'uniform'. "
                f"Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated to [-2, 2].
            stddev = math.sqrt(scale) / 0.87962566103423978
            return krandom.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return krandom.normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return krandom.uniform(shape, -limit, limit, dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config(),
                **self._axes_config()}

    def _axes_config(self) -> dict:
        # Written only when set, so that Keras versions before 3.15 still read the config.
        if self.input_axes is None and self.output_axes is None:
            return {}
        return {"input_axes": self.input_axes, "output_axes": self.output_axes}


def _preset(name, scale, mode, distribution, doc):
    class Preset(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                             input_axes=input_axes, output_axes=output_axes)

        def get_config(self):
            return {"seed": self._init_seed, **self._axes_config()}

    Preset.__name__ = Preset.__qualname__ = name
    Preset.__doc__ = doc
    Preset.__module__ = __name__
    return Preset


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform", "Uniform in ±sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal", "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "Uniform in ±sqrt(6 / fan_in).")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(2 / fan_in).")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "Uniform in ±sqrt(3 / fan_in).")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(1 / fan_in).")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal draw."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank 2 or more. Received: shape={tuple(shape)}")
        rows = int(np.prod(shape[:-1]))
        cols = int(shape[-1])
        flat = (max(rows, cols), min(rows, cols))
        draw = np.asarray(kb.get().to_numpy(krandom.normal(flat, dtype="float32", seed=self.seed)), dtype=np.float64)
        q, r = np.linalg.qr(draw)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return kb.get().convert_to_tensor((self.gain * q).reshape(shape), dtype=standardize_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


ALL_OBJECTS = {
    cls.__name__: cls
    for cls in (
        Constant, Zeros, Ones, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
        GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal,
    )
}
_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
    "random_normal": RandomNormal, "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    # Keras's short aliases ("uniform" is Embedding's default).
    "uniform": RandomUniform, "normal": RandomNormal, "one": Ones, "zero": Zeros,
}


def serialize(initializer):
    """An initializer's config dict, for saving."""
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """Rebuilds an initializer from its name or its config dict."""
    return deserialize_keras_object(config, {**ALL_OBJECTS, **_ALIASES}, custom_objects, kind="initializer")


def get(identifier):
    """An initializer from an instance, a callable, a string name or a config dict."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = deserialize(identifier)
        return cls() if isinstance(cls, type) else cls
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


globals().update(
    {
        "constant": Constant, "zeros": Zeros, "ones": Ones, "glorot_uniform": GlorotUniform,
        "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
        "random_normal": RandomNormal, "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
        "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "orthogonal": Orthogonal,
        "variance_scaling": VarianceScaling,
    }
)
