"""Saving and loading (`keras.saving` names): models, weights, configs and custom objects."""

from kerasish.saving.loading import LoadReport, WeightMismatchError
from kerasish.saving.saving_api import load_model, load_weights, save_model, save_weights
from kerasish.saving.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    enable_unsafe_deserialization,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope",
    "LoadReport",
    "WeightMismatchError",
    "custom_object_scope",
    "deserialize_keras_object",
    "enable_unsafe_deserialization",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
