"""plot_history draws training against validation, one panel per metric."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras


def test_plot_history_from_fit(backend, tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    path = tmp_path / "history.png"
    fig = keras.utils.plot_history(history, to_file=str(path))
    assert [ax.get_title() for ax in fig.axes] == ["accuracy", "loss"]
    loss_ax = fig.axes[1]
    train_line, val_line = loss_ax.get_lines()
    np.testing.assert_allclose(train_line.get_ydata(), history.history["loss"])
    np.testing.assert_allclose(val_line.get_ydata(), history.history["val_loss"])
    assert list(train_line.get_xdata()) == [1, 2, 3]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_history_dict_and_errors(tmp_path):
    fig = keras.utils.plot_history({"loss": [3.0, 2.0, 1.5]}, metrics=["loss"])
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="no logs named \\['acc'\\]"):
        keras.utils.plot_history({"loss": [1.0]}, metrics=["acc"])
    with pytest.raises(ValueError, match="expects a History"):
        keras.utils.plot_history([1, 2, 3])
