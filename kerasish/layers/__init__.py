"""Layers (`keras.layers` names)."""

from kerasish.layers.core import Activation, Dense, Identity, Masking
from kerasish.layers.einsum_dense import EinsumDense
from kerasish.layers.embedding import Embedding
from kerasish.layers.input_layer import Input, InputLayer
from kerasish.layers.lambda_layer import Lambda
from kerasish.layers.layer import Layer
from kerasish.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from kerasish.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
)
from kerasish.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from kerasish.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer", "Layer", "Masking", "deserialize", "serialize"]
__all__ += [
    "ActivityRegularization", "BatchNormalization", "GaussianDropout", "GaussianNoise", "GroupNormalization",
    "LayerNormalization", "RMSNormalization", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
]

__all__ += [
    "Add", "Average", "Concatenate", "Cropping1D", "Cropping2D", "Dot", "EinsumDense", "Embedding", "Lambda",
    "Maximum", "Minimum", "Multiply", "Permute", "RepeatVector", "Reshape", "Subtract", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum",
    "minimum", "multiply", "subtract",
]


def serialize(layer):
    from kerasish.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    from kerasish.saving.serialization import deserialize_keras_object

    objects = {name: obj for name, obj in globals().items() if isinstance(obj, type) and issubclass(obj, Layer)}
    from kerasish import models

    objects.update({"Sequential": models.Sequential, "Model": models.Functional, "Functional": models.Functional})
    return deserialize_keras_object(config, objects, custom_objects, kind="layer")
