"""compile/fit/evaluate/predict on every backend: results, compilation, logs, errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers


def _data(n=96, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    w = rng.normal(size=(d, classes))
    y = np.argmax(x @ w, axis=1).astype("int32")
    return x, y


def _model(d=4, classes=3, dropout=0.0):
    keras.utils.set_random_seed(7)
    stack = [keras.Input(shape=(d,)), layers.Dense(16, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(classes, activation="softmax"))
    return keras.Sequential(stack)


def test_fit_learns_and_reports(backend):
    x, y = _data()
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    assert isinstance(history, keras.callbacks.History) and model.history is history
    assert set(history.history) == {"accuracy", "loss"}
    assert len(history.history["loss"]) == 15
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == pytest.approx({"accuracy": acc, "loss": loss})
    probs = model.predict(x, batch_size=40, verbose=0)
    assert probs.shape == (96, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert (np.argmax(probs, axis=1) == y).mean() == pytest.approx(acc)


def test_evaluate_loss_equals_manual(backend):
    x, y = _data(n=50)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    probs = model.predict(x, verbose=0).astype("float64")
    manual = -np.mean(np.log(np.clip(probs[np.arange(50), y], 1e-7, 1 - 1e-7)))
    # Batches of 16 (last one partial): the loss is the sample-weighted mean over batches.
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(manual, rel=1e-5)


def test_fit_is_reproducible_with_seed(backend):
    x, y = _data()
    results = []
    for _ in range(2):
        model = _model(dropout=0.3)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_compiles_once_per_shape(backend):
    if not backend.supports_jit:
        pytest.skip("backend does not compile")
    x, y = _data(n=64)
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert model.trace_counts["train"] == 1
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert model.trace_counts["train"] == 1
    # New data of another size: at most one compilation for its full batches and one for
    # its last batch of 12.
    model.fit(x[:60], y[:60], batch_size=16, epochs=2, verbose=0)
    assert model.trace_counts["train"] <= 3
    model.evaluate(x, y, batch_size=16, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    assert model.trace_counts["test"] == 1


def test_steps_per_execution_gives_same_result(backend):
    x, y = _data(n=64)
    weights = []
    for spe in (1, 4):
        model = _model()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=spe)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        weights.append(model.get_weights())
        if spe == 4 and backend.supports_jit:
            assert model.trace_counts["train"] == 1  # 8 batches = 2 fused calls of 4
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_run_eagerly_matches_compiled(backend):
    x, y = _data(n=32)
    weights = []
    for eager in (False, True):
        model = _model()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=eager)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_validation_split_and_data(backend):
    x, y = _data(n=100)
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    expected = model.evaluate(x[80:], y[80:], verbose=0, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(expected["loss"], rel=1e-5)
    history = model.fit(x, y, epochs=1, validation_data=(x[:10], y[:10]), verbose=0)
    assert "val_loss" in history.history


def test_initial_epoch_and_steps_per_epoch(backend):
    x, y = _data(n=64)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    model.fit(x, y, epochs=4, initial_epoch=2, steps_per_epoch=3, verbose=0, callbacks=[Recorder()])
    assert seen == [2, 3]
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations.value)) == 6


def test_batch_callbacks_see_current_weights(backend):
    x, y = _data(n=32)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    snapshots = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            snapshots.append((batch, logs["loss"], self.model.layers[0].kernel.numpy().copy()))

    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Watch()], shuffle=False)
    assert [s[0] for s in snapshots] == [0, 1, 2, 3]
    assert not np.array_equal(snapshots[0][2], snapshots[-1][2])
    np.testing.assert_array_equal(snapshots[-1][2], model.layers[0].kernel.numpy())


def test_binary_and_categorical_accuracy_resolution(backend):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3)).astype("float32")
    yb = (x[:, 0] > 0).astype("float32")[:, None]
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, yb, epochs=20, verbose=0)
    probs = model.predict(x, verbose=0)
    acc = model.evaluate(x, yb, verbose=0, return_dict=True)["accuracy"]
    assert acc == pytest.approx(((probs > 0.5) == (yb > 0.5)).mean())
    yc = np.eye(2, dtype="float32")[yb[:, 0].astype(int)]
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, yc, epochs=2, verbose=0)
    probs = model.predict(x, verbose=0)
    acc = model.evaluate(x, yc, verbose=0, return_dict=True)["accuracy"]
    assert acc == pytest.approx((probs.argmax(1) == yc.argmax(1)).mean())


def test_sample_weight_zero_ignores_samples(backend):
    x, y = _data(n=32)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    sw = np.zeros(32, "float32")
    sw[:16] = 1.0
    weighted = model.evaluate(x, y, sample_weight=sw, batch_size=32, verbose=0)
    # Keras's default reduction divides by the batch size, zero-weighted samples included.
    half = model.evaluate(x[:16], y[:16], batch_size=16, verbose=0)
    assert weighted == pytest.approx(half / 2, rel=1e-5)


def test_data_errors_are_clear(backend):
    x, y = _data(n=32)
    model = _model()
    with pytest.raises(ValueError, match="must call `compile\\(\\)`"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="x has 32 samples but y has 31 samples"):
        model.fit(x, y[:31], verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer: 'adma'. Did you mean .*'adam'"):
        model.compile(optimizer="adma", loss="mse")


def test_deferred_build_on_fit(backend):
    x, y = _data(n=32)
    keras.utils.clear_session()
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    assert not model.built
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.built and model.output_shape == (None, 3)
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3


def test_verbose_output(backend, capsys):
    x, y = _data(n=32)
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out and "loss:" in out and "accuracy:" in out
    model.fit(x, y, batch_size=8, epochs=1, verbose=1)
    assert "━" in capsys.readouterr().out


def test_predict_compiles_once_with_a_partial_last_batch(backend):
    x, _ = _data(n=50)
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    out = model.predict(x, batch_size=16, verbose=0)  # 16 + 16 + 16 + 2
    assert out.shape == (50, 3)
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(model(x)), rtol=1e-5, atol=1e-6)
    if backend.supports_jit:
        assert model.trace_counts["predict"] == 1


def test_layers_that_cannot_compile_run_eagerly(backend):
    class HostSide(keras.Layer):
        supports_jit = False

        def call(self, x):
            return x

    model = keras.Sequential([keras.Input(shape=(4,)), HostSide(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert not model.jit_compile
    x, y = _data(n=32)
    model.fit(x, y, epochs=1, verbose=0)


def test_sequential_add_pop_get_layer(backend):
    keras.utils.clear_session()
    model = keras.Sequential(name="stack")
    model.add(keras.Input(shape=(5,)))
    model.add(layers.Dense(4, name="hidden"))
    model.add(layers.Dense(2, name="top"))
    assert model.output_shape == (None, 2) and model.count_params() == 5 * 4 + 4 + 4 * 2 + 2
    assert model.get_layer("hidden") is model.layers[0] and model.get_layer(index=1).name == "top"
    popped = model.pop()
    assert popped.name == "top" and model.output_shape == (None, 4) and len(model.layers) == 1
    assert model.count_params() == 5 * 4 + 4
    out = model(np.ones((3, 5), "float32"))
    assert keras.ops.shape(out) == (3, 4)
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(1, name="hidden"))
    with pytest.raises(ValueError, match="Only instances of `kerasish.layers.Layer`"):
        model.add("dense")


def test_metrics_whose_state_follows_the_data_in_compile(backend):
    x, y = _data(n=32)
    y_onehot = np.eye(3, dtype="float32")[y]
    model = _model()
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=[keras.metrics.F1Score(average="macro"), keras.metrics.R2Score()])
    logs = model.evaluate(x, y_onehot, batch_size=32, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "f1_score", "r2_score"}
    probs = model.predict(x, verbose=0)
    f1 = keras.metrics.F1Score(average="macro")
    f1.update_state(y_onehot, probs)
    assert logs["f1_score"] == pytest.approx(float(keras.ops.convert_to_numpy(f1.result())), rel=1e-5)


def test_predict_compiles_without_compile(backend):
    x, _ = _data(n=64)
    model = _model()
    for _ in range(3):
        model.predict(x, batch_size=16, verbose=0)
    if backend.supports_jit:
        assert model.jit_compile and model.trace_counts["predict"] == 1
