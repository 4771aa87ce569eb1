"""Masks travel through Sequential and Functional models to the layers that use them."""

from __future__ import annotations

import numpy as np

import kerasish as keras
from kerasish import layers, ops


class MaskedMean(keras.Layer):
    """Averages over time, skipping masked steps (a test layer that consumes a mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, ops.dtype(inputs)), -1)
        return ops.divide(ops.sum(ops.multiply(inputs, weights), axis=1), ops.sum(weights, axis=1))

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def _padded():
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]], [[5.0, 6.0], [0.0, 0.0], [0.0, 0.0]]], "float32")
    expected = np.array([[2.0, 3.0], [5.0, 6.0]], "float32")
    return x, expected


def test_masking_in_sequential(backend):
    x, expected = _padded()
    model = keras.Sequential([keras.Input(shape=(3, 2)), layers.Masking(0.0), layers.Activation("linear"), MaskedMean()])
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), expected, rtol=1e-6)
    mask = ops.convert_to_numpy(layers.Masking(0.0).compute_mask(x))
    np.testing.assert_array_equal(mask, [[True, True, False], [True, False, False]])


def test_masking_in_functional(backend):
    x, expected = _padded()
    inputs = keras.Input(shape=(3, 2))
    masked = layers.Masking(0.0)(inputs)
    hidden = layers.Dense(2, kernel_initializer="identity", use_bias=False)(masked)  # passes the mask on
    outputs = MaskedMean()(hidden)
    model = keras.Model(inputs, outputs)
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), expected, rtol=1e-6)
    # A layer that does not support masking stops the mask.
    blocked = keras.Model(inputs, MaskedMean()(keras.layers.Layer()(masked)))
    np.testing.assert_allclose(ops.convert_to_numpy(blocked(x)), x.mean(axis=1), rtol=1e-6)
