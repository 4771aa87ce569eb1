"""EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, LambdaCallback,
TerminateOnNaN, and the validation hooks of `fit`, on every backend."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import kerasish as keras
from kerasish import callbacks, layers


def _data(n=48, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(d, classes)), axis=1).astype("int32")
    return x, y


def _model(d=4, classes=3, lr=0.05):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((d,)), layers.Dense(8, activation="relu"), layers.Dense(classes, activation="softmax")])
    # Not compiled: a few eager steps are quicker than a compilation, and the callbacks
    # see the same trainer either way.
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=False)
    return model


def _scripted(name, values):
    """A callback that writes `values[epoch]` into the epoch's logs under `name` (before the others run)."""
    return callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(name, values[epoch]))


class _Snapshots(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_array_equal(a, b)


def _weights_differ(a, b) -> bool:
    return any(not np.array_equal(u, v) for u, v in zip(a, b))


# ------------------------------------------------------------ EarlyStopping
def test_early_stopping_stops_after_patience_epochs_without_improvement(backend):
    # Keras's docstring example, with inputs scaled so that SGD settles instead of overflowing.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20,)), layers.Dense(10)])
    model.compile(keras.optimizers.SGD(), loss="mse")
    stop = callbacks.EarlyStopping(monitor="loss", patience=3)
    history = model.fit(np.arange(100).reshape(5, 20) / 20, np.zeros(5), epochs=20, batch_size=1,
                        callbacks=[stop], verbose=0)
    losses = history.history["loss"]
    best = int(np.argmin(losses))
    assert 0 < best and len(losses) == best + 4 < 20
    assert stop.stopped_epoch == best + 3 and stop.best_epoch == best and model.stop_training


@pytest.mark.parametrize("restore", [True, False])
def test_restore_best_weights_when_training_ends_by_epoch_count(backend, restore):
    x, y = _data()
    model = _model()
    snapshots = _Snapshots()
    stop = callbacks.EarlyStopping(monitor="score", mode="min", patience=10, restore_best_weights=restore)
    # The best epoch is the third: neither the first nor the last.
    history = model.fit(
        x, y, epochs=5, batch_size=16, verbose=0,
        callbacks=[_scripted("score", [5.0, 3.0, 1.0, 2.0, 4.0]), snapshots, stop],
    )
    assert len(history.history["loss"]) == 5 and stop.stopped_epoch == 0
    assert stop.best == 1.0 and stop.best_epoch == 2
    assert _weights_differ(snapshots.weights[2], snapshots.weights[4])
    _assert_weights_equal(model.get_weights(), snapshots.weights[2] if restore else snapshots.weights[4])


def test_restore_best_weights_after_an_early_stop(backend, capsys):
    x, y = _data()
    model = _model()
    snapshots = _Snapshots()
    stop = callbacks.EarlyStopping(monitor="score", mode="min", patience=2, restore_best_weights=True, verbose=1)
    history = model.fit(
        x, y, epochs=10, batch_size=16, verbose=0,
        callbacks=[_scripted("score", [2.0, 1.0, 1.5, 1.2, 0.1, 0.1]), snapshots, stop],
    )
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch == 3
    _assert_weights_equal(model.get_weights(), snapshots.weights[1])
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


class _FakeModel:
    """Just what EarlyStopping touches: weights, `stop_training` and `metrics`."""

    def __init__(self):
        self.stop_training = False
        self.step = 0
        self.metrics = []

    def get_weights(self):
        return [np.array(self.step)]

    def set_weights(self, weights):
        self.step = int(weights[0])


def _run(stop, values, model=None):
    """Feeds `values` to `stop` epoch by epoch; returns the epochs that ran."""
    model = model or _FakeModel()
    stop.set_model(model)
    stop.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        model.step = epoch
        stop.on_epoch_end(epoch, {"loss": value})
        ran += 1
        if model.stop_training:
            break
    stop.on_train_end()
    return ran, model


def test_early_stopping_patience_min_delta_baseline_and_warm_up():
    assert _run(callbacks.EarlyStopping("loss", patience=0), [3, 2, 2.5, 1])[0] == 3
    assert _run(callbacks.EarlyStopping("loss", patience=1), [3, 2, 2.5, 1])[0] == 3
    assert _run(callbacks.EarlyStopping("loss", patience=2), [3, 2, 2.5, 1, 1.5, 1.6, 0.1])[0] == 6
    # Improvements smaller than min_delta do not count.
    assert _run(callbacks.EarlyStopping("loss", patience=1, min_delta=0.5), [3, 2.4, 2.2, 1])[0] == 3
    # Never beating the baseline: stop after `patience` epochs; the best of them is restored.
    stop = callbacks.EarlyStopping("loss", patience=2, baseline=1.0, restore_best_weights=True)
    ran, model = _run(stop, [3, 2, 2.5, 0.5])
    assert ran == 3 and model.step == 1
    # Warm-up epochs are not monitored.
    assert _run(callbacks.EarlyStopping("loss", patience=0, start_from_epoch=3), [1, 2, 3, 4, 5, 6])[0] == 5
    # Reused for a second fit, it starts afresh.
    stop = callbacks.EarlyStopping("loss", patience=0)
    assert _run(stop, [1, 2])[0] == 2 and _run(stop, [5, 4, 6])[0] == 3


def test_early_stopping_mode_from_the_metric(backend):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    stop = callbacks.EarlyStopping(monitor="val_accuracy")
    stop.set_model(model)
    stop.on_train_begin()
    stop.on_epoch_end(0, {"val_accuracy": 0.5})
    assert stop.monitor_op is np.greater and stop.best == 0.5
    stop = callbacks.EarlyStopping(monitor="val_mystery")
    stop.set_model(model)
    with pytest.raises(ValueError, match="monitor=val_mystery.*Pass `mode='max'`"):
        stop.on_epoch_end(0, {"val_mystery": 1.0})
    with pytest.warns(UserWarning, match="mode 'lowest' is unknown, fallback to auto mode"):
        callbacks.EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="`patience` must be a non-negative integer"):
        callbacks.EarlyStopping(patience=-1)


