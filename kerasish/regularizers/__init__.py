"""Weight regularizers (`keras.regularizers` names): penalties added to the loss."""

from __future__ import annotations

from kerasish import ops
from kerasish.saving.serialization import deserialize_keras_object, serialize_keras_object


def _check(name, value):
    value = float(value)
    if value < 0:
        raise ValueError(f"Argument `{name}` must be non-negative. Received: {name}={value}")
    return value


class Regularizer:
    """Base class: `regularizer(weight)` returns a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x**2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _check("l1", l1), _check("l2", l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """The penalty `l1 * sum(|x|)`."""
    def __init__(self, l1=0.01):
        self.l1 = _check("l1", l1)

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """The penalty `l2 * sum(x**2)`."""
    def __init__(self, l2=0.01):
        self.l2 = _check("l2", l2)

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


ALL_OBJECTS = {"Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2}


def serialize(regularizer):
    """A regularizer's config dict, for saving."""
    return serialize_keras_object(regularizer)


def get(identifier):
    """A regularizer from a name, a config dict or a regularizer (None stays None)."""
    if identifier is None:
        return None
    if isinstance(identifier, Regularizer) or (callable(identifier) and not isinstance(identifier, (str, type))):
        return identifier
    obj = deserialize_keras_object(identifier, ALL_OBJECTS, kind="regularizer")
    return obj() if isinstance(obj, type) else obj
