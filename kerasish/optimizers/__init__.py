"""Optimizers (`keras.optimizers`): the `Optimizer` base, the built-in optimizers, and lookup by name."""

from __future__ import annotations

import inspect

from kerasish.optimizers import schedules
from kerasish.optimizers.adadelta import Adadelta
from kerasish.optimizers.adafactor import Adafactor
from kerasish.optimizers.adagrad import Adagrad
from kerasish.optimizers.adam import Adam
from kerasish.optimizers.adamax import Adamax
from kerasish.optimizers.adamw import AdamW
from kerasish.optimizers.base_optimizer import (
    BaseOptimizer,
    Optimizer,
    UnrecognizedArgumentsError,
    clip_by_global_norm,
    global_norm,
)
from kerasish.optimizers.ftrl import Ftrl
from kerasish.optimizers.lion import Lion
from kerasish.optimizers.nadam import Nadam
from kerasish.optimizers.rmsprop import RMSprop
from kerasish.optimizers.sgd import SGD
from kerasish.saving.serialization import (
    deserialize_keras_object,
    serialize_keras_object,
    unknown_name_error,
)

ALL_OBJECTS = (
    Optimizer,
    SGD,
    Adam,
    RMSprop,
    AdamW,
    Adamax,
    Nadam,
    Adagrad,
    Adadelta,
    Adafactor,
    Lion,
    Ftrl,
)
# Built-in optimizers are looked up case-insensitively ("Adam", "adam", "ADAM").
ALL_OBJECTS_DICT: dict[str, type] = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer: Optimizer) -> dict:
    """The optimizer's config dict, in Keras's format (hyperparameters, not state)."""
    return serialize_keras_object(optimizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """A new optimizer from `serialize`'s output (class names are case-insensitive)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not deserialize optimizer: expected a dict with 'class_name'. Received: {config!r}"
        )
    config = dict(config)
    if config["class_name"].lower() in ALL_OBJECTS_DICT:
        config["class_name"] = config["class_name"].lower()
    return deserialize_keras_object(config, ALL_OBJECTS_DICT, custom_objects, kind="optimizer")


def get(identifier) -> Optimizer | None:
    """An optimizer from a name ("adam", "AdamW", "sgd"; any case), a config, a class or an instance.

    Raises:
        ValueError: for an unknown name (with the closest known names), or an
            identifier that is none of the above.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier.lower())
        if cls is None or cls is Optimizer:
            raise unknown_name_error(
                "optimizer", identifier, [n for n in ALL_OBJECTS_DICT if n != "optimizer"]
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "BaseOptimizer",
    "Ftrl",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "UnrecognizedArgumentsError",
    "clip_by_global_norm",
    "deserialize",
    "get",
    "global_norm",
    "schedules",
    "serialize",
]
