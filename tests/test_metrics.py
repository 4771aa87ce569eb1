"""Metrics on every backend: values against NumPy, sample weights, stateless forms, lookup, configs."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish.backend as kb
from kerasish import metrics, ops
from tests.conftest import BACKENDS


def to_np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def result(metric) -> float:
    return float(to_np(metric.result()))


# ------------------------------------------------------------ reduction metrics
def test_mean_and_sum(backend):
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert result(m) == pytest.approx(4.0)
    m.update_state([10.0])
    assert result(m) == pytest.approx(26 / 5)
    m.reset_state()
    assert result(m) == 0.0  # 0 / 0 reads as 0
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert result(m) == pytest.approx(2.0)
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7])
    assert result(s) == pytest.approx(16.0)
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert result(s) == pytest.approx(20.0)
    assert [v.name for v in m.variables] == ["total", "count"] and [
        v.name for v in s.variables
    ] == ["total"]
    assert all(not v.trainable for v in m.variables)


def test_mean_sample_weight_shapes(backend, rng):
    values = rng.normal(size=(4, 3)).astype("float32")
    m = metrics.Mean()
    # (batch,) weights: each row is first reduced to its mean.
    w = np.array([1.0, 0.0, 2.0, 1.0], dtype="float32")
    m.update_state(values, sample_weight=w)
    assert result(m) == pytest.approx((values.mean(axis=1) * w).sum() / w.sum(), rel=1e-5)
    # Elementwise weights.
    m.reset_state()
    w2 = rng.uniform(size=(4, 3)).astype("float32")
    m.update_state(values, sample_weight=w2)
    assert result(m) == pytest.approx(
        ((values * w2).mean(axis=1)).sum() / w2.mean(axis=1).sum(), rel=1e-5
    )
    # A scalar value weighted by a Python int: the trainer's loss tracker (loss, batch size).
    m.reset_state()
    m.update_state(ops.convert_to_tensor(2.0), sample_weight=16)
    m.update_state(ops.convert_to_tensor(5.0), sample_weight=4)
    assert result(m) == pytest.approx((2 * 16 + 5 * 4) / 20)


def test_mean_metric_wrapper(backend, rng):
    def squared_error(y_true, y_pred):
        return ops.square(ops.subtract(y_true, y_pred))

    m = metrics.MeanMetricWrapper(squared_error, name="se")
    y, p = rng.normal(size=(5,)), rng.normal(size=(5,))
    m.update_state(y, p)
    assert m.name == "se"
    assert result(m) == pytest.approx(((y - p) ** 2).mean(), rel=1e-5)
    wrapped = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.8)
    wrapped.update_state([[1], [1]], [[0.7], [0.9]])
    assert result(wrapped) == pytest.approx(0.5)


# ------------------------------------------------------------------- accuracies
def test_accuracy(backend):
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert result(m) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert result(m) == pytest.approx(0.5)
    np.testing.assert_allclose(
        to_np(metrics.accuracy([[1, 2], [3, 4]], [[1, 0], [3, 4]])), [0.5, 1.0]
    )


def test_binary_accuracy(backend, rng):
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert result(m) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert result(m) == pytest.approx(0.5)
    high = metrics.BinaryAccuracy(threshold=0.7)
    high.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert result(high) == pytest.approx(1.0)
    # (batch,) labels against (batch, 1) probabilities, int labels, many samples.
    y = rng.integers(0, 2, size=20).astype("int32")
    p = rng.uniform(size=(20, 1)).astype("float32")
    flat = metrics.BinaryAccuracy()
    flat.update_state(y, p)
    assert result(flat) == pytest.approx(((p[:, 0] > 0.5) == y).mean())
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.0)


def test_categorical_accuracy(backend, rng):
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert result(m) == pytest.approx(0.5)
    m.reset_state()
    m.update_state(
        [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3]
    )
    assert result(m) == pytest.approx(0.3)
    labels = rng.integers(0, 5, size=30)
    logits = rng.normal(size=(30, 5)).astype("float32")
    np.testing.assert_array_equal(
        to_np(metrics.categorical_accuracy(np.eye(5)[labels], logits)),
        (logits.argmax(1) == labels).astype("float32"),
    )


@pytest.mark.parametrize("label_dtype", ["int32", "float32"])
@pytest.mark.parametrize("column", [False, True])
def test_sparse_categorical_accuracy(backend, rng, label_dtype, column):
    labels = rng.integers(0, 4, size=25)
    probs = rng.uniform(size=(25, 4)).astype("float32")
    weights = rng.uniform(size=25).astype("float32")
    y = labels.astype(label_dtype)
    if column:
        y = y[:, None]
    hits = (probs.argmax(1) == labels).astype("float64")
    per_sample = metrics.sparse_categorical_accuracy(y, probs)
    assert ops.shape(per_sample) == (25,)
    np.testing.assert_array_equal(to_np(per_sample), hits)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(y[:10], probs[:10], sample_weight=weights[:10])
    m.update_state(y[10:], probs[10:], sample_weight=weights[10:])
    assert result(m) == pytest.approx((hits * weights).sum() / weights.sum(), rel=1e-5)


def test_sparse_categorical_accuracy_keras_example(backend):
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert result(m) == pytest.approx(0.5)
    m.reset_state()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert result(m) == pytest.approx(0.3)


# ------------------------------------------------------ regression, crossentropy
def test_mean_squared_error_metric(backend, rng):
    m = metrics.MeanSquaredError()
    assert m.name == "mean_squared_error"
    y1, p1 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    y2, p2 = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    w2 = np.array([2.0, 0.5])
    m.update_state(y1, p1)
    m.update_state(y2, p2, sample_weight=w2)
    per1, per2 = ((y1 - p1) ** 2).mean(1), ((y2 - p2) ** 2).mean(1)
    assert result(m) == pytest.approx((per1.sum() + (per2 * w2).sum()) / (3 + w2.sum()), rel=1e-5)
    mae = metrics.MeanAbsoluteError()
    mae.update_state(y1, p1)
    assert result(mae) == pytest.approx(np.abs(y1 - p1).mean(), rel=1e-5)


def test_crossentropy_metrics(backend, rng):
    labels = rng.integers(0, 3, size=6)
    logits = rng.normal(size=(6, 3)).astype("float32")
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -log_p[np.arange(6), labels].mean()
    sparse = metrics.SparseCategoricalCrossentropy(from_logits=True)
    sparse.update_state(labels, logits)
    assert result(sparse) == pytest.approx(expected, rel=1e-5)
    dense = metrics.CategoricalCrossentropy(from_logits=True)
    dense.update_state(np.eye(3)[labels], logits)
    assert result(dense) == pytest.approx(expected, rel=1e-5)
    binary = metrics.BinaryCrossentropy()
    binary.update_state([[0.0, 1.0]], [[0.25, 0.5]])
    assert result(binary) == pytest.approx(-(np.log(0.75) + np.log(0.5)) / 2, rel=1e-5)


# ------------------------------------------------------------- stateless forms
@pytest.mark.parametrize(
    "make_metric",
    [
        metrics.Mean,
        metrics.Sum,
        metrics.SparseCategoricalAccuracy,
        metrics.BinaryAccuracy,
        metrics.MeanSquaredError,
    ],
    ids=lambda f: f.__name__,
)
def test_stateless_forms_equal_stateful(backend, rng, make_metric):
    def batch(n):
        if make_metric in (metrics.Mean, metrics.Sum):
            return (rng.normal(size=(n,)).astype("float32"),), {
                "sample_weight": rng.uniform(size=n).astype("float32")
            }
        if make_metric is metrics.SparseCategoricalAccuracy:
            args = (rng.integers(0, 3, size=n), rng.uniform(size=(n, 3)).astype("float32"))
        elif make_metric is metrics.BinaryAccuracy:
            args = (rng.integers(0, 2, size=(n, 1)), rng.uniform(size=(n, 1)).astype("float32"))
        else:
            args = (
                rng.normal(size=(n, 2)).astype("float32"),
                rng.normal(size=(n, 2)).astype("float32"),
            )
        return args, {"sample_weight": rng.uniform(size=n).astype("float32")}

    batches = [batch(4), batch(3)]
    stateful, pure = make_metric(), make_metric()
    values = [v.value for v in pure.variables]
    for args, kwargs in batches:
        stateful.update_state(*args, **kwargs)
        values = pure.stateless_update_state(values, *args, **kwargs)
    assert len(values) == len(pure.variables)
    for v_stateful, v_pure in zip(stateful.variables, values):
        np.testing.assert_allclose(to_np(v_stateful.value), to_np(v_pure), rtol=1e-6)
    assert float(to_np(pure.stateless_result(values))) == pytest.approx(result(stateful), rel=1e-6)
    # The pure forms leave the metric's own variables untouched.
    assert all(float(to_np(v.value)) == 0.0 for v in pure.variables)
    held = [to_np(v.value) for v in stateful.variables]
    for zero in stateful.stateless_reset_state():
        assert float(to_np(zero)) == 0.0
    for before, v in zip(held, stateful.variables):  # still holds its state
        np.testing.assert_array_equal(before, to_np(v.value))


def test_stateless_update_inside_compiled_function(backend, rng):
    m = metrics.SparseCategoricalAccuracy()
    y = rng.integers(0, 3, size=8).astype("int32")
    p = rng.uniform(size=(8, 3)).astype("float32")

    def step(values, y, p):
        values = m.stateless_update_state(values, y, p)
        return values, m.stateless_result(values)

    compiled = backend.jit(step)
    values = [v.value for v in m.variables]
    values, _ = compiled(values, ops.convert_to_tensor(y), ops.convert_to_tensor(p))
    values, acc = compiled(values, ops.convert_to_tensor(y), ops.convert_to_tensor(p))
    assert float(to_np(acc)) == pytest.approx((p.argmax(1) == y).mean())
    assert float(to_np(values[1])) == 16.0


def test_stateless_checks_the_number_of_values(backend):
    m = metrics.Mean()
    with pytest.raises(ValueError, match="1:1"):
        m.stateless_update_state([ops.zeros(())], [1.0])
    with pytest.raises(ValueError, match="1:1"):
        m.stateless_result([])


def test_custom_metric_tracks_nested_state(backend):
    class MeanAndMax(metrics.Metric):
        def __init__(self, name="mean_and_max", **kwargs):
            super().__init__(name=name, **kwargs)
            self.mean = metrics.Mean(name="inner_mean")
            self.maximum = self.add_variable(shape=(), initializer="zeros", name="maximum")

        def update_state(self, values):
            self.mean.update_state(values)
            self.maximum.assign(ops.maximum(self.maximum, ops.max(values)))

        def result(self):
            return {"mean": self.mean.result(), "max": self.maximum.value}

    m = MeanAndMax()
    assert [v.path for v in m.variables] == [
        "mean_and_max/maximum",
        "inner_mean/total",
        "inner_mean/count",
    ]
    values = m.stateless_update_state(
        [v.value for v in m.variables], ops.convert_to_tensor([1.0, 5.0, 3.0])
    )
    out = m.stateless_result(values)
    assert float(to_np(out["mean"])) == pytest.approx(3.0) and float(to_np(out["max"])) == 5.0
    m([2.0, 8.0])
    assert float(to_np(m.result()["max"])) == 8.0
    m.reset_state()
    assert all(float(to_np(v.value)) == 0.0 for v in m.variables)


def test_forgetting_super_init_is_reported():
    class Broken(metrics.Metric):
        def __init__(self):
            self.add_variable(shape=(), initializer="zeros", name="x")

    with pytest.raises(RuntimeError, match="super"):
        Broken()


# ---------------------------------------------------- names, lookup, configs
def test_get():
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("acc"), metrics.Accuracy)
    assert isinstance(metrics.get("BinaryAccuracy"), metrics.BinaryAccuracy)
    assert isinstance(
        metrics.get(metrics.SparseCategoricalAccuracy), metrics.SparseCategoricalAccuracy
    )
    assert metrics.get("binary_accuracy") is metrics.binary_accuracy
    assert metrics.get("sparse_categorical_accuracy") is metrics.sparse_categorical_accuracy
    assert metrics.get("mse") is metrics.mean_squared_error
    instance = metrics.Mean()
    assert metrics.get(instance) is instance
    assert metrics.get(None) is None
    restored = metrics.get(
        {"class_name": "BinaryAccuracy", "config": {"name": "ba", "threshold": 0.3}}
    )
    assert (
        isinstance(restored, metrics.BinaryAccuracy)
        and restored.threshold == 0.3
        and restored.name == "ba"
    )


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(3)


def test_default_names():
    assert metrics.Accuracy().name == "accuracy"
    assert metrics.BinaryAccuracy().name == "binary_accuracy"
    assert metrics.CategoricalAccuracy().name == "categorical_accuracy"
    assert metrics.SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    assert metrics.Mean().name == "mean" and metrics.Sum().name == "sum"


@pytest.mark.parametrize(
    "make_metric",
    [
        lambda: metrics.Mean(name="m"),
        lambda: metrics.Sum(),
        lambda: metrics.Accuracy(name="acc"),
        lambda: metrics.BinaryAccuracy(threshold=0.7),
        lambda: metrics.CategoricalAccuracy(),
        lambda: metrics.SparseCategoricalAccuracy(name="sca"),
        lambda: metrics.MeanSquaredError(),
        lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
    ],
)
def test_config_round_trip(make_metric):
    metric = make_metric()
    config = metric.get_config()
    assert type(metric).from_config(config).get_config() == config
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is type(metric) and restored.get_config() == config


def test_wrapper_config_round_trip(backend):
    wrapped = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="strict", threshold=0.9)
    config = wrapped.get_config()
    assert config["fn"] == "binary_accuracy" and config["threshold"] == 0.9
    restored = metrics.MeanMetricWrapper.from_config(config)
    restored.update_state([[1], [1]], [[0.95], [0.85]])
    assert result(restored) == pytest.approx(0.5)
    plain = metrics.MeanMetricWrapper.from_config(
        metrics.MeanMetricWrapper(metrics.accuracy).get_config()
    )
    assert plain._fn is metrics.accuracy


# ---------------------------------------------------------- across backends
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two backends")
def test_backends_agree(rng):
    labels = rng.integers(0, 4, size=(12, 1))
    probs = rng.uniform(size=(12, 4)).astype("float32")
    weights = rng.uniform(size=12).astype("float32")
    y_bin = rng.integers(0, 2, size=(12, 1))
    p_bin = rng.uniform(size=(12, 1)).astype("float32")
    results = {}
    for name in BACKENDS:
        with kb.use_backend(name):
            sca, ba, mse = (
                metrics.SparseCategoricalAccuracy(),
                metrics.BinaryAccuracy(),
                metrics.MeanSquaredError(),
            )
            for lo, hi in ((0, 5), (5, 12)):
                sca.update_state(labels[lo:hi], probs[lo:hi], sample_weight=weights[lo:hi])
                ba.update_state(y_bin[lo:hi], p_bin[lo:hi])
                mse.update_state(probs[lo:hi], probs[lo:hi] ** 2, sample_weight=weights[lo:hi])
            results[name] = [result(sca), result(ba), result(mse)]
    first, *others = BACKENDS
    for other in others:
        np.testing.assert_allclose(results[first], results[other], rtol=1e-5)


def test_directions():
    assert metrics.SparseCategoricalAccuracy()._direction == "up"
    assert metrics.BinaryAccuracy()._direction == "up"
    assert metrics.MeanSquaredError()._direction == "down"
    assert metrics.MeanMetricWrapper(metrics.binary_crossentropy)._direction == "down"
    assert not hasattr(metrics.Mean(), "_direction")
