"""Regularization layers: spatial dropouts, Gaussian noise and dropout, activity regularization."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _check_whole_maps_dropped(out, x, rate, channel_axis):
    """Every (example, channel) map is either all zero or all x / (1 - rate)."""
    moved = np.moveaxis(out, channel_axis, 1).reshape(out.shape[0], out.shape[channel_axis], -1)
    source = np.moveaxis(x, channel_axis, 1).reshape(moved.shape)
    dropped = np.all(moved == 0, axis=-1)
    kept = np.all(np.isclose(moved, source / (1 - rate), rtol=1e-6), axis=-1)
    assert np.all(dropped | kept), "a feature map was partly dropped"
    assert 0.3 < dropped.mean() < 0.7, f"dropped fraction {dropped.mean()} is far from rate={rate}"


def test_spatial_dropout_1d(backend, rng):
    x = rng.uniform(1.0, 2.0, size=(40, 6, 10)).astype("float32")
    layer = layers.SpatialDropout1D(0.5, seed=3)
    np.testing.assert_array_equal(_np(layer(x)), x)
    out = _np(layer(x, training=True))
    _check_whole_maps_dropped(out, x, 0.5, channel_axis=2)
    assert not np.array_equal(out, _np(layer(x, training=True))), "each call draws a new mask"
    np.testing.assert_array_equal(_np(layers.SpatialDropout1D(0.0)(x, training=True)), x)
    np.testing.assert_array_equal(_np(layers.SpatialDropout1D(1.0)(x, training=True)), np.zeros_like(x))


@pytest.mark.parametrize("data_format, channel_axis", [("channels_last", 3), ("channels_first", 1)])
def test_spatial_dropout_2d(backend, rng, data_format, channel_axis):
    x = rng.uniform(1.0, 2.0, size=(30, 5, 4, 6)).astype("float32")
    layer = layers.SpatialDropout2D(0.5, data_format=data_format, seed=1)
    out = _np(layer(x, training=True))
    _check_whole_maps_dropped(out, x, 0.5, channel_axis)


def test_spatial_dropout_3d_and_same_seed_same_mask(backend, rng):
    x = rng.uniform(1.0, 2.0, size=(20, 2, 3, 2, 8)).astype("float32")
    out = _np(layers.SpatialDropout3D(0.5, seed=5)(x, training=True))
    _check_whole_maps_dropped(out, x, 0.5, channel_axis=4)
    again = _np(layers.SpatialDropout3D(0.5, seed=5)(x, training=True))
    np.testing.assert_array_equal(out, again)


def test_spatial_dropout_errors_and_config(backend):
    with pytest.raises(ValueError, match="'sd'.*expected ndim=3, found ndim=2"):
        layers.SpatialDropout1D(0.2, name="sd")(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.SpatialDropout2D(0.2)(keras.Input((3, 4)))
    with pytest.raises(ValueError, match="between 0 and 1. Received: rate=2"):
        layers.SpatialDropout1D(2)
    with pytest.raises(ValueError, match="SpatialDropout2D: argument `data_format`.*Received: data_format='nhwc'"):
        layers.SpatialDropout2D(0.1, data_format="nhwc")
    layer = layers.SpatialDropout2D(0.25, data_format="channels_first", seed=7, name="sd2")
    config = layer.get_config()
    assert config == {"rate": 0.25, "seed": 7, "name": "sd2", "dtype": "float32", "data_format": "channels_first"}
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, layers.SpatialDropout2D) and clone.get_config() == config
    assert layers.SpatialDropout1D(0.1)(keras.Input((5, 3))).shape == (None, 5, 3)


def test_gaussian_noise(backend, rng):
    x = np.full((200, 50), 3.0, "float32")
    layer = layers.GaussianNoise(0.5, seed=2)
    np.testing.assert_array_equal(_np(layer(x)), x)
    noise = _np(layer(x, training=True)) - x
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5) < 0.02
    np.testing.assert_array_equal(_np(layers.GaussianNoise(0.5, seed=2)(x, training=True)) - x, noise)
    with pytest.raises(ValueError, match="GaussianNoise. Expected a float value between 0 and 1. Received: stddev=-1"):
        layers.GaussianNoise(-1)
    config = layer.get_config()
    assert config["stddev"] == 0.5 and config["seed"] == 2
    assert layers.GaussianNoise.from_config(config).get_config() == config


def test_gaussian_dropout(backend, rng):
    x = rng.uniform(1.0, 2.0, size=(300, 40)).astype("float32")
    layer = layers.GaussianDropout(0.2, seed=4)
    np.testing.assert_array_equal(_np(layer(x)), x)
    factor = _np(layer(x, training=True)) / x
    expected_std = np.sqrt(0.2 / 0.8)
    assert abs(factor.mean() - 1.0) < 0.02 and abs(factor.std() - expected_std) < 0.02
    with pytest.raises(ValueError, match=r"GaussianDropout. Expected a float value in \[0, 1\). Received: rate=1"):
        layers.GaussianDropout(1)
    assert layers.GaussianDropout.from_config(layer.get_config()).rate == 0.2


def test_noise_layers_draw_new_noise_each_step_in_a_compiled_call(backend, rng):
    x = np.ones((4, 3), "float32")
    layer = layers.GaussianNoise(0.3, seed=0)
    b = kb.get()
    state = [v.value for v in layer.non_trainable_variables]
    step = b.jit(lambda s, inputs: layer.stateless_call([], s, inputs, training=True))
    first, state = step(state, b.convert_to_tensor(x))
    second, state = step(state, b.convert_to_tensor(x))
    assert not np.array_equal(_np(first), _np(second)), "the seed state comes out of the step and advances"


def test_activity_regularization_adds_penalty(backend, rng):
    x = np.array([[1.0, -2.0], [0.5, 3.0]], "float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(_np(layer(x)), x)
    # As Keras 3 does, the penalty is divided by the batch size (2 here).
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x**2).sum()) / 2
    assert len(layer.losses) == 1
    assert float(_np(layer.losses[0])) == pytest.approx(expected, rel=1e-6)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.01 and "activity_regularizer" not in config
    assert layers.ActivityRegularization.from_config(config).get_config() == config


def test_activity_regularization_in_the_training_loss(backend):
    x = np.array([[1.0, -2.0], [0.5, 3.0]], "float32")
    y = np.zeros((2, 2), "float32")
    model = keras.Sequential([keras.Input((2,)), layers.ActivityRegularization(l2=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(x, y, batch_size=2, verbose=0)
    assert loss == pytest.approx(float((x**2).mean() + 0.5 * (x**2).sum() / 2), rel=1e-5)
