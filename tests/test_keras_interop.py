"""Files move between kerasish and real Keras 3, both ways, and predict the same.

Each model is built the same way with both libraries (`build(lib, kind)`): one side
saves (`.keras`, `.weights.h5`, legacy `.h5`), the other loads (the whole model, or its
weights into its own copy of the architecture) and both predict on the same inputs.
The kerasish side runs on each kerasish backend; Keras runs on JAX.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import kerasish

rk = pytest.importorskip("keras")

# Warnings real Keras raises itself, expected here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The object being serialized includes a `lambda`:UserWarning"),
    # Keras 3.15 on NumPy 2: `np.array(variable)` in `get_weights`.
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
]

ATOL = 1e-5
KINDS = ["mlp", "cnn_bn", "embedding_lstm", "gru", "multi_io_shared", "mha"]


@pytest.fixture(autouse=True)
def fresh_names():
    kerasish.utils.clear_session()
    rk.utils.clear_session()


def build(lib, kind):
    """The same architecture with `lib` (kerasish or keras)."""
    L = lib.layers
    if kind == "mlp":
        return lib.Sequential([lib.Input(shape=(8,)), L.Dense(16, activation="relu"), L.Dense(4, activation="softmax")])
    if kind == "cnn_bn":
        return lib.Sequential([
            lib.Input(shape=(10, 10, 3)), L.Conv2D(4, 3, activation="relu"), L.BatchNormalization(),
            L.MaxPooling2D(2), L.Flatten(), L.Dense(3),
        ])
    if kind == "embedding_lstm":
        return lib.Sequential([lib.Input(shape=(7,), dtype="int32"), L.Embedding(20, 8), L.LSTM(6), L.Dense(2)])
    if kind == "gru":
        return lib.Sequential([lib.Input(shape=(5, 3)), L.GRU(4, return_sequences=True), L.GRU(3), L.Dense(1)])
    if kind == "multi_io_shared":
        a = lib.Input(shape=(6,), name="a")
        b = lib.Input(shape=(6,), name="b")
        shared = L.Dense(5, activation="tanh", name="shared")
        merged = L.Concatenate()([shared(a), shared(b)])
        out1 = L.Dense(2, name="out1")(merged)
        out2 = L.Dense(1, activation="sigmoid", name="out2")(L.Dense(3, name="hidden")(shared(b)))
        return lib.Model([a, b], [out1, out2])
    if kind == "mha":
        x = lib.Input(shape=(4, 8))
        y = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
        return lib.Model(x, L.Dense(2)(L.Flatten()(y)))
    raise AssertionError(kind)


def inputs(kind):
    rng = np.random.default_rng(1)
    if kind == "mlp":
        return rng.normal(size=(5, 8)).astype("float32")
    if kind == "cnn_bn":
        return rng.normal(size=(5, 10, 10, 3)).astype("float32")
    if kind == "embedding_lstm":
        return rng.integers(0, 20, size=(5, 7)).astype("int32")
    if kind == "gru":
        return rng.normal(size=(5, 5, 3)).astype("float32")
    if kind == "multi_io_shared":
        return [rng.normal(size=(5, 6)).astype("float32"), rng.normal(size=(5, 6)).astype("float32")]
    return rng.normal(size=(5, 4, 8)).astype("float32")


def prepare(model, kind):
    """Weights that are not the initial ones: random for most, a little training for the CNN."""
    if kind == "cnn_bn":
        rng = np.random.default_rng(2)
        x = (rng.normal(size=(16, 10, 10, 3)) * 2 + 1).astype("float32")
        y = rng.normal(size=(16, 3)).astype("float32")
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        bn = model.layers[1]
        assert not np.allclose(np.asarray(bn.get_weights()[2]), 0.0)  # moving mean moved
        return
    rng = np.random.default_rng(3)
    model.set_weights([(rng.normal(size=np.shape(w)) * 0.3).astype(np.asarray(w).dtype) for w in model.get_weights()])


def predict(model, x):
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def assert_close(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, atol=ATOL, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_kerasish_saves_keras_loads(backend, kind, tmp_path):
    model = build(kerasish, kind)
    prepare(model, kind)
    x = inputs(kind)
    expected = predict(model, x)

    model.save(tmp_path / "m.keras")
    loaded = rk.models.load_model(tmp_path / "m.keras")
    assert_close(predict(loaded, x), expected)

    model.save_weights(tmp_path / "m.weights.h5")
    twin = build(rk, kind)
    twin.load_weights(tmp_path / "m.weights.h5")
    assert_close(predict(twin, x), expected)

    model.save_weights(tmp_path / "w.h5")
    twin = build(rk, kind)
    twin.load_weights(tmp_path / "w.h5")
    assert_close(predict(twin, x), expected)

    model.save(tmp_path / "m.h5")
    # Keras 3.15 cannot compile from a legacy .h5 training config with a string loss
    # ("Could not deserialize 'keras.metrics.mse'"), its own files included: the
    # compiled CNN is loaded uncompiled by Keras.
    loaded = rk.models.load_model(tmp_path / "m.h5", compile=kind != "cnn_bn")
    assert_close(predict(loaded, x), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_saves_kerasish_loads(backend, kind, tmp_path):
    model = build(rk, kind)
    prepare(model, kind)
    x = inputs(kind)
    expected = predict(model, x)

    model.save(tmp_path / "m.keras")
    loaded = kerasish.models.load_model(tmp_path / "m.keras")
    assert_close(predict(loaded, x), expected)

    model.save_weights(tmp_path / "m.weights.h5")
    twin = build(kerasish, kind)
    twin.load_weights(tmp_path / "m.weights.h5")
    assert_close(predict(twin, x), expected)

    # Keras 3 writes Keras 2's weights-only layout only inside a whole-model .h5
    # (`save_weights` wants `.weights.h5`); kerasish reads that file.
    model.save(tmp_path / "m.h5")
    twin = build(kerasish, kind)
    twin.load_weights(tmp_path / "m.h5")
    assert_close(predict(twin, x), expected)
    loaded = kerasish.models.load_model(tmp_path / "m.h5")
    assert_close(predict(loaded, x), expected)


# ------------------------------------------------------------ Keras 2's .h5, by hand
def _dense_config(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}


def write_keras2_h5(path, weights, with_config):
    """A file as Keras 2 (tf.keras 2.x) writes it: `layer_names`, `weight_names`, `<layer>/<weight>:0`."""
    import json

    import h5py

    names = ["dense_a", "batch_normalization", "dropout", "dense_b"]
    weight_names = {
        "dense_a": ["kernel:0", "bias:0"],
        "batch_normalization": ["gamma:0", "beta:0", "moving_mean:0", "moving_variance:0"],
        "dropout": [],
        "dense_b": ["kernel:0", "bias:0"],
    }
    arrays = iter(weights)
    with h5py.File(path, "w") as f:
        group = f.create_group("model_weights") if with_config else f
        group.attrs["layer_names"] = np.array([n.encode() for n in names])
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = b"2.13.1"
        for name in names:
            g = group.create_group(name)
            full = [f"{name}/{w}".encode() for w in weight_names[name]]
            g.attrs["weight_names"] = np.array(full, dtype="S") if full else np.zeros((0,), dtype="S1")
            for w in full:
                g.create_dataset(w.decode(), data=next(arrays))
        if with_config:
            config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
                {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                        "sparse": False, "ragged": False, "name": "dense_a_input"}},
                _dense_config("dense_a", 3, "relu"),
                {"class_name": "BatchNormalization", "config": {
                    "name": "batch_normalization", "trainable": True, "dtype": "float32", "axis": [1],
                    "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                    "beta_initializer": {"class_name": "Zeros", "config": {}},
                    "gamma_initializer": {"class_name": "Ones", "config": {}},
                    "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
                    "moving_variance_initializer": {"class_name": "Ones", "config": {}},
                    "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                    "gamma_constraint": None}},
                {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True, "dtype": "float32",
                                                     "rate": 0.5, "noise_shape": None, "seed": None}},
                _dense_config("dense_b", 2, "linear"),
            ]}}
            f.attrs["model_config"] = json.dumps(config).encode()
            f.attrs["backend"] = b"tensorflow"
            f.attrs["keras_version"] = b"2.13.1"


def keras2_weights():
    rng = np.random.default_rng(4)
    return [
        rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(3,)).astype("float32"),
        rng.normal(size=(3,)).astype("float32"), rng.normal(size=(3,)).astype("float32"),
        rng.normal(size=(3,)).astype("float32"), rng.uniform(0.5, 2.0, size=(3,)).astype("float32"),
        rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32"),
    ]


def keras2_expected(x, w):
    h = np.maximum(x @ w[0] + w[1], 0.0)
    h = (h - w[4]) / np.sqrt(w[5] + 1e-3) * w[2] + w[3]
    return h @ w[6] + w[7]


def keras2_architecture(lib):
    L = lib.layers
    return lib.Sequential([lib.Input(shape=(4,)), L.Dense(3, activation="relu", name="dense_a"),
                           L.BatchNormalization(name="batch_normalization"), L.Dropout(0.5, name="dropout"),
                           L.Dense(2, name="dense_b")])


def test_keras2_h5_written_by_hand_loads(backend, tmp_path):
    weights = keras2_weights()
    x = np.random.default_rng(5).normal(size=(6, 4)).astype("float32")
    expected = keras2_expected(x, weights)

    write_keras2_h5(tmp_path / "w.h5", weights, with_config=False)
    for by_name in (False, True):
        model = keras2_architecture(kerasish)
        model.load_weights(tmp_path / "w.h5", by_name=by_name)
        assert_close(predict(model, x), [expected])
    # Real Keras 3 reads the same hand-written file the same way.
    twin = keras2_architecture(rk)
    twin.load_weights(tmp_path / "w.h5")
    assert_close(predict(twin, x), [expected])

    write_keras2_h5(tmp_path / "m.h5", weights, with_config=True)
    loaded = kerasish.models.load_model(tmp_path / "m.h5")
    assert [layer.name for layer in loaded.layers] == ["dense_a", "batch_normalization", "dropout", "dense_b"]
    assert_close(predict(loaded, x), [expected])
    assert_close(predict(rk.models.load_model(tmp_path / "m.h5"), x), [expected])


# ------------------------------------------------------------------ Lambda bytecode
def keras_lambda_model(path):
    """A model with two Python lambdas (one with a closure), saved by real Keras as bytecode."""
    offset = 0.5
    model = rk.Sequential([
        rk.Input(shape=(3,)), rk.layers.Lambda(lambda t: t * 2.0 + 1.0), rk.layers.Dense(2),
        rk.layers.Lambda(lambda t: t - offset),
    ])
    model.save(path)
    return model


def test_keras_lambda_bytecode_needs_safe_mode_off(backend, tmp_path, monkeypatch):
    from kerasish.saving import serialization

    path = tmp_path / "lambda.keras"
    source = keras_lambda_model(path)
    x = np.random.default_rng(6).normal(size=(4, 3)).astype("float32")
    expected = predict(source, x)

    with pytest.raises(ValueError, match=r"safe_mode=False.*kerasish\.config\.enable_unsafe_deserialization\(\)"):
        kerasish.models.load_model(path)
    loaded = kerasish.models.load_model(path, safe_mode=False)
    assert_close(predict(loaded, x), expected)

    monkeypatch.setattr(serialization, "_UNSAFE_GLOBALLY", False)  # restored after the test
    with pytest.raises(ValueError, match="refused in safe mode"):
        kerasish.models.load_model(path)
    kerasish.config.enable_unsafe_deserialization()
    assert_close(predict(kerasish.models.load_model(path), x), expected)


def test_lambda_loader_uses_no_pickle_or_eval():
    import inspect

    from kerasish.layers import lambda_layer

    source = inspect.getsource(lambda_layer)
    for forbidden in ("pickle", "eval(", "exec(", "__import__"):
        assert forbidden not in source
