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
