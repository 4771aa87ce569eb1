"""Customizing fit (Keras's JAX-style pure train_step on every backend), *_on_batch,
and a hand-written training loop with stateless_call and stateless_apply."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[2.0], [-1.0], [0.5]], "float32") + 0.3
    return x, y


class CustomModel(keras.Model):
    """The custom train_step of Keras's guide "Customizing fit() with JAX", unchanged
    but for the import and the backend-neutral value_and_grad."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.calls = 0

    def call(self, x):
        return self.dense(x)

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training
        )
        loss = self.compute_loss(x, y, y_pred)
        return loss, (y_pred, non_trainable_variables)

    def train_step(self, state, data):
        self.calls += 1
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y = data
        grad_fn = kb.get().value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y, training=True
        )
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        new_metrics_vars = []
        logs = {}
        for metric in self.metrics:
            this_metric_vars = metrics_variables[len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
            else:
                this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
            result = metric.stateless_result(this_metric_vars)
            logs.update(result if isinstance(result, dict) else {metric.name: result})
            new_metrics_vars += this_metric_vars
        state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
        return logs, state


def test_custom_train_step_matches_builtin(backend):
    x, y = _data()
    results = []
    for cls in (CustomModel, None):
        keras.utils.set_random_seed(3)
        if cls is None:
            inputs = keras.Input(shape=(3,))
            model = keras.Model(inputs, layers.Dense(1)(inputs))
        else:
            model = cls()
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    (h_custom, w_custom), (h_builtin, w_builtin) = results
    assert set(h_custom) == {"loss", "mae"}
    np.testing.assert_allclose(h_custom["loss"], h_builtin["loss"], rtol=1e-5)
    for a, b in zip(w_custom, w_builtin):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_on_batch_methods(backend):
    x, y = _data()
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    before = model.get_weights()
    loss, mae = model.train_on_batch(x[:16], y[:16])
    assert loss > 0 and mae > 0
    assert not np.array_equal(before[0], model.get_weights()[0])
    model.reset_metrics()
    logs = model.test_on_batch(x[:16], y[:16], return_dict=True)
    pred = model.predict_on_batch(x[:16])
    assert logs["loss"] == pytest.approx(float(np.mean((pred - y[:16]) ** 2)), rel=1e-5)
    np.testing.assert_allclose(pred, model.predict(x[:16], verbose=0), rtol=1e-6)


def test_hand_written_loop_with_stateless_apis(backend):
    x, y = _data()
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.MeanSquaredError()
    b = kb.get()

    def compute_loss(trainable, non_trainable, xb, yb):
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, xb, training=True)
        return loss_fn(yb, y_pred), non_trainable

    def step(state, xb, yb):
        trainable, non_trainable, opt_vars = state
        (loss, non_trainable), grads = b.value_and_grad(compute_loss, has_aux=True)(trainable, non_trainable, xb, yb)
        trainable, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        return loss, (trainable, non_trainable, opt_vars)

    step = b.jit(step)
    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in optimizer.variables],
    )
    first = None
    for _ in range(200):
        loss, state = step(state, ops.convert_to_tensor(x), ops.convert_to_tensor(y))
        first = float(ops.convert_to_numpy(loss)) if first is None else first
    for variable, value in zip(model.trainable_variables, state[0]):
        variable.assign(value)
    final = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert final < 0.01 * first
    np.testing.assert_allclose(model.layers[0].kernel.numpy()[:, 0], [2.0, -1.0, 0.5], atol=0.05)


class CustomEval(keras.Model):
    """A pure test_step and predict_step overridden, as in Keras's JAX guide."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def test_step(self, state, data):
        x, y = data
        trainable_variables, non_trainable_variables, metrics_variables = state
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x)
        loss = self.compute_loss(x, y, y_pred)
        new_metrics_vars, logs = [], {}
        for metric in self.metrics:
            this = metrics_variables[len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)]
            if metric.name == "loss":
                this = metric.stateless_update_state(this, loss)
            else:
                this = metric.stateless_update_state(this, y, y_pred)
            result = metric.stateless_result(this)
            logs.update(result if isinstance(result, dict) else {metric.name: result})
            new_metrics_vars += this
        return logs, (trainable_variables, non_trainable_variables, new_metrics_vars)

    def predict_step(self, state, data):
        trainable_variables, non_trainable_variables = state
        x = data[0] if isinstance(data, tuple) else data
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x)
        return ops.multiply(y_pred, 10.0), non_trainable_variables


def test_custom_test_and_predict_steps(backend):
    x, y = _data()
    model = CustomEval()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    plain = ops.convert_to_numpy(model(x))
    assert logs["loss"] == pytest.approx(float(np.mean((plain - y) ** 2)), rel=1e-5)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(plain - y))), rel=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), plain * 10.0, rtol=1e-5)


def test_compute_metrics_and_results(backend):
    x, y = _data()
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.evaluate(x, y, verbose=0)  # builds the compiled metrics
    model.reset_metrics()
    y_pred = model(x)
    results = model.compute_metrics(x, y, y_pred)
    assert float(ops.convert_to_numpy(results["mae"])) == pytest.approx(
        float(np.mean(np.abs(ops.convert_to_numpy(y_pred) - y))), rel=1e-5
    )
    assert set(model.get_metrics_result()) == {"loss", "mae"}
