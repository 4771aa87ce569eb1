"""Layers (`keras.layers` names)."""

from kerasish.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerasish.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
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
from kerasish.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from kerasish.layers.preprocessing import (
    CategoryEncoding,
    Discretization,
    IntegerLookup,
    Normalization,
    Rescaling,
    StringLookup,
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
from kerasish.layers.rnn import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer", "Layer", "Masking", "deserialize", "serialize"]
__all__ += [
    "ActivityRegularization", "BatchNormalization", "GaussianDropout", "GaussianNoise", "GroupNormalization",
    "LayerNormalization", "RMSNormalization", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "CategoryEncoding", "Discretization", "IntegerLookup", "Normalization", "Rescaling", "StringLookup",
]

__all__ += [
    "Add", "Average", "Concatenate", "Cropping1D", "Cropping2D", "Dot", "EinsumDense", "Embedding", "Lambda",
    "Maximum", "Minimum", "Multiply", "Permute", "RepeatVector", "Reshape", "Subtract", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum",
    "minimum", "multiply", "subtract",
]
__all__ += ["AdditiveAttention", "Attention", "MultiHeadAttention"]

__all__ += [  # convolution and pooling
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "Convolution1D",
    "Convolution2D", "Convolution2DTranspose", "Convolution3D", "Convolution3DTranspose", "DepthwiseConv1D",
    "DepthwiseConv2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPool3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPool1D",
    "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "SeparableConv1D",
    "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
]

__all__ += [  # recurrent
    "GRU", "LSTM", "RNN", "Bidirectional", "GRUCell", "LSTMCell", "SimpleRNN", "SimpleRNNCell", "StackedRNNCells",
    "TimeDistributed",
]


def serialize(layer):
    """A layer's config as a dict (`{"class_name": ..., "config": ...}`), for saving."""
    from kerasish.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Rebuilds a layer (or a Sequential or Functional model) from what `serialize` returns."""
    from kerasish.saving.serialization import deserialize_keras_object

    objects = {name: obj for name, obj in globals().items() if isinstance(obj, type) and issubclass(obj, Layer)}
    from kerasish import models

    objects.update({"Sequential": models.Sequential, "Model": models.Functional, "Functional": models.Functional})
    return deserialize_keras_object(config, objects, custom_objects, kind="layer")
