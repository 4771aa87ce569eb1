"""Metrics (`keras.metrics`): the `Metric` base, built-in metrics, and lookup by name or config."""

from __future__ import annotations

import inspect
from typing import Any

from kerasish.losses.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from kerasish.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from kerasish.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from kerasish.metrics.f_score_metrics import F1Score, FBetaScore
from kerasish.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from kerasish.metrics.iou_metrics import IoU, MeanIoU
from kerasish.metrics.metric import Metric
from kerasish.metrics.probabilistic_metrics import KLDivergence, Poisson
from kerasish.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kerasish.metrics.regression_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
)
from kerasish.saving.serialization import (
    deserialize_keras_object,
    serialize_keras_object,
    unknown_name_error,
)
from kerasish.utils.naming import to_snake_case

METRIC_CLASSES = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
)
METRIC_FUNCTIONS = (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    hinge,
    squared_hinge,
    categorical_hinge,
    huber,
    log_cosh,
)
ALL_OBJECTS = METRIC_CLASSES + METRIC_FUNCTIONS
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "kullback_leibler_divergence": kl_divergence,
        "logcosh": log_cosh,
    }
)
# A metric class with no function of its own is also found by its snake-case name
# ("auc", "precision", "f1_score", "root_mean_squared_error", "r2_score"), as in
# Keras; where a function has that name ("mean_squared_error"), the function stays.
for _cls in METRIC_CLASSES:
    ALL_OBJECTS_DICT.setdefault(to_snake_case(_cls.__name__), _cls)
del _cls

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
    *(cls.__name__ for cls in METRIC_CLASSES),
    *(fn.__name__ for fn in METRIC_FUNCTIONS),
    "deserialize",
    "get",
    "serialize",
]
