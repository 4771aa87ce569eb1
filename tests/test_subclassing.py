"""Subclassed layers and models: attribute tracking, add_loss and regularizers in training."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, ops


class Blocks(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.by_name = {"first": layers.Dense(4), "second": layers.Dense(2)}
        self.stack = [layers.Dense(3), [layers.Dense(3)]]
        self.offset = keras.Variable(np.zeros((2,), "float32"), name="offset")
        self.frozen = keras.Variable(np.ones((2,), "float32"), trainable=False, name="frozen")

    def call(self, x):
        x = self.stack[1][0](self.stack[0](x))
        return self.by_name["second"](self.by_name["first"](x)) + self.offset * self.frozen


def test_containers_and_variables_are_tracked(backend):
    model = Blocks()
    model(np.ones((1, 5), "float32"))
    assert len(model.layers) == 4
    assert len(model.trainable_weights) == 4 * 2 + 1
    assert [v.name for v in model.non_trainable_weights] == ["frozen"]
    assert model.count_params() == (5 * 3 + 3) + (3 * 3 + 3) + (3 * 4 + 4) + (4 * 2 + 2) + 2 + 2


class Penalized(keras.Layer):
    """Adds the mean of its input times `rate` as a loss, as Keras's guide shows."""

    def __init__(self, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


def test_add_loss_and_regularizers_enter_the_loss(backend):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.zeros((8, 2), "float32")
    inputs = keras.Input(shape=(3,))
    dense = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5), activity_regularizer="l1")
    out = Penalized(0.1)(dense(inputs))
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    pred = model.predict(x, verbose=0)
    kernel = dense.kernel.numpy()
    expected = (
        np.mean(pred**2)  # mse against zeros
        + 0.5 * np.sum(kernel**2)  # kernel regularizer
        + 0.01 * np.sum(np.abs(pred)) / 8  # activity regularizer l1 (default 0.01), per sample as Keras 3
        + 0.1 * np.mean(pred**2)  # add_loss
    )
    assert loss == pytest.approx(expected, rel=1e-5)
    assert len(model.losses) == 3
