"""Core layers and the Layer base: numbers with hand-picked weights, tracking, config."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops


def test_dense_hand_picked(backend):
    layer = layers.Dense(2, activation="relu")
    layer.build((None, 3))
    kernel = np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], "float32")
    bias = np.array([0.1, -0.2], "float32")
    layer.set_weights([kernel, bias])
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]], "float32")
    expected = np.maximum(x @ kernel + bias, 0.0)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, rtol=1e-6)
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.count_params() == 8


def test_dense_applies_to_last_axis(backend):
    layer = layers.Dense(4, use_bias=False)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    out = ops.convert_to_numpy(layer(x))
    assert out.shape == (2, 5, 4)
    np.testing.assert_allclose(out, x @ layer.kernel.numpy(), rtol=1e-5, atol=1e-6)
    assert len(layer.weights) == 1


def test_dense_bad_arguments_and_shapes(backend):
    with pytest.raises(ValueError, match="positive integer. Received: units=-3"):
        layers.Dense(-3)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Dense"):
        layers.Dense(3, bogus=1)
    layer = layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="expected the last axis to be 3, found 4"):
        layer(np.ones((1, 4), "float32"))
    with pytest.raises(ValueError, match="min_ndim=2, found ndim=1"):
        layers.Dense(2)(np.ones((3,), "float32"))


def test_unknown_activation_suggests(backend):
    with pytest.raises(ValueError, match="Did you mean 'relu'"):
        layers.Dense(2, activation="rleu")


@pytest.mark.parametrize(
    "name, fn",
    [
        ("relu", lambda x: np.maximum(x, 0)),
        ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
        ("tanh", np.tanh),
        ("softplus", lambda x: np.log1p(np.exp(x))),
        ("linear", lambda x: x),
        ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
        ("elu", lambda x: np.where(x > 0, x, np.expm1(x))),
        ("swish", lambda x: x / (1 + np.exp(-x))),
    ],
)
def test_activation_layer(backend, name, fn):
    x = np.linspace(-3, 3, 12, dtype="float32").reshape(2, 6)
    out = ops.convert_to_numpy(layers.Activation(name)(x))
    np.testing.assert_allclose(out, fn(x.astype("float64")), rtol=1e-5, atol=1e-6)


def test_dropout_training_and_inference(backend):
    layer = layers.Dropout(0.5, seed=1)
    x = np.ones((200, 50), "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), x)
    out = ops.convert_to_numpy(layer(x, training=True))
    kept = out != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(out[kept], 2.0)
    out2 = ops.convert_to_numpy(layer(x, training=True))
    assert not np.array_equal(out, out2), "each call draws a new mask"
    with pytest.raises(ValueError, match="between 0 and 1. Received: rate=1.5"):
        layers.Dropout(1.5)


def test_flatten(backend):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(ops.convert_to_numpy(layers.Flatten()(x)), x.reshape(2, 12))
    cf = ops.convert_to_numpy(layers.Flatten(data_format="channels_first")(x))
    np.testing.assert_array_equal(cf, x.transpose(0, 2, 1).reshape(2, 12))
    assert layers.Flatten().compute_output_shape((None, 3, 4)) == (None, 12)


def test_auto_names_are_unique(backend):
    keras.utils.clear_session()
    a, b = layers.Dense(1), layers.Dense(1)
    assert (a.name, b.name) == ("dense", "dense_1")
    keras.utils.clear_session()
    assert layers.Dense(1).name == "dense"


def test_config_round_trip(backend):
    layer = layers.Dense(3, activation="tanh", use_bias=False, kernel_regularizer="l2", name="d")
    config = layer.get_config()
    assert config["activation"] == "tanh"
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    restored = layers.deserialize(layers.serialize(layer))
    assert isinstance(restored, layers.Dense) and restored.units == 3


def test_symbolic_call_infers_shapes(backend):
    x = keras.Input(shape=(5,))
    assert x.shape == (None, 5)
    y = layers.Dense(3)(x)
    assert isinstance(y, keras.KerasTensor) and y.shape == (None, 3)
    z = ops.concatenate([y, y], axis=-1)
    assert z.shape == (None, 6)
    w = layers.Flatten()(keras.Input(shape=(2, 3)))
    assert w.shape == (None, 6)


def test_custom_layer_tracking_and_training_flag(backend):
    class Block(keras.Layer):
        def __init__(self):
            super().__init__()
            self.inner = [layers.Dense(4), layers.Dense(2)]
            self.drop = layers.Dropout(0.5, seed=3)
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x, training=None):
            return self.drop(self.inner[1](self.inner[0](x)), training=training) * self.scale

    block = Block()
    x = np.ones((3, 5), "float32")
    block(x)
    assert len(block.weights) == 5
    assert len(block.trainable_weights) == 5
    assert len(block.non_trainable_variables) == 1  # the dropout seed state
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 5
    block.inner[0].trainable = True
    # Freezing the parent again after a child was unfrozen:
    block.trainable = False
    assert not block.inner[0].trainable


def test_input_shape_kwarg_makes_an_input(backend):
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(1)])
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 1)
    assert model.count_params() == 3 * 4 + 4 + 4 + 1


def test_stateless_call_does_not_mutate(backend):
    layer = layers.Dense(2)
    x = np.ones((1, 3), "float32")
    layer(x)
    before = layer.get_weights()
    new_kernel = np.full((3, 2), 2.0, "float32")
    out, non_trainable = layer.stateless_call([new_kernel, np.zeros(2, "float32")], [], x)
    np.testing.assert_allclose(ops.convert_to_numpy(out), np.full((1, 2), 6.0))
    for w, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_set_weights_checks_before_changing(backend):
    layer = layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"weight shape \(2,\) is not compatible with provided weight shape \(3,\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])
    for w, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(w, b)
