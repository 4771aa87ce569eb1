"""top_k and the training-toolkit metrics on every backend: NumPy references, jit, lookup, errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish.backend as kb
from kerasish import metrics, ops
from kerasish.ops.symbolic import KerasTensor, compute_output_spec
from tests.conftest import BACKENDS

EPS = 1e-7


def to_np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def result(metric):
    return to_np(metric.result())


# ------------------------------------------------------------------------- top_k
def np_top_k(x, k):
    # Descending, ties broken by the lower index: a stable sort of the negated values.
    indices = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices


def test_top_k_values_indices_and_ties(backend, rng):
    x = rng.normal(size=(2, 3, 7)).astype("float32")
    x[0, 0, [1, 4, 5]] = 2.5  # a three-way tie at the top
    for k in (1, 3, 7):
        values, indices = ops.top_k(x, k)
        expected_values, expected_indices = np_top_k(x, k)
        np.testing.assert_array_equal(to_np(values), expected_values)
        np.testing.assert_array_equal(to_np(indices), expected_indices)
        assert ops.dtype(indices) == "int32"
    values, indices = ops.top_k(np.array([5, 2, 7, 1, 9, 3], "int32"), k=3)
    assert to_np(values).tolist() == [9, 7, 5] and to_np(indices).tolist() == [4, 2, 0]


def test_top_k_gradient_goes_to_the_selected_positions(backend):
    x = ops.convert_to_tensor(np.array([[0.3, 2.0, -1.0, 1.5], [4.0, 0.0, 1.0, 3.0]], "float32"))
    weights = np.array([1.0, 10.0], "float32")
    _, grad = backend.value_and_grad(lambda v: ops.sum(ops.multiply(ops.top_k(v, 2)[0], weights)))(
        x
    )
    np.testing.assert_array_equal(to_np(grad), [[0.0, 1.0, 0.0, 10.0], [1.0, 0.0, 0.0, 10.0]])


def test_top_k_compiles_and_is_symbolic(backend, rng):
    x = rng.normal(size=(4, 6)).astype("float32")
    compiled = backend.jit(lambda v: ops.top_k(v, 2))
    values, indices = compiled(x)
    np.testing.assert_array_equal(to_np(indices), np_top_k(x, 2)[1])
    np.testing.assert_array_equal(to_np(values), np_top_k(x, 2)[0])
    symbolic_values, symbolic_indices = ops.top_k(KerasTensor((None, 6)), 2)
    assert symbolic_values.shape == (None, 2) and symbolic_indices.shape == (None, 2)
    assert symbolic_indices.dtype == "int32"


def test_top_k_bad_arguments(backend):
    x = np.zeros((2, 3), "float32")
    with pytest.raises(ValueError, match=r"at most the size of the last axis \(3\). Received: k=4"):
        ops.top_k(x, 4)
    with pytest.raises(ValueError, match="positive integer. Received: k=0"):
        ops.top_k(x, 0)
    with pytest.raises(ValueError, match="positive integer"):
        ops.top_k(x, 1.5)
    with pytest.raises(ValueError, match="rank >= 1"):
        ops.top_k(np.float32(1.0), 1)


def test_in_top_k(backend):
    predictions = np.array(
        [
            [0.1, 0.4, 0.6, 0.9, 0.5],
            [0.1, 0.7, 0.9, 0.8, 0.3],
            [0.1, 0.6, 0.9, 0.9, 0.5],
            [np.nan, 0.1, 0.2, 0.3, 0.4],
        ],
        "float32",
    )
    targets = np.array([2, 4, 3, 0])
    # Row 3: the target ties for first place, so it is in the top 1 too; a NaN
    # prediction for the target never is.
    assert to_np(ops.in_top_k(targets, predictions, k=3)).tolist() == [True, False, True, False]
    assert to_np(ops.in_top_k(targets, predictions, k=1)).tolist() == [False, False, True, False]
    compiled = backend.jit(lambda t, p: ops.in_top_k(t, p, k=3))
    assert to_np(compiled(targets, predictions)).tolist() == [True, False, True, False]
    with pytest.raises(ValueError, match="one axis more"):
        ops.in_top_k(np.array([[1]]), predictions, k=1)


# ------------------------------------------------------------ references in NumPy
def np_confusion(y_true, y_pred, thresholds, weights=None, multi_label=False):
    """tp, fp, tn, fn per threshold, by comparing every prediction with every threshold."""
    y_true = np.asarray(y_true, "float64").astype(bool)
    y_pred = np.asarray(y_pred, "float64")
    w = (
        np.ones(y_pred.shape)
        if weights is None
        else np.broadcast_to(
            np.asarray(weights, "float64").reshape(-1, *([1] * (y_pred.ndim - 1))), y_pred.shape
        )
    )
    axes = 0 if multi_label else None
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for t in thresholds:
        pos = y_pred > t
        out["tp"].append(np.sum(w * (y_true & pos), axis=axes))
        out["fp"].append(np.sum(w * (~y_true & pos), axis=axes))
        out["tn"].append(np.sum(w * (~y_true & ~pos), axis=axes))
        out["fn"].append(np.sum(w * (y_true & ~pos), axis=axes))
    return {k: np.array(v) for k, v in out.items()}


def _div(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def auc_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


def np_auc(
    y_true, y_pred, n=200, curve="ROC", summation="interpolation", weights=None, multi_label=False
):
    c = np_confusion(y_true, y_pred, auc_thresholds(n), weights, multi_label)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    if curve == "PR" and summation == "interpolation":
        # Davis and Goadrich: precision interpolated as tp changes linearly with p.
        p = tp + fp
        dtp, dp = tp[:-1] - tp[1:], p[:-1] - p[1:]
        slope = _div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        terms = _div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    else:
        recall = _div(tp, tp + fn)
        x, y = (_div(fp, fp + tn), recall) if curve == "ROC" else (recall, _div(tp, tp + fp))
        if summation == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif summation == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        terms = (x[:-1] - x[1:]) * heights
    return terms.sum(axis=0).mean() if multi_label else terms.sum()


def _binary_data(rng, n=40, labels=3):
    y_true = (rng.uniform(size=(n, labels)) > 0.5).astype("float32")
    y_pred = (y_true * 0.3 + rng.uniform(size=(n, labels)) * 0.7).astype("float32")
    # Some predictions exactly at 0, 0.5 and 1 (values every threshold grid handles
    # exactly): "above the threshold" is strict. Other values stay off the grids, where
    # rounding p * (num_thresholds - 1) in float32 could move a prediction by a bucket.
    y_pred.flat[np.linspace(0, y_pred.size - 1, 6).astype(int)] = [0.0, 0.5, 1.0, 0.5, 0.0, 1.0]
    return y_true, y_pred, rng.uniform(size=(n,)).astype("float32")


# ----------------------------------------------------------------------------- AUC
def test_auc_by_hand(backend):
    # Thresholds -eps, 0.5, 1+eps. At 0.5: predicted positive only 0.9 (tp=1, fp=0),
    # so the ROC points are (1, 1), (0, 0.5), (0, 0): area 0.5 * (1 + 0.5) = 0.75.
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(result(m)) == pytest.approx(0.75)
    # Perfectly separated scores give 1, reversed ones 0.
    m = metrics.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(result(m)) == pytest.approx(1.0, abs=1e-6)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])
    assert float(result(m)) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_thresholds": 7},
        {"curve": "PR"},
        {"curve": "PR", "summation_method": "minoring", "num_thresholds": 11},
        {"curve": "ROC", "summation_method": "majoring", "multi_label": True},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_auc_against_threshold_comparisons(backend, rng, kwargs):
    # The metric sorts predictions into buckets; the reference compares them with
    # every threshold. Two batches, with sample weights.
    batches = [_binary_data(rng) for _ in range(2)]
    m = metrics.AUC(**kwargs)
    for y_true, y_pred, w in batches:
        m.update_state(y_true, y_pred, sample_weight=w)
    y_true, y_pred, w = (np.concatenate(parts) for parts in zip(*batches))
    expected = np_auc(
        y_true,
        y_pred,
        n=kwargs.get("num_thresholds", 200),
        curve=kwargs.get("curve", "ROC"),
        summation=kwargs.get("summation_method", "interpolation"),
        weights=w,
        multi_label=kwargs.get("multi_label", False),
    )
    assert float(result(m)) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_auc_approaches_the_rank_statistic(backend, rng):
    # With many thresholds and distinct scores, the trapezoidal ROC area is the
    # probability that a positive outscores a negative (Mann-Whitney).
    y_true = (rng.uniform(size=400) > 0.6).astype("float32")
    y_pred = np.clip(rng.normal(0.4 + 0.2 * y_true, 0.15), 0, 1).astype("float32")
    positives, negatives = y_pred[y_true == 1], y_pred[y_true == 0]
    mann_whitney = np.mean(positives[:, None] > negatives[None, :])
    m = metrics.AUC(num_thresholds=2000)
    m.update_state(y_true, y_pred)
    assert float(result(m)) == pytest.approx(mann_whitney, abs=2e-3)


def test_auc_options(backend, rng):
    y_true, y_pred, _ = _binary_data(rng)
    logits = np.log(np.clip(y_pred, 1e-3, 1 - 1e-3) / (1 - np.clip(y_pred, 1e-3, 1 - 1e-3)))
    from_logits = metrics.AUC(from_logits=True)
    from_logits.update_state(y_true, logits)
    plain = metrics.AUC()
    plain.update_state(y_true, 1 / (1 + np.exp(-logits)))
    assert float(result(from_logits)) == pytest.approx(float(result(plain)), abs=1e-6)
    # Explicit thresholds (0 and 1 added around them; uneven, so compared one by one).
    m = metrics.AUC(thresholds=[0.8, 0.3, 0.5])
    m.update_state(y_true, y_pred)
    assert m.num_thresholds == 5
    c = np_confusion(y_true, y_pred, [-EPS, 0.3, 0.5, 0.8, 1 + EPS])
    recall, fpr = _div(c["tp"], c["tp"] + c["fn"]), _div(c["fp"], c["fp"] + c["tn"])
    expected = np.sum((fpr[:-1] - fpr[1:]) * (recall[:-1] + recall[1:]) / 2)
    assert float(result(m)) == pytest.approx(expected, rel=1e-6)
    # label_weights weigh the areas per label when multi-label.
    weights = [0.2, 0.5, 1.0]
    m = metrics.AUC(multi_label=True, label_weights=weights)
    m.update_state(y_true, y_pred)
    per_label = [np_auc(y_true[:, j], y_pred[:, j]) for j in range(3)]
    assert float(result(m)) == pytest.approx(np.dot(per_label, weights) / sum(weights), rel=1e-5)
    assert m.true_positives.shape == (200, 3)


# --------------------------------------------------------------- precision, recall
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"thresholds": [0.2, 0.5, 0.9]},
        {"thresholds": [0.0, 0.5, 1.0]},  # evenly spaced: bucketed
        {"top_k": 2},
        {"top_k": 1, "class_id": 1},
        {"class_id": 2, "thresholds": 0.3},
        {"top_k": 2, "thresholds": 0.4},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_precision_and_recall(backend, rng, kwargs):
    y_true, y_pred, w = _binary_data(rng)
    thresholds = kwargs.get("thresholds", 0.5 if "top_k" not in kwargs else -1e10)
    thresholds = thresholds if isinstance(thresholds, list) else [thresholds]
    filtered = y_pred.astype("float64")
    if "top_k" in kwargs:
        keep = np.zeros_like(filtered, dtype=bool)
        np.put_along_axis(keep, np_top_k(y_pred, kwargs["top_k"])[1], True, axis=-1)
        filtered = np.where(keep, filtered, -1e10)
    t, p = y_true, filtered
    if "class_id" in kwargs:
        t, p = y_true[:, kwargs["class_id"]], filtered[:, kwargs["class_id"]]
    c = np_confusion(t, p, thresholds, weights=w)
    precision, recall = _div(c["tp"], c["tp"] + c["fp"]), _div(c["tp"], c["tp"] + c["fn"])
    for cls, expected in ((metrics.Precision, precision), (metrics.Recall, recall)):
        m = cls(**kwargs)
        m.update_state(y_true, y_pred, sample_weight=w)
        got = result(m)
        np.testing.assert_allclose(got, expected if len(thresholds) > 1 else expected[0], rtol=1e-5)


def test_confusion_counts(backend, rng):
    y_true, y_pred, w = _binary_data(rng)
    thresholds = [0.1, 0.5, 0.75]
    c = np_confusion(y_true, y_pred, thresholds, weights=w)
    for cls, key in (
        (metrics.TruePositives, "tp"),
        (metrics.FalsePositives, "fp"),
        (metrics.TrueNegatives, "tn"),
        (metrics.FalseNegatives, "fn"),
    ):
        m = cls(thresholds=thresholds)
        m.update_state(y_true, y_pred, sample_weight=w)
        np.testing.assert_allclose(result(m), c[key], rtol=1e-5)
    single = metrics.TruePositives()
    single.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert result(single).shape == () and float(result(single)) == 2.0


# ------------------------------------------------------------------------ F-scores
def np_fbeta(y_true, y_pred, beta=1.0, threshold=None, average=None, weights=None):
    if threshold is None:
        pred = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
    else:
        pred = y_pred > threshold
    pred = pred.astype("float64")
    w = np.ones(len(y_true)) if weights is None else weights
    axis = None if average == "micro" else 0
    tp = np.sum(w[:, None] * pred * y_true, axis=axis)
    fp = np.sum(w[:, None] * pred * (1 - y_true), axis=axis)
    fn = np.sum(w[:, None] * (1 - pred) * y_true, axis=axis)
    support = np.sum(w[:, None] * y_true, axis=axis)
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    score = (1 + beta**2) * precision * recall / (beta**2 * precision + recall + EPS)
    if average == "weighted":
        return np.sum(score * support / (support.sum() + EPS))
    if average is not None:
        return np.mean(score)
    return score


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"average": "macro", "threshold": 0.5},
        {"average": "micro"},
        {"average": "weighted", "threshold": 0.3},
        {"beta": 2.0, "threshold": 0.5},
        {"beta": 0.5, "average": "weighted"},
    ],
    ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_f_scores(backend, rng, kwargs):
    y_true, y_pred, w = _binary_data(rng)
    expected = np_fbeta(y_true, y_pred, weights=w, **kwargs)
    m = metrics.FBetaScore(**kwargs) if "beta" in kwargs else metrics.F1Score(**kwargs)
    m.update_state(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(result(m), expected, rtol=1e-5, atol=1e-7)


def test_f1_by_hand(backend):
    m = metrics.F1Score(threshold=0.5)
    m.update_state(
        [[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]
    )
    # class 0: tp 1, fn 2 -> P 1, R 1/3, F1 0.5; class 1: tp 2, fp 1 -> 0.8; class 2: tp 1, fp 1 -> 2/3
    np.testing.assert_allclose(result(m), [0.5, 0.8, 2 / 3], rtol=1e-5)


# ------------------------------------------------------------------------- MeanIoU
def np_mean_iou(y_true, y_pred, n, weights=None, ignore_class=None):
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    w = np.ones(len(y_true)) if weights is None else np.ravel(weights)
    cm = np.zeros((n, n))
    for t, p, wi in zip(y_true, y_pred, w):
        if 0 <= t < n and 0 <= p < n and t != ignore_class:
            cm[t, p] += wi
    tp = np.diag(cm)
    denominator = cm.sum(0) + cm.sum(1) - tp
    valid = denominator > 1e-9
    return np.sum(np.where(valid, tp / (denominator + EPS), 0)) / (valid.sum() + EPS)


def test_mean_iou(backend, rng):
    y_true = rng.integers(-1, 5, size=(3, 8))  # -1: out of range, not counted
    y_pred = rng.integers(0, 5, size=(3, 8))
    m = metrics.MeanIoU(num_classes=5)
    m.update_state(y_true, y_pred)
    assert float(result(m)) == pytest.approx(np_mean_iou(y_true, y_pred, 5), rel=1e-5)
    ignoring = metrics.MeanIoU(num_classes=5, ignore_class=0)
    ignoring.update_state(y_true, y_pred)
    assert float(result(ignoring)) == pytest.approx(
        np_mean_iou(y_true, y_pred, 5, ignore_class=0), rel=1e-5
    )
    weights = rng.uniform(size=(3, 8)).astype("float32")
    weighted = metrics.MeanIoU(num_classes=5, dtype="float32")
    weighted.update_state(y_true, y_pred, sample_weight=weights)
    assert float(result(weighted)) == pytest.approx(
        np_mean_iou(y_true, y_pred, 5, weights=weights), rel=1e-5
    )
    by_hand = metrics.MeanIoU(num_classes=2)
    by_hand.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(result(by_hand)) == pytest.approx(1 / 3)  # each class: 1 / (2 + 2 - 1)
    assert by_hand.total_cm.dtype == "int32"
    with pytest.warns(UserWarning, match="float"):
        by_hand.update_state([0], [0], sample_weight=np.array([0.5], "float32"))


# --------------------------------------------------------------- regression metrics
def np_r2(y_true, y_pred, weights=None, aggregation="uniform_average", num_regressors=0):
    w = np.ones_like(y_true) if weights is None else np.broadcast_to(weights[:, None], y_true.shape)
    mean = np.sum(w * y_true, 0) / np.sum(w, 0)
    total = np.sum(w * (y_true - mean) ** 2, 0)
    scores = 1 - np.sum(w * (y_true - y_pred) ** 2, 0) / total
    if aggregation == "uniform_average":
        score = scores.mean()
    elif aggregation == "variance_weighted_average":
        score = np.sum(total * scores) / total.sum()
    else:
        score = scores
    n = y_true.size
    if num_regressors and n - 1 > num_regressors:
        score = 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
    return score


def test_r2_score(backend, rng):
    y_true = rng.normal(size=(12, 3)).astype("float32")
    y_pred = (y_true + rng.normal(size=(12, 3)) * 0.5).astype("float32")
    w = rng.uniform(size=(12,)).astype("float32")
    for kwargs in (
        {},
        {"class_aggregation": "variance_weighted_average"},
        {"class_aggregation": None, "num_regressors": 3},
        {"num_regressors": 40},  # more regressors than entries: the plain score
    ):
        m = metrics.R2Score(**kwargs)
        m.update_state(y_true[:6], y_pred[:6], sample_weight=w[:6])
        m.update_state(y_true[6:], y_pred[6:], sample_weight=w[6:])
        aggregation = kwargs.get("class_aggregation", "uniform_average")
        expected = np_r2(y_true, y_pred, w, aggregation, kwargs.get("num_regressors", 0))
        np.testing.assert_allclose(result(m), expected, rtol=1e-4)
    by_hand = metrics.R2Score()
    by_hand.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    # mean 8/3, SS_tot = 14/3, SS_res = 2: 1 - 2 / (14/3) = 4/7
    assert float(result(by_hand)) == pytest.approx(4 / 7, rel=1e-6)


def test_wrapper_metrics(backend, rng):
    y_true = rng.uniform(0.1, 2, size=(6, 4)).astype("float32")
    y_pred = rng.uniform(0.1, 2, size=(6, 4)).astype("float32")
    w = rng.uniform(size=(6,)).astype("float32")
    t, p = y_true.astype("float64"), y_pred.astype("float64")

    def unit(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    labels = (t > 1).astype("float64")
    cases = [
        (metrics.MeanAbsolutePercentageError(), 100 * np.mean(np.abs((t - p) / t), -1)),
        (metrics.MeanSquaredLogarithmicError(), np.mean((np.log1p(p) - np.log1p(t)) ** 2, -1)),
        (metrics.CosineSimilarity(), np.sum(unit(t) * unit(p), -1)),
        (metrics.LogCoshError(), np.mean(np.log(np.cosh(p - t)), -1)),
        (
            metrics.KLDivergence(),
            np.sum(np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)), -1),
        ),
        (metrics.Poisson(), np.mean(p - t * np.log(p + EPS), -1)),
    ]
    for m, per_sample in cases:
        m.update_state(y_true, y_pred, sample_weight=w)
        assert float(result(m)) == pytest.approx(np.sum(per_sample * w) / w.sum(), rel=1e-5), m.name
    signs = 2 * labels - 1
    hinge = metrics.Hinge()
    hinge.update_state(labels, y_pred)
    assert float(result(hinge)) == pytest.approx(np.mean(np.maximum(1 - signs * p, 0)), rel=1e-5)
    squared = metrics.SquaredHinge()
    squared.update_state(labels, y_pred)
    assert float(result(squared)) == pytest.approx(
        np.mean(np.maximum(1 - signs * p, 0) ** 2), rel=1e-5
    )
    onehot = np.eye(4)[np.argmax(t, -1)]
    categorical = metrics.CategoricalHinge()
    categorical.update_state(onehot, y_pred)
    expected = np.maximum(np.max((1 - onehot) * p, -1) - np.sum(onehot * p, -1) + 1, 0).mean()
    assert float(result(categorical)) == pytest.approx(expected, rel=1e-5)
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(y_true, y_pred, sample_weight=w)
    expected = np.sqrt(np.sum(np.mean((t - p) ** 2, -1) * w) / w.sum())
    assert float(result(rmse)) == pytest.approx(expected, rel=1e-5)


def test_top_k_accuracies(backend, rng):
    scores = rng.normal(size=(10, 6)).astype("float32")
    scores[0, :] = 1.0  # all tied: every class is in the top k
    labels = rng.integers(0, 6, size=(10,))
    for k in (1, 2, 5):
        larger = np.sum(scores > scores[np.arange(10), labels][:, None], axis=-1)
        expected = (larger < k).astype("float32")
        np.testing.assert_array_equal(
            to_np(metrics.sparse_top_k_categorical_accuracy(labels, scores, k=k)), expected
        )
        np.testing.assert_array_equal(
            to_np(metrics.top_k_categorical_accuracy(np.eye(6)[labels], scores, k=k)), expected
        )
        m = metrics.SparseTopKCategoricalAccuracy(k=k)
        m.update_state(labels[:, None], scores)
        assert float(result(m)) == pytest.approx(expected.mean())
        dense = metrics.TopKCategoricalAccuracy(k=k)
        dense.update_state(np.eye(6)[labels], scores)
        assert float(result(dense)) == pytest.approx(expected.mean())
    sorted_ids = np.argsort(-scores, axis=-1, kind="stable").astype("float32")
    from_ids = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    from_ids.update_state(labels, sorted_ids)
    expected = np.mean([label in row[:2] for label, row in zip(labels, sorted_ids)])
    assert float(result(from_ids)) == pytest.approx(expected)
    # Sequence outputs: (batch, time, classes).
    sequence = metrics.sparse_top_k_categorical_accuracy(
        labels.reshape(2, 5), scores.reshape(2, 5, 6), k=2
    )
    assert to_np(sequence).shape == (2, 5)


# ----------------------------------------------------------- jit and stateless form
def _all_metrics():
    """Metrics with their inputs: (metric, y_true, y_pred, sample_weight) per batch."""
    rng = np.random.default_rng(5)
    y_true, y_pred, w = _binary_data(rng, n=16)
    labels = rng.integers(0, 5, size=(16,))
    scores = rng.normal(size=(16, 5)).astype("float32")
    target = rng.normal(size=(16, 3)).astype("float32")
    binary = (y_true, y_pred, w)
    return [
        (metrics.AUC(), binary),
        (metrics.AUC(curve="PR", multi_label=True, num_labels=3), binary),
        (metrics.AUC(thresholds=[0.3, 0.5, 0.8], curve="PR", summation_method="majoring"), binary),
        (metrics.Precision(thresholds=[0.3, 0.6]), binary),
        (metrics.Precision(top_k=2), binary),
        (metrics.Recall(class_id=1), binary),
        (metrics.TrueNegatives(thresholds=[0.0, 0.5, 1.0]), binary),
        (metrics.MeanIoU(num_classes=5, sparse_y_pred=False), (labels, scores, None)),
        (metrics.TopKCategoricalAccuracy(k=2), (np.eye(5)[labels], scores, w)),
        (metrics.SparseTopKCategoricalAccuracy(k=3), (labels, scores, w)),
        (metrics.RootMeanSquaredError(), (target, target * 0.5, w)),
        (metrics.CosineSimilarity(), (target, target + 0.3, w)),
        (metrics.LogCoshError(), (target, target * 2, None)),
        (metrics.MeanAbsolutePercentageError(), (target, target * 1.5, None)),
        (metrics.Hinge(), (y_true, y_pred - 0.5, w)),
        (metrics.KLDivergence(), (y_pred, y_pred[::-1], None)),
    ]


def _built_lazily():
    rng = np.random.default_rng(6)
    y_true, y_pred, w = _binary_data(rng, n=16)
    target = rng.normal(size=(16, 3)).astype("float32")
    return [
        (metrics.F1Score(average="macro"), (y_true, y_pred, w)),
        (metrics.FBetaScore(beta=2.0, threshold=0.4), (y_true, y_pred, None)),
        (metrics.R2Score(), (target, target * 0.8, w)),
        (metrics.AUC(multi_label=True), (y_true, y_pred, None)),
    ]


def _split(data):
    y_true, y_pred, w = data
    half = len(y_pred) // 2
    return [
        (y_true[:half], y_pred[:half], None if w is None else w[:half]),
        (y_true[half:], y_pred[half:], None if w is None else w[half:]),
    ]


def _build_from_symbolic_inputs(metric, data):
    # Shaped from its first batch: built from symbolic inputs, as a trainer does before
    # compiling its step (nothing is computed or kept).
    y_true, y_pred, _ = data
    compute_output_spec(
        lambda t, p: metric.update_state(t, p),
        KerasTensor((None, *np.shape(y_true)[1:])),
        KerasTensor((None, *np.shape(y_pred)[1:])),
    )


def test_compiled_stateless_updates_equal_eager_ones_on_every_backend():
    """Every metric updated eagerly on the reference (NumPy) backend; fresh copies
    updated by one compiled pure step on each backend; all agree."""
    reference = "numpy" if "numpy" in BACKENDS else BACKENDS[0]
    with kb.use_backend(reference):
        eager = []
        for metric, data in _all_metrics() + _built_lazily():
            for y_true, y_pred, w in _split(data):
                metric.update_state(y_true, y_pred, sample_weight=w)
            eager.append(result(metric))
    for name in BACKENDS:
        with kb.use_backend(name) as backend:
            pure = _all_metrics() + _built_lazily()
            for metric, data in pure:
                if not getattr(metric, "_built", True):
                    _build_from_symbolic_inputs(metric, data)

            def step(states, batches, pure=pure):
                return [
                    metric.stateless_update_state(state, y_true, y_pred, sample_weight=w)
                    for (metric, _), state, (y_true, y_pred, w) in zip(pure, states, batches)
                ]

            def results(states, pure=pure):
                return [metric.stateless_result(state) for (metric, _), state in zip(pure, states)]

            compiled_step = backend.jit(step)
            states = [[v.value for v in metric.variables] for metric, _ in pure]
            for half in range(2):
                states = compiled_step(states, [_split(data)[half] for _, data in pure])
            for (metric, _), got, expected in zip(pure, backend.jit(results)(states), eager):
                np.testing.assert_allclose(
                    to_np(got), expected, rtol=1e-5, atol=1e-6, err_msg=f"{name}: {metric.name}"
                )
                # The pure form left the metric's own state untouched.
                assert all(not np.any(v.numpy()) for v in metric.variables)


def test_lazily_built_metric_inside_a_pure_step_says_what_to_do(backend):
    m = metrics.F1Score()
    with pytest.raises(ValueError, match=r"f1_score\S*/true_positives.*shapes of its first batch"):
        m.stateless_update_state([], np.eye(3, dtype="float32"), np.eye(3, dtype="float32"))
    with pytest.raises(ValueError, match="first `update_state`"):
        metrics.R2Score().result()


def test_reset_state(backend, rng):
    y_true, y_pred, w = _binary_data(rng)
    for metric in (metrics.AUC(num_thresholds=7), metrics.F1Score(), metrics.R2Score()):
        metric.update_state(y_true, y_pred, sample_weight=w)
        metric.reset_state()
        assert all(not np.any(v.numpy()) for v in metric.variables), metric.name
    unbuilt = metrics.AUC(multi_label=True)
    unbuilt.reset_state()  # nothing to reset yet
    assert unbuilt.variables == []


# ------------------------------------------------------------ names, configs, errors
@pytest.mark.parametrize(
    "name, expected",
    [
        ("auc", metrics.AUC),
        ("AUC", metrics.AUC),
        ("precision", metrics.Precision),
        ("Recall", metrics.Recall),
        ("f1_score", metrics.F1Score),
        ("root_mean_squared_error", metrics.RootMeanSquaredError),
        ("r2_score", metrics.R2Score),
        ("true_positives", metrics.TruePositives),
        ("TopKCategoricalAccuracy", metrics.TopKCategoricalAccuracy),
        ("cosine_similarity", metrics.CosineSimilarity),
        ("LogCoshError", metrics.LogCoshError),
    ],
)
def test_names_give_instances(name, expected):
    assert type(metrics.get(name)) is expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mape", metrics.mean_absolute_percentage_error),
        ("MSLE", metrics.mean_squared_logarithmic_error),
        ("kld", metrics.kl_divergence),
        ("logcosh", metrics.log_cosh),
        ("poisson", metrics.poisson),
        ("hinge", metrics.hinge),
        ("top_k_categorical_accuracy", metrics.top_k_categorical_accuracy),
        ("sparse_top_k_categorical_accuracy", metrics.sparse_top_k_categorical_accuracy),
    ],
)
def test_names_give_functions(name, expected):
    assert metrics.get(name) is expected


@pytest.mark.parametrize(
    "metric",
    [
        metrics.AUC(num_thresholds=50, curve="PR", summation_method="minoring", from_logits=True),
        metrics.AUC(
            thresholds=[0.2, 0.7], multi_label=True, num_labels=2, label_weights=[1.0, 2.0]
        ),
        metrics.Precision(thresholds=[0.3, 0.6], class_id=2, name="p"),
        metrics.Recall(top_k=3),
        metrics.TruePositives(thresholds=0.7),
        metrics.F1Score(average="weighted", threshold=0.4),
        metrics.FBetaScore(average="micro", beta=0.5),
        metrics.MeanIoU(num_classes=3, ignore_class=0, sparse_y_pred=False),
        metrics.IoU(num_classes=4, target_class_ids=[1, 3]),
        metrics.R2Score(class_aggregation=None, num_regressors=2),
        metrics.RootMeanSquaredError(name="rmse"),
        metrics.CosineSimilarity(axis=0),
        metrics.TopKCategoricalAccuracy(k=3),
        metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
        metrics.KLDivergence(),
        metrics.CategoricalHinge(),
    ],
    ids=lambda m: type(m).__name__,
)
def test_config_round_trip(metric):
    config = metric.get_config()
    assert type(metric).from_config(config).get_config() == config
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is type(metric) and restored.get_config() == config


def test_defaults():
    auc = metrics.AUC()
    assert (auc.num_thresholds, auc.curve, auc.summation_method, auc.multi_label) == (
        200,
        "ROC",
        "interpolation",
        False,
    )
    assert auc.thresholds[0] == pytest.approx(-EPS) and auc.thresholds[-1] == pytest.approx(1 + EPS)
    assert [v.name for v in auc.variables] == [
        "true_positives",
        "false_positives",
        "true_negatives",
        "false_negatives",
    ]
    precision = metrics.Precision()
    assert (precision.thresholds, precision.top_k, precision.class_id) == ([0.5], None, None)
    # Unnamed metrics get unique names from their class, as in Keras.
    assert precision.name.startswith("precision") and metrics.Recall().name.startswith("recall")
    assert metrics.F1Score().name == "f1_score" and metrics.FBetaScore().beta == 1.0
    assert (
        metrics.TopKCategoricalAccuracy().k == 5 and metrics.SparseTopKCategoricalAccuracy().k == 5
    )
    r2 = metrics.R2Score()
    assert (r2.class_aggregation, r2.num_regressors, r2.name) == ("uniform_average", 0, "r2_score")
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    assert metrics.LogCoshError().name == "logcosh"


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: metrics.AUC(curve="ROCK"), "Invalid AUC curve"),
        (lambda: metrics.AUC(summation_method="trapezoid"), "summation method"),
        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds"),
        (lambda: metrics.AUC(thresholds=[0.5, 1.5]), r"\[0, 1\]"),
        (lambda: metrics.AUC(num_labels=3), "only when `multi_label` is True"),
        (lambda: metrics.AUC(label_weights=[1.0, -1.0]), "non-negative"),
        (lambda: metrics.Precision(thresholds=[-0.1]), r"\[0, 1\]"),
        (lambda: metrics.Recall(top_k=0), "top_k"),
        (lambda: metrics.FBetaScore(beta=2), "Python float"),
        (lambda: metrics.FBetaScore(beta=-1.0), "> 0"),
        (lambda: metrics.FBetaScore(threshold=1), "Python float"),
        (lambda: metrics.F1Score(threshold=1.5), "0 < threshold <= 1"),
        (lambda: metrics.F1Score(average="mean"), "average"),
        (lambda: metrics.R2Score(class_aggregation="median"), "class_aggregation"),
        (lambda: metrics.R2Score(num_regressors=-1), "num_regressors"),
        (lambda: metrics.MeanIoU(num_classes=0), "num_classes"),
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[3]), "Target class ids"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_shapes(backend):
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=0).update_state(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"y_true.shape=\(5, 4\), y_pred.shape=\(5, 3\)"):
        metrics.AUC().update_state(np.ones((5, 4)), np.ones((5, 3)))


# ------------------------------------------------------------------ in a model's fit
def test_compiled_model_reports_metrics_like_eager_ones(backend, rng):
    import kerasish as keras

    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, :1] + 0.5 * rng.normal(size=(64, 1)) > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=0.05),
        loss=keras.losses.BinaryFocalCrossentropy(),
        metrics=[
            "auc",
            metrics.Precision(name="precision"),
            metrics.Recall(thresholds=0.3, name="recall"),
        ],
    )
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    predictions = to_np(model.predict(x, batch_size=16, verbose=0))
    for name, metric in (
        ("auc", metrics.AUC()),
        ("precision", metrics.Precision()),
        ("recall", metrics.Recall(thresholds=0.3)),
    ):
        metric.update_state(y, predictions)
        assert logs[name] == pytest.approx(float(result(metric)), abs=1e-5), name
