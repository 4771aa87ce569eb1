"""Configs of every model kind: from_config(get_config()), to_json/model_from_json, clone_model."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops


@keras.saving.register_keras_serializable(package="Tests")
class Scale(keras.Layer):
    """A custom layer with one weight and an argument, relying on the automatic config."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor


@keras.saving.register_keras_serializable(package="Tests")
class Tower(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.scale = Scale(0.5)

    def call(self, x):
        return self.scale(self.hidden(x))


def _same_outputs(a, b, x):
    got, want = b(x), a(x)
    got, want = (got, want) if isinstance(got, list) else ([got], [want])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(ops.convert_to_numpy(g), ops.convert_to_numpy(w), rtol=1e-6)


def _models():
    keras.utils.clear_session()
    seq = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="tanh"), Scale(3.0), layers.Dense(2)])
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(5)(inputs)
    functional = keras.Model(inputs, [layers.Dense(1)(h), Scale()(h)])
    return {"sequential": seq, "functional": functional}


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_from_config_and_json(backend, kind):
    model = _models()[kind]
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    config = model.get_config()
    json.dumps(config)  # JSON-able
    clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    _same_outputs(model, clone, x)
    restored = keras.models.model_from_json(model.to_json())
    restored.set_weights(model.get_weights())
    _same_outputs(model, restored, x)
    payload = json.loads(model.to_json())
    assert payload["class_name"] == ("Sequential" if kind == "sequential" else "Functional")


def test_subclassed_model_config(backend):
    model = Tower(units=4, name="tower")
    x = np.ones((2, 3), "float32")
    model(x)
    config = model.get_config()
    assert config["units"] == 4 and config["name"] == "tower"
    clone = Tower.from_config(config)
    clone(x)
    clone.set_weights(model.get_weights())
    _same_outputs(model, clone, x)
    assert Scale(1.5).get_config()["factor"] == 1.5


def test_layer_without_config_support_says_so(backend):
    class Bad(keras.Layer):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def call(self, x):
            return self.fn(x)

    with pytest.raises(NotImplementedError, match="must override `get_config"):
        Bad(lambda t: t).get_config()


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_clone_model(backend, kind):
    model = _models()[kind]
    clone = keras.models.clone_model(model)
    assert clone is not model
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    clone.set_weights(model.get_weights())
    _same_outputs(model, clone, np.ones((2, 4), "float32"))


def test_ops_calls_in_a_graph_round_trip(backend):
    keras.utils.clear_session()
    a = keras.Input(shape=(3,))
    b = keras.Input(shape=(3,))
    h = ops.concatenate([ops.add(a, b), ops.multiply(a, 2.0)], axis=-1)
    model = keras.Model([a, b], layers.Dense(2)(h))
    config = model.get_config()
    kinds = {c["class_name"]: c["module"] for c in config["layers"]}
    assert kinds["Add"] == "keras.src.ops.numpy" and kinds["Concatenate"] == "keras.src.ops.numpy"
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")]
    np.testing.assert_allclose(ops.convert_to_numpy(clone(x)), ops.convert_to_numpy(model(x)), rtol=1e-6)
