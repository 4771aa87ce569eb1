"""Metrics (`keras.metrics`): the `Metric` base, built-in metrics, and lookup by name or config."""

from __future__ import annotations

import inspect
from typing import Any

from kerasish.losses.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from kerasish.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
)
from kerasish.metrics.metric import Metric
from kerasish.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kerasish.metrics.regression_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
)
from kerasish.saving.serialization import (
    deserialize_keras_object,
    serialize_keras_object,
    unknown_name_error,
)

ALL_OBJECTS = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    mean_squared_error,
    mean_absolute_error,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
    }
)
# What `get` accepts: "accuracy" names the metric there (`compile` picks the binary,
# categorical or sparse variant itself before asking), while in a config the name
# "accuracy" is a serialized function.
_NAMES: dict[str, Any] = {**ALL_OBJECTS_DICT, "accuracy": Accuracy, "acc": Accuracy}


def serialize(metric) -> Any:
    """A JSON-able description of `metric` (a config dict, or a function's name)."""
    return serialize_keras_object(metric)


def deserialize(config, custom_objects: dict | None = None):
    """The metric (instance or function) that `config` describes."""
    return deserialize_keras_object(config, ALL_OBJECTS_DICT, custom_objects, kind="metric")


def get(identifier):
    """A metric from a name, a config dict, a `Metric` (class or instance) or a function.

    Class names ("BinaryAccuracy") and "accuracy"/"acc" give a `Metric` instance;
    other snake-case names ("binary_accuracy", "mse") give the function, as in Keras.

    Raises:
        ValueError: for an unknown name (with the closest known names), or an
            identifier that is none of the above.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _NAMES.get(identifier)
        if obj is None:
            raise unknown_name_error("metric", identifier, _NAMES)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "Sum",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "deserialize",
    "get",
    "mean_absolute_error",
    "mean_squared_error",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
]