def test_monitored_name_missing_from_logs_warns_with_the_available_ones(backend):
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss` which is not available. "
                                         "Available metrics are: accuracy,loss"):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.EarlyStopping()])
    assert len(history.history["loss"]) == 2
    with pytest.warns(UserWarning, match="Learning rate reduction conditioned on metric `val_acc` .*"
                                         "Available metrics are: accuracy,loss,learning_rate"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau(monitor="val_acc")])


# --------------------------------------------------------- learning rates
def _lr(model) -> float:
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def test_reduce_lr_on_plateau_sets_the_optimizer_and_logs(backend, capsys):
    x, y = _data()
    model = _model(lr=0.4)
    reduce = callbacks.ReduceLROnPlateau(monitor="score", factor=0.5, patience=1, cooldown=2, min_lr=0.06, verbose=1)
    scores = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]
    history = model.fit(x, y, epochs=7, verbose=0, callbacks=[_scripted("score", scores), reduce])
    # Logged: the rate in use during each epoch. Reductions after epochs 2, 4 and 6 (one epoch
    # of patience, then a cooldown), the last one clipped to min_lr.
    np.testing.assert_allclose(history.history["learning_rate"], [0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.06], rtol=1e-6)
    assert _lr(model) == pytest.approx(0.06)
    out = capsys.readouterr().out
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.2" in out
    assert "Epoch 6: ReduceLROnPlateau reducing learning rate to 0.06" in out
    with pytest.raises(ValueError, match="does not support a factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_keras_docstring_example(backend):
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20,)), layers.Dense(10)])
    model.compile(keras.optimizers.SGD(), loss="mse")
    assert round(_lr(model), 5) == 0.01
    history = model.fit(
        np.arange(100).reshape(5, 20) / 100.0, np.zeros((5, 10)), epochs=15,
        callbacks=[callbacks.LearningRateScheduler(scheduler)], verbose=0,
    )
    assert round(_lr(model), 5) == 0.00607
    assert round(history.history["learning_rate"][-1], 5) == 0.00607


def test_learning_rate_set_at_epoch_begin_is_the_one_training_uses(backend, capsys):
    x, y = _data()
    model = _model()
    snapshots = _Snapshots()
    # A rate of zero from the third epoch on: the weights stop moving exactly then.
    schedule = callbacks.LearningRateScheduler(lambda epoch: 0.05 if epoch < 2 else 0.0, verbose=1)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[schedule, snapshots])
    assert _weights_differ(snapshots.weights[0], snapshots.weights[1])
    _assert_weights_equal(snapshots.weights[3], snapshots.weights[1])
    assert history.history["learning_rate"] == [pytest.approx(0.05)] * 2 + [0.0, 0.0]
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.0." in capsys.readouterr().out
    bad = callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    with pytest.raises(ValueError, match="The output of the `schedule` function should be a float. Got: 'fast'"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[bad])


def test_learning_rate_is_not_logged_without_a_learning_rate_callback(backend):
    x, y = _data()
    history = _model().fit(x, y, epochs=1, verbose=0)
    assert "learning_rate" not in history.history  # as in Keras: only these callbacks log it


# ---------------------------------------------------------------- CSVLogger
def test_csv_logger_writes_epochs_and_appends(backend, tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    history = model.fit(
        x, y, epochs=2, verbose=0, validation_data=(x[:8], y[:8]), callbacks=[callbacks.CSVLogger(path)]
    )
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    for i, row in enumerate(rows[1:]):
        assert float(row[2]) == pytest.approx(history.history["loss"][i])
        assert float(row[4]) == pytest.approx(history.history["val_loss"][i])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    # Appended without a header; as in Keras, the columns are those of the new run's logs.
    assert len(rows) == 4 and rows[3][0] == "0" and len(rows[3]) == 3
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    with open(path) as f:
        assert f.readline().strip() == "epoch;accuracy;loss"
    with pytest.raises(ValueError, match="one-character string"):
        callbacks.CSVLogger(path, separator="--")


# ----------------------------------------------------------- LambdaCallback
def test_lambda_callback_calls_every_hook_given(backend):
    x, y = _data(n=32)
    seen = []

    def recorder(name):
        return lambda *args, **kwargs: seen.append(name)

    hooks = {
        name: recorder(name)
        for name in callbacks.lambda_callback.HOOKS
        if name not in ("on_batch_begin", "on_batch_end")
    }
    model = _model()
    cb = callbacks.LambdaCallback(**hooks)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_data=(x, y), callbacks=[cb])
    assert seen == [
        "on_train_begin", "on_epoch_begin",
        "on_train_batch_begin", "on_train_batch_end", "on_train_batch_begin", "on_train_batch_end",
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_batch_begin", "on_test_batch_end",
        "on_test_end", "on_epoch_end", "on_train_end",
    ]
    seen.clear()
    model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[cb])
    model.predict(x, batch_size=32, verbose=0, callbacks=[cb])
    assert seen == [
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end",
    ]
    logs = []
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.LambdaCallback(on_epoch_end=lambda e, lg: logs.append((e, sorted(lg))))])
    assert logs == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]
    with pytest.raises(TypeError, match="unknown hook 'on_epoch_finish'"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="`on_epoch_end` must be callable"):
        callbacks.LambdaCallback(on_epoch_end="print")


# ----------------------------------------------------------- TerminateOnNaN
class _PoisonedBatches(keras.utils.PyDataset):
    """Clean batches, except batch 2 of the second epoch, whose targets are NaN."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.epoch = x, y.astype("float32"), 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        sl = slice(index * 8, (index + 1) * 8)
        y = self.y[sl].copy()
        if self.epoch == 1 and index == 2:
            y[:] = np.nan
        return self.x[sl], y

    def on_epoch_end(self):
        self.epoch += 1


def test_terminate_on_nan_names_the_batch_and_epoch(backend, capsys):
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    seen = []
    history = model.fit(
        _PoisonedBatches(x, y), epochs=5, verbose=0, shuffle=False,
        callbacks=[callbacks.TerminateOnNaN(), callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))],
    )
    assert "Batch 2 (epoch 2): Invalid loss nan, terminating training" in capsys.readouterr().out
    assert len(history.history["loss"]) == 2 and seen == [0, 1, 2, 3, 0, 1, 2]
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2 of epoch 2"):
        model.fit(_PoisonedBatches(x, y), epochs=5, verbose=0, shuffle=False,
                  callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


# --------------------------------------------------- validation inside fit
class _Journal(callbacks.Callback):
    def __init__(self, with_batches=True):
        super().__init__()
        self.events = []
        if with_batches:
            self.on_test_batch_end = lambda batch, logs=None: self.events.append(("test_batch", batch, sorted(logs)))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_test_begin(self, logs=None):
        self.events.append(("test_begin",))

    def on_test_end(self, logs=None):
        self.events.append(("test_end", sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))


def test_fit_runs_the_test_hooks_of_its_callbacks_during_validation(backend, capsys):
    x, y = _data()
    journal = _Journal()
    model = _model()
    model.fit(x, y, epochs=4, batch_size=16, validation_data=(x[:20], y[:20]), validation_batch_size=8,
              validation_freq=2, verbose=2, callbacks=[journal])
    logs, val_logs = ["accuracy", "loss"], ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert journal.events == [
        ("epoch_begin", 0), ("epoch_end", 0, logs),
        ("epoch_begin", 1), ("test_begin",),
        ("test_batch", 0, logs), ("test_batch", 1, logs), ("test_batch", 2, logs),
        ("test_end", logs), ("epoch_end", 1, val_logs),
        ("epoch_begin", 2), ("epoch_end", 2, logs),
        ("epoch_begin", 3), ("test_begin",),
        ("test_batch", 0, logs), ("test_batch", 1, logs), ("test_batch", 2, logs),
        ("test_end", logs), ("epoch_end", 3, val_logs),
    ]
    out = capsys.readouterr().out
    # Validation draws no bar of its own: one line per epoch, val_ metrics on the even ones.
    lines = [line for line in out.splitlines() if "step" in line]
    assert len(lines) == 4 and "val_loss" in lines[1] and "val_loss" not in lines[2]
    assert all(line.startswith("3/3") for line in lines)
