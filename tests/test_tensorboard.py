"""The TensorBoard callback writes event files that TensorBoard's own reader reads back."""

from __future__ import annotations

import os

import numpy as np
import pytest

import kerasish as keras

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
pytest.importorskip("tensorboardX")


def _read(path):
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _fit(tmp_path, **tb_kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = keras.callbacks.TensorBoard(log_dir=str(tmp_path), **tb_kwargs)
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0, callbacks=[callback])
    return model, history


def test_epoch_scalars_histograms_and_model(backend, tmp_path):
    model, history = _fit(tmp_path, histogram_freq=1)
    train = _read(tmp_path / "train")
    validation = _read(tmp_path / "validation")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(tags["scalars"])
    for (step, value), expected, epoch in zip(_scalars(train, "epoch_loss"), history.history["loss"], range(3)):
        assert step == epoch and value == pytest.approx(expected, rel=1e-6)
    for (_, value), expected in zip(_scalars(validation, "epoch_loss"), history.history["val_loss"]):
        assert value == pytest.approx(expected, rel=1e-6)
    assert [v for _, v in _scalars(train, "epoch_learning_rate")] == pytest.approx([0.01] * 3)
    histogram_tags = set(tags["histograms"])
    for weight in model.weights:
        assert weight.path in histogram_tags
    kernel_hist = train.Histograms(model.layers[0].kernel.path)
    assert [h.step for h in kernel_hist] == [0, 1, 2]
    assert kernel_hist[-1].histogram_value.num == 12  # 3 x 4 kernel
    texts = set(tags["tensors"])
    assert any("model/summary" in t for t in texts)


def test_batch_level_scalars(backend, tmp_path):
    _fit(tmp_path, update_freq="batch")
    train = _read(tmp_path / "train")
    steps = [s for s, _ in _scalars(train, "batch_loss")]
    assert steps == list(range(1, 10))  # 48 training samples / 16 = 3 batches x 3 epochs


def test_epoch_frequency_does_not_ask_for_batch_logs(tmp_path):
    callback = keras.callbacks.TensorBoard(log_dir=str(tmp_path))
    callbacks = keras.callbacks.CallbackList([callback])
    assert not callbacks.needs_batch_logs
    batchwise = keras.callbacks.CallbackList([keras.callbacks.TensorBoard(log_dir=str(tmp_path), update_freq=2)])
    assert batchwise.needs_batch_logs


def test_profile(backend, tmp_path):
    if backend.supports_profiling:
        _fit(tmp_path, profile_batch=2)
        found = [f for _, _, files in os.walk(tmp_path / "train" / "plugins" / "profile") for f in files]
        assert any(f.endswith(".xplane.pb") for f in found)
    else:
        with pytest.warns(UserWarning, match="has no profiler"):
            _fit(tmp_path, profile_batch=2)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(log_dir=str(tmp_path), update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        keras.callbacks.TensorBoard(log_dir=str(tmp_path), profile_batch=(5, 2))
