"""The training-toolkit losses on every backend: formulas in NumPy, reductions, extremes, jit, lookup."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish.backend as kb
from kerasish import losses, ops
from tests.conftest import BACKENDS

EPS = 1e-7


def to_np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------ the published formulas, in NumPy
def np_mape(t, p):
    return 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def np_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, axis=-1)


def np_cosine(t, p, axis=-1):
    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), EPS)

    return -np.sum(unit(t) * unit(p), axis=axis)


def np_huber(t, p, delta=1.0):
    x = np.abs(p - t)
    return np.mean(np.where(x <= delta, 0.5 * x**2, delta * x - 0.5 * delta**2), axis=-1)


def np_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def np_hinge(t, p):
    if np.all((t == 0) | (t == 1)):
        t = 2 * t - 1
    return np.mean(np.maximum(1 - t * p, 0), axis=-1)


def np_squared_hinge(t, p):
    if np.all((t == 0) | (t == 1)):
        t = 2 * t - 1
    return np.mean(np.maximum(1 - t * p, 0) ** 2, axis=-1)


def np_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def np_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def np_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def np_binary_focal(
    t,
    p,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = _sigmoid(p)
        bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    else:
        q = np.clip(p, EPS, 1 - EPS)
        bce = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    p_t = t * p + (1 - t) * (1 - p)
    loss = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        loss = (t * alpha + (1 - t) * (1 - alpha)) * loss
    return loss.mean(axis=-1)


def np_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = _softmax(p)
    else:
        p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return np.sum(alpha * (1 - p) ** gamma * -t * np.log(p), axis=-1)


def _data(rng):
    labels01 = (rng.uniform(size=(6, 4)) > 0.5).astype("float32")
    return {
        "labels01": labels01,
        "labels_pm1": 2 * labels01 - 1,
        "onehot": np.eye(4, dtype="float32")[rng.integers(0, 4, size=6)],
        "prob": rng.uniform(0.01, 0.99, size=(6, 4)).astype("float32"),
        "dist": _softmax(rng.normal(size=(6, 4))).astype("float32"),
        "target": rng.normal(size=(6, 4)).astype("float32"),
        "pred": (rng.normal(size=(6, 4)) * 2).astype("float32"),
        "logits": (rng.normal(size=(6, 4)) * 3).astype("float32"),
        "counts": rng.integers(0, 4, size=(6, 4)).astype("float32"),
        "rates": rng.uniform(0.1, 3, size=(6, 4)).astype("float32"),
    }


# (loss class, its function, kwargs, NumPy formula, y_true key, y_pred key)
CASES = [
    (
        losses.MeanAbsolutePercentageError,
        losses.mean_absolute_percentage_error,
        {},
        np_mape,
        "target",
        "pred",
    ),
    (
        losses.MeanSquaredLogarithmicError,
        losses.mean_squared_logarithmic_error,
        {},
        np_msle,
        "rates",
        "pred",
    ),
    (losses.CosineSimilarity, losses.cosine_similarity, {}, np_cosine, "target", "pred"),
    (losses.CosineSimilarity, losses.cosine_similarity, {"axis": 0}, np_cosine, "target", "pred"),
    (losses.Huber, losses.huber, {}, np_huber, "target", "pred"),
    (losses.Huber, losses.huber, {"delta": 0.4}, np_huber, "target", "pred"),
    (losses.LogCosh, losses.log_cosh, {}, np_log_cosh, "target", "pred"),
    (losses.Hinge, losses.hinge, {}, np_hinge, "labels01", "pred"),
    (losses.Hinge, losses.hinge, {}, np_hinge, "labels_pm1", "pred"),
    (losses.Hinge, losses.hinge, {}, np_hinge, "target", "pred"),
    (losses.SquaredHinge, losses.squared_hinge, {}, np_squared_hinge, "labels01", "pred"),
    (losses.CategoricalHinge, losses.categorical_hinge, {}, np_categorical_hinge, "onehot", "pred"),
    (losses.KLDivergence, losses.kl_divergence, {}, np_kld, "dist", "prob"),
    (losses.Poisson, losses.poisson, {}, np_poisson, "counts", "rates"),
    (
        losses.BinaryFocalCrossentropy,
        losses.binary_focal_crossentropy,
        {},
        np_binary_focal,
        "labels01",
        "prob",
    ),
    (
        losses.BinaryFocalCrossentropy,
        losses.binary_focal_crossentropy,
        {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "label_smoothing": 0.1},
        np_binary_focal,
        "labels01",
        "prob",
    ),
    (
        losses.BinaryFocalCrossentropy,
        losses.binary_focal_crossentropy,
        {"from_logits": True, "apply_class_balancing": True, "gamma": 3.0, "label_smoothing": 0.2},
        np_binary_focal,
        "labels01",
        "logits",
    ),
    (
        losses.CategoricalFocalCrossentropy,
        losses.categorical_focal_crossentropy,
        {},
        np_categorical_focal,
        "onehot",
        "prob",
    ),
    (
        losses.CategoricalFocalCrossentropy,
        losses.categorical_focal_crossentropy,
        {"alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.1},
        np_categorical_focal,
        "onehot",
        "prob",
    ),
    (
        losses.CategoricalFocalCrossentropy,
        losses.categorical_focal_crossentropy,
        {"from_logits": True, "gamma": 0.5},
        np_categorical_focal,
        "dist",
        "logits",
    ),
]
IDS = [
    f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}-{t}"
    for cls, _, kw, _, t, _ in CASES
]


@pytest.mark.parametrize("cls, fn, kwargs, formula, t, p", CASES, ids=IDS)
def test_values_match_formula(backend, rng, cls, fn, kwargs, formula, t, p):
    data = _data(rng)
    y_true, y_pred = data[t], data[p]
    expected = formula(y_true.astype("float64"), y_pred.astype("float64"), **kwargs)
    per_sample = to_np(fn(y_true, y_pred, **kwargs))
    np.testing.assert_allclose(per_sample, expected, rtol=1e-5, atol=1e-6)
    loss = cls(**kwargs)
    np.testing.assert_allclose(to_np(loss(y_true, y_pred)), expected.mean(), rtol=1e-5, atol=1e-6)
    unreduced = cls(reduction=None, **kwargs)
    np.testing.assert_allclose(to_np(unreduced(y_true, y_pred)), expected, rtol=1e-5, atol=1e-6)


def test_hand_computed_values(backend):
    # Worked by hand, not through a NumPy formula.
    assert float(losses.MeanAbsolutePercentageError()([[1.0, 2.0]], [[1.5, 1.0]])) == 50.0
    # errors 0.5 (quadratic: 0.125) and 2 (linear: 2 - 0.5 = 1.5): mean 0.8125
    assert float(losses.Huber()([[0.0, 1.0]], [[0.5, 3.0]])) == pytest.approx(0.8125)
    # margins: 1 - 1 * 0.3 = 0.7 and 1 - (-1) * (-2) = -1 -> 0
    assert float(losses.Hinge()([[1.0, 0.0]], [[0.3, -2.0]])) == pytest.approx(0.35)
    assert float(losses.SquaredHinge()([[1.0, 0.0]], [[0.3, -2.0]])) == pytest.approx(0.245)
    # pos = 0.2, neg = 0.7: max(0.7 - 0.2 + 1, 0)
    assert float(losses.CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.7, 0.2, 0.1]])) == pytest.approx(
        1.5
    )
    # log cosh(1) = 0.4337808
    assert float(losses.LogCosh()([[0.0]], [[1.0]])) == pytest.approx(math.log(math.cosh(1.0)))
    # KL(0.5,0.5 || 0.25,0.75) = 0.5 log 2 + 0.5 log(2/3)
    assert float(losses.KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), rel=1e-6
    )
    # Poisson: 2 - 1 * log 2
    assert float(losses.Poisson()([[1.0]], [[2.0]])) == pytest.approx(2 - math.log(2), rel=1e-6)
    assert float(losses.CosineSimilarity()([[3.0, 4.0]], [[6.0, 8.0]])) == pytest.approx(-1.0)
    # A zero vector: similarity 0, not NaN.
    assert float(losses.CosineSimilarity()([[0.0, 0.0]], [[1.0, 2.0]])) == 0.0
    # p = 0.9 for class 1: (1 - 0.9)**2 * -log(0.9)
    assert float(losses.BinaryFocalCrossentropy()([[1.0]], [[0.9]])) == pytest.approx(
        0.01 * -math.log(0.9), rel=1e-5
    )
    assert float(
        losses.CategoricalFocalCrossentropy()([[0.0, 1.0]], [[0.2, 0.8]])
    ) == pytest.approx(0.25 * 0.04 * -math.log(0.8), rel=1e-5)


# ------------------------------------------------------------- extremes and gradients
def _value_and_grad(backend, fn, y_true, y_pred):
    return backend.value_and_grad(lambda p: ops.sum(fn(y_true, p)))(ops.convert_to_tensor(y_pred))


EXTREME_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 50.0]], "float32")
EXTREME_PROBS = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]], "float32")
BINARY_LABELS = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]], "float32")
ONE_HOT = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], "float32")


@pytest.mark.parametrize(
    "fn, y_true, y_pred",
    [
        (
            lambda t, p: losses.binary_crossentropy(t, p, from_logits=True),
            BINARY_LABELS,
            EXTREME_LOGITS,
        ),
        (lambda t, p: losses.binary_crossentropy(t, p), BINARY_LABELS, EXTREME_PROBS),
        (
            lambda t, p: losses.binary_focal_crossentropy(t, p, from_logits=True, gamma=0.5),
            BINARY_LABELS,
            EXTREME_LOGITS,
        ),
        (
            lambda t, p: losses.binary_focal_crossentropy(t, p, apply_class_balancing=True),
            BINARY_LABELS,
            EXTREME_PROBS,
        ),
        (
            lambda t, p: losses.binary_focal_crossentropy(t, p, gamma=0.5),
            BINARY_LABELS,
            EXTREME_PROBS,
        ),
        (
            lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True),
            ONE_HOT,
            EXTREME_LOGITS,
        ),
        (lambda t, p: losses.categorical_crossentropy(t, p), ONE_HOT, EXTREME_PROBS),
        (
            lambda t, p: losses.sparse_categorical_crossentropy(t, p, from_logits=True),
            np.array([1, 0]),
            EXTREME_LOGITS,
        ),
        (
            lambda t, p: losses.categorical_focal_crossentropy(t, p, from_logits=True, gamma=0.5),
            ONE_HOT,
            EXTREME_LOGITS,
        ),
        (lambda t, p: losses.categorical_focal_crossentropy(t, p), ONE_HOT, EXTREME_PROBS),
        (losses.kl_divergence, ONE_HOT, EXTREME_PROBS),
        (losses.poisson, BINARY_LABELS, EXTREME_PROBS),
        (losses.mean_squared_logarithmic_error, BINARY_LABELS, EXTREME_PROBS),
        (losses.mean_absolute_percentage_error, np.zeros((2, 3), "float32"), EXTREME_PROBS),
        (losses.log_cosh, np.zeros((2, 3), "float32"), EXTREME_LOGITS),
        (losses.huber, np.zeros((2, 3), "float32"), EXTREME_LOGITS),
        (losses.cosine_similarity, ONE_HOT, np.zeros((2, 3), "float32")),
        (losses.hinge, BINARY_LABELS, EXTREME_LOGITS),
        (losses.categorical_hinge, ONE_HOT, EXTREME_LOGITS),
    ],
)
def test_extreme_inputs_give_finite_losses_and_gradients(backend, fn, y_true, y_pred):
    value, grad = _value_and_grad(backend, fn, y_true, y_pred)
    assert np.isfinite(to_np(value)), f"loss: {to_np(value)}"
    assert np.all(np.isfinite(to_np(grad))), f"gradient: {to_np(grad)}"


def test_extreme_logits_give_the_exact_loss(backend):
    # From logits, the loss is not capped by clipping: a logit of -1e4 for the true
    # class costs 1e4.
    value = losses.binary_crossentropy([[1.0]], [[-1e4]], from_logits=True)
    assert float(to_np(value)[0]) == pytest.approx(1e4)
    focal = losses.binary_focal_crossentropy([[1.0]], [[-1e4]], from_logits=True)
    assert float(to_np(focal)[0]) == pytest.approx(1e4)  # (1 - p_t) ** 2 = 1
    confident = losses.binary_focal_crossentropy([[1.0]], [[1e4]], from_logits=True)
    assert float(to_np(confident)[0]) == 0.0
    cce = losses.categorical_focal_crossentropy([[0.0, 1.0]], [[1e4, -1e4]], from_logits=True)
    assert float(to_np(cce)[0]) == pytest.approx(0.25 * 2e4)
    assert float(to_np(losses.log_cosh([[0.0]], [[1e4]]))[0]) == pytest.approx(1e4 - math.log(2))


def test_log_cosh_gradient_is_tanh(backend):
    x = np.array([[-30.0, -1.0, 0.0, 0.5, 30.0]], "float32")
    _, grad = _value_and_grad(backend, losses.log_cosh, np.zeros_like(x), x)
    np.testing.assert_allclose(to_np(grad), np.tanh(x) / x.shape[-1], rtol=1e-5, atol=1e-7)


# -------------------------------------------------------- reductions, weights, edge cases
@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None]
)
def test_reductions_with_sample_weights(backend, rng, reduction):
    data = _data(rng)
    weights = np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0], "float32")
    per = np_huber(data["target"], data["pred"], 0.5) * weights
    expected = {
        "sum": per.sum(),
        "mean_with_sample_weight": per.sum() / weights.sum(),
        "none": per,
        None: per,
    }.get(reduction, per.mean())
    loss = losses.Huber(delta=0.5, reduction=reduction)
    got = loss(data["target"], data["pred"], sample_weight=weights)
    np.testing.assert_allclose(to_np(got), expected, rtol=1e-5, atol=1e-6)


def test_zero_sample_weights(backend, rng):
    data = _data(rng)
    zeros = np.zeros(6, "float32")
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        loss = losses.BinaryFocalCrossentropy(reduction=reduction)
        assert float(to_np(loss(data["labels01"], data["prob"], sample_weight=zeros))) == 0.0
    # Gradients through zero weights are zero, not NaN.
    loss = losses.KLDivergence(reduction="mean_with_sample_weight")
    _, grad = backend.value_and_grad(lambda p: loss(data["dist"], p, sample_weight=zeros))(
        ops.convert_to_tensor(data["prob"])
    )
    np.testing.assert_array_equal(to_np(grad), 0.0)


@pytest.mark.parametrize("cls", [c for c, *_ in CASES[::2]])
def test_empty_batch(backend, cls):
    # As in Keras: the reductions leave an empty batch of losses as it is (no NaN).
    y = np.zeros((0, 4), "float32")
    kwargs = {"axis": -1} if cls is losses.CosineSimilarity else {}
    out = to_np(cls(**kwargs)(y, y))
    assert out.shape == (0,)


# ------------------------------------------------------------------- jit, backends
def test_compiled_equals_eager(backend, rng):
    # Every loss of CASES, weighted, in one compiled function.
    data = _data(rng)
    losses_ = [cls(**kwargs) for cls, _, kwargs, *_ in CASES]
    weights = [
        rng.uniform(size=(4 if kw.get("axis") == 0 else 6,)).astype("float32")
        for _, _, kw, *_ in CASES
    ]
    pairs = [(data[t], data[p]) for *_, t, p in CASES]

    def all_losses(pairs, weights):
        return [loss(a, b, sample_weight=w) for loss, (a, b), w in zip(losses_, pairs, weights)]

    compiled = backend.jit(all_losses)(pairs, weights)
    for got, expected in zip(compiled, all_losses(pairs, weights)):
        np.testing.assert_allclose(to_np(got), to_np(expected), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two backends")
def test_backends_agree_on_values_and_gradients(rng):
    data = _data(rng)
    # Every loss of CASES at once: one value per case, and the gradient with respect
    # to each case's predictions, from a single differentiated function.
    preds = [data[p] for *_, p in CASES]
    weights = [float(i + 1) for i in range(len(CASES))]

    def total(ys):
        values = [cls(**kwargs)(data[t], y) for (cls, _, kwargs, _, t, _), y in zip(CASES, ys)]
        return ops.sum(ops.stack(values) * np.array(weights, "float32")), values

    results = {}
    for name in BACKENDS:
        with kb.use_backend(name) as b:
            # Compiled, where the backend compiles: one program instead of many eager ops.
            (_, values), grads = b.jit(b.value_and_grad(total, has_aux=True))(
                [ops.convert_to_tensor(y) for y in preds]
            )
            results[name] = ([to_np(v) for v in values], [to_np(g) for g in grads])
    first, *others = BACKENDS
    for other in others:
        for v1, v2 in zip(results[first][0], results[other][0]):
            np.testing.assert_allclose(v1, v2, rtol=1e-5, atol=1e-6)
        for g1, g2 in zip(results[first][1], results[other][1]):
            np.testing.assert_allclose(g1, g2, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------- names, configs, bad input
def test_names_and_defaults():
    assert losses.Huber().name == "huber_loss" and losses.Huber().delta == 1.0
    assert losses.LogCosh().name == "log_cosh"
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.CosineSimilarity().axis == -1
    bfce = losses.BinaryFocalCrossentropy()
    assert (bfce.apply_class_balancing, bfce.alpha, bfce.gamma, bfce.from_logits) == (
        False,
        0.25,
        2.0,
        False,
    )
    assert (bfce.label_smoothing, bfce.axis, bfce.reduction) == (0.0, -1, "sum_over_batch_size")
    cfce = losses.CategoricalFocalCrossentropy()
    assert (cfce.alpha, cfce.gamma, cfce.from_logits, cfce.label_smoothing) == (
        0.25,
        2.0,
        False,
        0.0,
    )
    for cls in (
        losses.MeanAbsolutePercentageError,
        losses.MeanSquaredLogarithmicError,
        losses.Poisson,
        losses.Hinge,
        losses.SquaredHinge,
        losses.CategoricalHinge,
    ):
        assert cls().name == cls.__name__.replace("Error", "_error").lower() or cls().name


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mape", losses.mean_absolute_percentage_error),
        ("MAPE", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("MSLE", losses.mean_squared_logarithmic_error),
        ("kld", losses.kl_divergence),
        ("KLD", losses.kl_divergence),
        ("kullback_leibler_divergence", losses.kl_divergence),
        ("huber", losses.huber),
        ("logcosh", losses.log_cosh),
        ("log_cosh", losses.log_cosh),
        ("poisson", losses.poisson),
        ("hinge", losses.hinge),
        ("squared_hinge", losses.squared_hinge),
        ("categorical_hinge", losses.categorical_hinge),
        ("cosine_similarity", losses.cosine_similarity),
        ("binary_focal_crossentropy", losses.binary_focal_crossentropy),
        ("categorical_focal_crossentropy", losses.categorical_focal_crossentropy),
    ],
)
def test_string_names(name, expected):
    assert losses.get(name) is expected


@pytest.mark.parametrize("cls, fn, kwargs, formula, t, p", CASES, ids=IDS)
def test_class_names_and_config_round_trip(cls, fn, kwargs, formula, t, p):
    assert isinstance(losses.get(cls.__name__), cls)
    loss = cls(reduction="sum", name="custom", **kwargs)
    config = loss.get_config()
    assert config["reduction"] == "sum" and config["name"] == "custom"
    for key, value in kwargs.items():
        assert config[key] == value
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is cls and restored.get_config() == config


def test_bad_input():
    with pytest.raises(ValueError, match="axis"):
        losses.cosine_similarity([[1.0, 0.0]], [[1.0, 0.0]], axis=1.5)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_focal_crossentropy([[1.0, 0.0]], [[1.0, 0.0]], axis=True)
    with pytest.raises(ValueError, match="reduction"):
        losses.Huber(reduction="average")
    for loss in (losses.Huber(), losses.KLDivergence(), losses.BinaryFocalCrossentropy()):
        with pytest.raises(
            ValueError, match=r"same shape.*y_true.shape=\(5, 4\), y_pred.shape=\(5, 3\)"
        ):
            loss(np.ones((5, 4), "float32"), np.full((5, 3), 0.5, "float32"))
    with pytest.raises(SyntaxWarning, match="num_classes > 1"):
        losses.categorical_focal_crossentropy([[1.0]], [[0.3]])
