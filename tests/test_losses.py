"""Losses on every backend: values against NumPy formulas, reductions, weights, gradients, lookup, configs."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish.backend as kb
from kerasish import losses, ops
from tests.conftest import BACKENDS

EPS = 1e-7


def to_np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


# ----------------------------------------------------- NumPy references (float64)
def np_log_softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_bce(y, p, from_logits=False, label_smoothing=0.0):
    y = np.asarray(y, np.float64) * (1 - label_smoothing) + 0.5 * label_smoothing
    p = np.asarray(p, np.float64)
    if from_logits:
        # log(1 + exp(-|x|)) + max(x, 0) - x*y: the stable form of -y log s(x) - (1-y) log s(-x)
        per = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
    else:
        p = np.clip(p, EPS, 1 - EPS)
        per = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return per.mean(axis=-1)


def np_cce(y, p, from_logits=False, label_smoothing=0.0):
    y = np.asarray(y, np.float64)
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / y.shape[-1]
    if from_logits:
        log_p = np_log_softmax(p)
    else:
        p = np.asarray(p, np.float64)
        log_p = np.log(np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS))
    return -(y * log_p).sum(axis=-1)


def np_scce(labels, p, from_logits=False):
    labels = np.asarray(labels).reshape(np.shape(p)[:-1]).astype(int)
    return np_cce(np.eye(np.shape(p)[-1])[labels], p, from_logits)


# --------------------------------------------------------------------- values
def test_mean_squared_and_absolute_error(backend, rng):
    y = rng.normal(size=(4, 3)).astype("float32")
    p = rng.normal(size=(4, 3)).astype("float32")
    per_mse = ((y - p) ** 2).mean(axis=-1)
    per_mae = np.abs(y - p).mean(axis=-1)
    np.testing.assert_allclose(to_np(losses.mean_squared_error(y, p)), per_mse, rtol=1e-6)
    np.testing.assert_allclose(to_np(losses.mean_absolute_error(y, p)), per_mae, rtol=1e-6)
    assert float(losses.MeanSquaredError()(y, p)) == pytest.approx(per_mse.mean(), rel=1e-6)
    assert float(losses.MeanAbsoluteError()(y, p)) == pytest.approx(per_mae.mean(), rel=1e-6)
    # (batch,) targets against (batch, 1) predictions: the target gets the trailing axis.
    np.testing.assert_allclose(
        float(losses.MeanSquaredError()(y[:, 0], p[:, :1])),
        ((y[:, 0] - p[:, 0]) ** 2).mean(),
        rtol=1e-6,
    )


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_binary_crossentropy(backend, rng, from_logits, label_smoothing):
    y = rng.integers(0, 2, size=(5, 3)).astype("float32")
    p = (
        rng.normal(size=(5, 3)).astype("float32")
        if from_logits
        else rng.uniform(0.01, 0.99, (5, 3)).astype("float32")
    )
    expected = np_bce(y, p, from_logits, label_smoothing)
    fn = losses.binary_crossentropy(y, p, from_logits=from_logits, label_smoothing=label_smoothing)
    np.testing.assert_allclose(to_np(fn), expected, rtol=1e-5)
    loss = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    assert float(loss(y, p)) == pytest.approx(expected.mean(), rel=1e-5)


def test_binary_crossentropy_keras_docstring_values(backend):
    y_true = np.array([[0, 1], [0, 0]])
    logits = np.array([[-18.6, 0.51], [2.94, -12.8]])
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce(y_true, logits)) == pytest.approx(0.8654, abs=1e-4)
    assert float(bce(y_true, logits, sample_weight=[0.8, 0.2])) == pytest.approx(0.2436, abs=1e-4)
    assert float(
        losses.BinaryCrossentropy(from_logits=True, reduction="sum")(y_true, logits)
    ) == pytest.approx(1.7309, abs=1e-4)
    np.testing.assert_allclose(
        to_np(losses.BinaryCrossentropy(from_logits=True, reduction=None)(y_true, logits)),
        [0.235, 1.496],
        atol=1e-3,
    )


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_categorical_crossentropy(backend, rng, from_logits, label_smoothing):
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, size=6)]
    if from_logits:
        p = rng.normal(size=(6, 4)).astype("float32")
    else:
        p = rng.uniform(0.05, 1.0, (6, 4)).astype("float32")  # not normalized: the loss normalizes
    expected = np_cce(y, p, from_logits, label_smoothing)
    fn = losses.categorical_crossentropy(
        y, p, from_logits=from_logits, label_smoothing=label_smoothing
    )
    np.testing.assert_allclose(to_np(fn), expected, rtol=1e-5)
    loss = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    assert float(loss(y, p)) == pytest.approx(expected.mean(), rel=1e-5)


def test_categorical_crossentropy_axis(backend, rng):
    logits = rng.normal(size=(3, 4, 2)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, size=(3, 2))].transpose(0, 2, 1)
    expected = -(y * np_log_softmax(logits, axis=1)).sum(axis=1)
    got = losses.categorical_crossentropy(y, logits, from_logits=True, axis=1)
    np.testing.assert_allclose(to_np(got), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(y, logits, axis=True)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_form", ["int_flat", "int_column", "float_flat", "float_column"])
def test_sparse_categorical_crossentropy(backend, rng, from_logits, label_form):
    labels = rng.integers(0, 5, size=7)
    p = (
        rng.normal(size=(7, 5)).astype("float32")
        if from_logits
        else rng.uniform(0.05, 1.0, (7, 5)).astype("float32")
    )
    y = labels.astype("int32" if label_form.startswith("int") else "float32")
    if label_form.endswith("column"):
        y = y[:, None]
    expected = np_scce(labels, p, from_logits)
    np.testing.assert_allclose(
        to_np(losses.sparse_categorical_crossentropy(y, p, from_logits=from_logits)),
        expected,
        rtol=1e-5,
    )
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert float(loss(y, p)) == pytest.approx(expected.mean(), rel=1e-5)


def test_sparse_categorical_crossentropy_ignore_class(backend, rng):
    logits = rng.normal(size=(4, 3)).astype("float32")
    labels = np.array([0, -1, 2, -1], dtype="int32")
    per = np_scce(np.where(labels < 0, 0, labels), logits, from_logits=True)
    valid = labels >= 0
    got = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, ignore_class=-1)
    np.testing.assert_allclose(to_np(got), np.where(valid, per, 0.0), rtol=1e-5)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    # The average is over the samples that count.
    assert float(loss(labels, logits)) == pytest.approx(per[valid].mean(), rel=1e-5)
    assert float(loss(labels[:, None], logits)) == pytest.approx(per[valid].mean(), rel=1e-5)
    summed = losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1, reduction="sum"
    )
    assert float(summed(labels, logits)) == pytest.approx(per[valid].sum(), rel=1e-5)
    # Probabilities (not logits) and ignored samples: still finite, gradients included.
    probs = np.exp(np_log_softmax(logits)).astype("float32")
    value, grad = kb.get().value_and_grad(
        lambda q: losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, q)
    )(ops.convert_to_tensor(probs))
    assert float(value) == pytest.approx(per[valid].mean(), rel=1e-4)
    assert np.isfinite(to_np(grad)).all()
    np.testing.assert_array_equal(to_np(grad)[~valid], 0.0)


# ------------------------------------------------ reductions and sample weights
@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None]
)
def test_reductions_with_sample_weight(backend, rng, reduction):
    y = rng.normal(size=(4, 3)).astype("float32")
    p = rng.normal(size=(4, 3)).astype("float32")
    per = ((y - p) ** 2).mean(axis=-1)
    weights = np.array([0.5, 2.0, 0.0, 1.0], dtype="float32")
    weighted = per * weights
    expected = {
        "sum_over_batch_size": weighted.sum() / 4,
        "mean": weighted.sum() / 4,
        "sum": weighted.sum(),
        "mean_with_sample_weight": weighted.sum() / weights.sum(),
        "none": weighted,
        None: weighted,
    }[reduction]
    loss = losses.MeanSquaredError(reduction=reduction)
    np.testing.assert_allclose(to_np(loss(y, p, sample_weight=weights)), expected, rtol=1e-5)
    # A (batch, 1) weight is matched to (batch,) losses.
    np.testing.assert_allclose(
        to_np(loss(y, p, sample_weight=weights[:, None])).reshape(np.shape(expected)),
        expected,
        rtol=1e-5,
    )
    unweighted = {"sum": per.sum(), "none": per, None: per}.get(reduction, per.mean())
    np.testing.assert_allclose(to_np(loss(y, p)), unweighted, rtol=1e-5)


def test_scalar_and_elementwise_sample_weight(backend, rng):
    y = rng.normal(size=(3, 4, 2)).astype("float32")
    p = rng.normal(size=(3, 4, 2)).astype("float32")
    per = ((y - p) ** 2).mean(axis=-1)  # (3, 4): one loss per time step
    loss = losses.MeanSquaredError()
    assert float(loss(y, p, sample_weight=2.0)) == pytest.approx(2 * per.mean(), rel=1e-5)
    w = rng.uniform(size=(3, 4)).astype("float32")
    assert float(loss(y, p, sample_weight=w)) == pytest.approx((per * w).sum() / per.size, rel=1e-5)


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_losses_compute_in_float32(backend, rng):
    y = rng.integers(0, 2, size=(4, 1))
    p = rng.uniform(0.1, 0.9, (4, 1))  # float64 input
    value = losses.BinaryCrossentropy()(y, p)
    assert ops.dtype(value) == "float32"
    assert float(value) == pytest.approx(np_bce(y, p).mean(), rel=1e-5)


# ------------------------------------------------- extreme inputs and gradients
@pytest.mark.parametrize(
    "make_loss, y, p",
    [
        (
            lambda: losses.BinaryCrossentropy(from_logits=True),
            [[1.0, 0.0, 1.0, 0.0]],
            [[1e4, -1e4, -1e4, 1e4]],
        ),
        (lambda: losses.BinaryCrossentropy(), [[1.0, 0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0, 1.0]]),
        (
            lambda: losses.CategoricalCrossentropy(from_logits=True),
            [[0.0, 1.0, 0.0]],
            [[1e4, -1e4, 0.0]],
        ),
        (lambda: losses.CategoricalCrossentropy(), [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]]),
        (lambda: losses.SparseCategoricalCrossentropy(from_logits=True), [1], [[1e4, -1e4, 0.0]]),
        (lambda: losses.SparseCategoricalCrossentropy(), [1], [[1.0, 0.0, 0.0]]),
    ],
)
def test_extreme_inputs_give_finite_loss_and_gradient(backend, make_loss, y, p):
    loss = make_loss()
    value, grad = backend.value_and_grad(lambda q: loss(np.array(y), q))(
        ops.convert_to_tensor(p, "float32")
    )
    assert np.isfinite(float(value)) and float(value) > 1.0  # confidently wrong: a large loss
    assert np.isfinite(to_np(grad)).all()


def test_gradients_match_closed_forms(backend, rng):
    """d BCE(logits) / dx = (sigmoid(x) - y) / n; d CCE(logits) / dx = (softmax(x) - y) / batch."""
    x = rng.normal(size=(3, 2)).astype("float32")
    y = rng.integers(0, 2, size=(3, 2)).astype("float32")
    _, grad = backend.value_and_grad(lambda t: losses.BinaryCrossentropy(from_logits=True)(y, t))(
        ops.convert_to_tensor(x)
    )
    np.testing.assert_allclose(
        to_np(grad), (1 / (1 + np.exp(-x)) - y) / y.size, rtol=1e-4, atol=1e-6
    )
    onehot = np.eye(4, dtype="float32")[[0, 3, 1]]
    z = rng.normal(size=(3, 4)).astype("float32")
    _, grad = backend.value_and_grad(
        lambda t: losses.CategoricalCrossentropy(from_logits=True)(onehot, t)
    )(ops.convert_to_tensor(z))
    np.testing.assert_allclose(
        to_np(grad), (np.exp(np_log_softmax(z)) - onehot) / 3, rtol=1e-4, atol=1e-6
    )


def test_loss_inside_compiled_function(backend, rng):
    y = rng.integers(0, 3, size=(5,)).astype("int32")
    logits = rng.normal(size=(5, 3)).astype("float32")
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    compiled = backend.jit(lambda a, b: loss(a, b, sample_weight=ops.ones((5,))))
    assert float(
        compiled(ops.convert_to_tensor(y), ops.convert_to_tensor(logits))
    ) == pytest.approx(np_scce(y, logits, True).mean(), rel=1e-5)


# ---------------------------------------------------- names, lookup, configs
def test_default_names():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.MeanAbsoluteError().name == "mean_absolute_error"
    assert losses.BinaryCrossentropy().name == "binary_crossentropy"
    assert losses.CategoricalCrossentropy().name == "categorical_crossentropy"
    assert losses.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"


def test_get():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("MAE") is losses.mean_absolute_error
    for name in (
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
    ):
        assert losses.get(name) is getattr(losses, name)
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    assert isinstance(losses.get(losses.CategoricalCrossentropy), losses.CategoricalCrossentropy)
    instance = losses.SparseCategoricalCrossentropy()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    assert losses.get(custom) is custom
    assert losses.get(None) is None
    from_config = losses.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert isinstance(from_config, losses.BinaryCrossentropy) and from_config.from_logits


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match="Did you mean 'binary_crossentropy'"):
        losses.get("binary_crossentropie")
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)


@pytest.mark.parametrize(
    "loss",
    [
        losses.MeanSquaredError(reduction="sum", name="my_mse"),
        losses.MeanAbsoluteError(),
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1, reduction=None),
        losses.CategoricalCrossentropy(label_smoothing=0.2, reduction="mean"),
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_config_round_trip(loss):
    config = loss.get_config()
    assert type(loss).from_config(config).get_config() == config
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == config
    assert losses.serialize(loss)["module"] == "keras.losses"


def test_function_wrapper_config_round_trip(backend, rng):
    wrapped = losses.LossFunctionWrapper(
        losses.binary_crossentropy, name="wrapped", from_logits=True
    )
    config = wrapped.get_config()
    assert config["fn"] == "binary_crossentropy" and config["from_logits"] is True
    restored = losses.LossFunctionWrapper.from_config(config)
    y = rng.integers(0, 2, size=(3, 2)).astype("float32")
    x = rng.normal(size=(3, 2)).astype("float32")
    assert float(restored(y, x)) == pytest.approx(float(wrapped(y, x)), rel=1e-6)
    assert float(restored(y, x)) == pytest.approx(np_bce(y, x, from_logits=True).mean(), rel=1e-5)


def test_custom_loss_subclass(backend, rng):
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.multiply(3.0, ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1))

    y, p = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    loss = Scaled()
    assert loss.name.startswith("scaled")  # auto-named from the class, "scaled", "scaled_1", ...
    assert float(loss(y, p)) == pytest.approx(3 * ((y - p) ** 2).mean(), rel=1e-5)
    assert loss.get_config() == {"name": loss.name, "reduction": "sum_over_batch_size"}


# ---------------------------------------------------------- across backends
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two backends")
def test_backends_agree(rng):
    y_int = rng.integers(0, 4, size=(8,))
    logits = (rng.normal(size=(8, 4)) * 5).astype("float32")
    probs = np.exp(np_log_softmax(logits)).astype("float32")
    y_bin = rng.integers(0, 2, size=(8, 4)).astype("float32")
    weights = rng.uniform(size=(8,)).astype("float32")
    cases = [
        (losses.SparseCategoricalCrossentropy(from_logits=True), y_int, logits),
        (losses.SparseCategoricalCrossentropy(), y_int, probs),
        (losses.CategoricalCrossentropy(label_smoothing=0.1), np.eye(4)[y_int], probs),
        (losses.BinaryCrossentropy(from_logits=True), y_bin, logits),
        (losses.BinaryCrossentropy(), y_bin, probs),
        (losses.MeanSquaredError(), y_bin, logits),
    ]
    results = {}
    for name in BACKENDS:
        with kb.use_backend(name) as b:
            out = []
            for loss, y, p in cases:
                value, grad = b.value_and_grad(
                    lambda q, loss=loss, y=y: loss(y, q, sample_weight=weights)
                )(ops.convert_to_tensor(p))
                out.append((float(value), to_np(grad)))
            results[name] = out
    first, *others = BACKENDS
    for other in others:
        for (v1, g1), (v2, g2) in zip(results[first], results[other]):
            assert v1 == pytest.approx(v2, rel=1e-5, abs=1e-6)
            np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-6)
