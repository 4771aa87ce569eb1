"""Weight constraints (`keras.constraints` names), applied after each optimizer update."""

from __future__ import annotations

from kerasish import ops
from kerasish.backend.config import epsilon
from kerasish.saving.serialization import deserialize_keras_object, serialize_keras_object


class Constraint:
    """Base class: `constraint(weight)` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NonNeg(Constraint):
    """Weights non-negative."""

    def __call__(self, w):
        return ops.multiply(w, ops.cast(ops.greater_equal(w, 0.0), ops.dtype(w)))


class MaxNorm(Constraint):
    """The norm of each slice along `axis` at most `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.clip(norms, 0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(norms, epsilon())))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class UnitNorm(Constraint):
    """Scales each weight slice along `axis` to a norm of 1."""
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        return ops.divide(w, ops.add(norms, epsilon()))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the norm of each weight slice along `axis` into `[min_value, max_value]`, at `rate`."""
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.add(
            ops.multiply(self.rate, ops.clip(norms, self.min_value, self.max_value)),
            ops.multiply(1.0 - self.rate, norms),
        )
        return ops.multiply(w, ops.divide(desired, ops.add(norms, epsilon())))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


ALL_OBJECTS = {
    "Constraint": Constraint, "NonNeg": NonNeg, "MaxNorm": MaxNorm, "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm, "non_neg": NonNeg, "max_norm": MaxNorm, "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}


def serialize(constraint):
    """A constraint's config dict, for saving."""
    return serialize_keras_object(constraint)


def get(identifier):
    """A constraint from a name, a config dict or a constraint (None stays None)."""
    if identifier is None:
        return None
    if isinstance(identifier, Constraint) or (callable(identifier) and not isinstance(identifier, (str, type))):
        return identifier
    obj = deserialize_keras_object(identifier, ALL_OBJECTS, kind="constraint")
    return obj() if isinstance(obj, type) else obj
