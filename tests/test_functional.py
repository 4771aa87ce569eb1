"""Functional models: graphs with branches, shared layers, nested models; config round trips."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops


def test_multi_input_multi_output_shared_and_nested(backend):
    keras.utils.clear_session()
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(4,), name="b")
    shared = layers.Dense(3, name="shared")
    inner_in = keras.Input(shape=(3,))
    inner = keras.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    ha, hb = shared(a), shared(b)
    merged = ops.concatenate([ha, hb], axis=-1)
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = inner(ha)
    model = keras.Model({"a": a, "b": b}, [out1, out2])
    assert model.output_shape == [(None, 1), (None, 2)]
    assert [layer.name for layer in model.layers if isinstance(layer, keras.layers.InputLayer)] == ["a", "b"]
    xa = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    xb = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    y1, y2 = model({"a": xa, "b": xb})
    k, bias = shared.get_weights()
    h_a, h_b = xa @ k + bias, xb @ k + bias
    k1, b1 = model.get_layer("out1").get_weights()
    np.testing.assert_allclose(ops.convert_to_numpy(y1), np.concatenate([h_a, h_b], -1) @ k1 + b1, rtol=1e-5, atol=1e-5)
    k2, b2 = inner.layers[-1].get_weights()
    np.testing.assert_allclose(ops.convert_to_numpy(y2), h_a @ k2 + b2, rtol=1e-5, atol=1e-5)
    # shared weights counted once: 4*3+3 + 6*1+1 + 3*2+2
    assert model.count_params() == 15 + 7 + 8


def test_graph_sequential_subclass_agree(backend):
    keras.utils.clear_session()
    inputs = keras.Input(shape=(6,))
    x = layers.Dense(5, activation="relu")(inputs)
    graph = keras.Model(inputs, layers.Dense(2)(x))
    seq = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(5, activation="relu"), layers.Dense(2)])

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(5, activation="relu")
            self.d2 = layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    sub = Sub()
    sub.build((None, 6))
    weights = graph.get_weights()
    seq.set_weights(weights)
    sub.set_weights(weights)
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    expected = ops.convert_to_numpy(graph(x))
    np.testing.assert_allclose(ops.convert_to_numpy(seq(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(sub(x)), expected, rtol=1e-6)
    assert graph.count_params() == seq.count_params() == sub.count_params() == 6 * 5 + 5 + 5 * 2 + 2


def test_functional_config_round_trip(backend):
    keras.utils.clear_session()
    a = keras.Input(shape=(3,), name="in_a")
    shared = layers.Dense(4, activation="tanh")
    h1, h2 = shared(a), shared(layers.Dense(3)(a))
    out = layers.Dense(1)(layers.Activation("relu")(h1))
    model = keras.Model(a, [out, h2])
    config = model.get_config()
    clone = keras.models.Functional.from_config(config)
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3), "float32")
    for got, want in zip(clone(x), model(x)):
        np.testing.assert_allclose(ops.convert_to_numpy(got), ops.convert_to_numpy(want), rtol=1e-6)


def test_disconnected_graph_names_the_input(backend):
    a = keras.Input(shape=(3,), name="first")
    b = keras.Input(shape=(3,), name="second")
    out = layers.Dense(1)(ops.add(a, b))
    with pytest.raises(ValueError, match="Graph disconnected.*second"):
        keras.Model(a, out)


def test_shape_mismatch_names_layer(backend):
    a = keras.Input(shape=(3,))
    dense = layers.Dense(2, name="narrow")
    dense(a)
    with pytest.raises(ValueError, match="narrow.*expected the last axis to be 3, found 5"):
        dense(keras.Input(shape=(5,)))


def test_functional_trains(backend):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 1e-3
    np.testing.assert_allclose(model.layers[-1].kernel.numpy()[:, 0], [1.0, -2.0, 0.5], atol=0.05)


def test_multi_output_training_logs_and_weights(backend):
    keras.utils.clear_session()
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y_reg = x @ rng.normal(size=(4, 1)).astype("float32")
    y_cls = (x[:, 0] > 0).astype("int32")
    inputs = keras.Input(shape=(4,), name="features")
    hidden = layers.Dense(8, activation="relu")(inputs)
    reg = layers.Dense(1, name="reg")(hidden)
    cls = layers.Dense(2, activation="softmax", name="cls")(hidden)
    model = keras.Model(inputs, [reg, cls])
    model.compile(
        optimizer="adam",
        loss=["mse", "sparse_categorical_crossentropy"],
        loss_weights=[0.5, 2.0],
        metrics=[["mae"], ["accuracy"]],
    )
    history = model.fit(x, [y_reg, y_cls], epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"}
    logs = model.evaluate(x, [y_reg, y_cls], batch_size=64, verbose=0, return_dict=True)
    pred_reg, pred_cls = model.predict(x, verbose=0)
    mse = float(np.mean((pred_reg - y_reg) ** 2))
    ce = float(-np.mean(np.log(np.clip(pred_cls[np.arange(64), y_cls], 1e-7, 1))))
    assert logs["reg_loss"] == pytest.approx(mse, rel=1e-4)
    assert logs["cls_loss"] == pytest.approx(ce, rel=1e-4)
    assert logs["loss"] == pytest.approx(0.5 * mse + 2.0 * ce, rel=1e-4)
    assert logs["reg_mae"] == pytest.approx(float(np.mean(np.abs(pred_reg - y_reg))), rel=1e-4)
    assert logs["cls_accuracy"] == pytest.approx(float(np.mean(pred_cls.argmax(1) == y_cls)))
    # Dict losses and targets by output name give the same numbers.
    model.compile(optimizer="adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0})
    logs2 = model.evaluate(x, {"reg": y_reg, "cls": y_cls}, batch_size=64, verbose=0, return_dict=True)
    assert logs2["loss"] == pytest.approx(logs["loss"], rel=1e-5)
    with pytest.raises(ValueError, match="as many entries as the model has outputs"):
        model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], metrics=["mae"])
        model.evaluate(x, [y_reg, y_cls], verbose=0)


def test_subclassed_summary_shows_shapes(backend):
    keras.utils.clear_session()

    class Net(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(3)

        def call(self, x):
            return self.out(self.hidden(x))

    for build in ("build", "call"):
        net = Net()
        if build == "build":
            net.build((None, 5))
        else:
            net(np.ones((2, 5), "float32"))
        lines = []
        net.summary(print_fn=lines.append)
        text = "".join(lines)
        batch = "None" if build == "build" else "2"  # as Keras: the batch it was built with
        assert f"({batch}, 8)" in text and f"({batch}, 3)" in text, text
        assert "?" not in text and "multiple" not in text
        assert "Total params: 75" in text


def test_layers_are_ordered_by_depth_as_keras(backend):
    # Keras orders a graph's layers by depth from the inputs (and, within a depth, by the
    # order a walk from the outputs meets them); saved files name layers by that order.
    x = keras.Input(shape=(4,), name="x")
    d1, d2, d3 = layers.Dense(3, name="d1"), layers.Dense(3, name="d2"), layers.Dense(3, name="d3")
    model = keras.Model(x, layers.Add(name="add")([d3(x), d2(d1(x))]))
    assert [layer.name for layer in model.layers] == ["x", "d1", "d3", "d2", "add"]


def test_subclass_created_with_inputs_and_outputs(backend):
    # Keras's "customizing fit" guides create a Model subclass from inputs and outputs.
    class CustomModel(keras.Model):
        steps = 0

        def train_step(self, state, data):
            CustomModel.steps += 1
            return super().train_step(state, data)

    inputs = keras.Input(shape=(3,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    assert isinstance(model, keras.models.Functional) and model.output_shape == (None, 1)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 3), "float32")
    model.fit(x, np.zeros((8, 1), "float32"), epochs=1, batch_size=8, verbose=0)
    assert CustomModel.steps >= 1


def test_sequential_starting_with_a_model_and_inner_build_configs(backend):
    base = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    stacked = keras.Sequential([base, layers.Dense(1)])
    assert stacked.built and stacked.output_shape == (None, 1)

    class Wrapper(keras.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(2)

        def call(self, x):
            return self.inner(x)

    wrapper = Wrapper()
    keras.Sequential([keras.Input(shape=(5,)), wrapper])
    assert wrapper.inner.get_build_config() == {"input_shape": (None, 5)}
