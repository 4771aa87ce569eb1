"""JAX against the NumPy reference: same weights and inputs give the same outputs,
losses and gradients (float32 tolerance), for every layer and loss of the foundation."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops

RTOL, ATOL = 2e-5, 2e-6

LAYER_CASES = {
    "dense": (lambda: layers.Dense(5), (4, 3)),
    "dense_relu_nd": (lambda: layers.Dense(3, activation="relu"), (2, 4, 6)),
    "dense_nobias_tanh": (lambda: layers.Dense(2, use_bias=False, activation="tanh"), (3, 4)),
    "dense_l2": (lambda: layers.Dense(2, kernel_regularizer="l2", activity_regularizer="l1"), (3, 4)),
    "flatten": (lambda: layers.Flatten(), (2, 3, 4)),
    "dropout_inference": (lambda: layers.Dropout(0.5), (4, 5)),
    **{
        f"activation_{name}": (lambda name=name: layers.Activation(name), (3, 7))
        for name in ["relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu",
                     "gelu", "silu", "leaky_relu", "relu6", "hard_sigmoid", "exponential", "linear",
                     "mish", "log_softmax"]
    },
}


def _forward_and_grads(make_layer, x, weights, direction):
    keras.utils.clear_session()
    layer = make_layer()
    layer(x)
    if weights is None:
        weights = layer.get_weights()
    layer.set_weights(weights)
    backend = kb.get()
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def objective(params, x):
        tv, xv = params
        out, _, losses = layer.stateless_call(tv, non_trainable, xv, return_losses=True)
        total = ops.sum(ops.multiply(out, direction))
        for extra in losses:
            total = ops.add(total, extra)
        return total, out

    (value, out), (g_weights, g_x) = backend.value_and_grad(objective, has_aux=True)(
        (trainable, backend.convert_to_tensor(x)), None
    )
    to_np = lambda t: np.asarray(backend.to_numpy(t))  # noqa: E731
    return weights, to_np(out), float(to_np(value)), [to_np(g) for g in g_weights], to_np(g_x)


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_matches_reference(case):
    make_layer, shape = LAYER_CASES[case]
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    x = rng.normal(size=shape).astype("float32")
    with kb.use_backend("numpy"):
        probe = make_layer()
        out_shape = ops.shape(probe(x))
    direction = rng.normal(size=out_shape).astype("float32")
    with kb.use_backend("numpy"):
        weights, out_np, val_np, gw_np, gx_np = _forward_and_grads(make_layer, x, None, direction)
    with kb.use_backend("jax"):
        _, out_jx, val_jx, gw_jx, gx_jx = _forward_and_grads(make_layer, x, weights, direction)
    np.testing.assert_allclose(out_jx, out_np, rtol=RTOL, atol=ATOL)
    assert val_jx == pytest.approx(val_np, rel=1e-4, abs=1e-4)
    np.testing.assert_allclose(gx_jx, gx_np, rtol=1e-4, atol=1e-5)
    for a, b in zip(gw_jx, gw_np):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


LOSS_CASES = {
    "mean_squared_error": ("float", False),
    "binary_crossentropy": ("binary", False),
    "binary_crossentropy_logits": ("binary", True),
    "categorical_crossentropy": ("onehot", False),
    "categorical_crossentropy_logits": ("onehot", True),
    "sparse_categorical_crossentropy": ("sparse", False),
    "sparse_categorical_crossentropy_logits": ("sparse", True),
}


def _loss_value_and_grad(name, y_true, y_pred, from_logits):
    base = name.replace("_logits", "")
    kwargs = {"from_logits": True} if from_logits else {}
    class_name = "".join(part.capitalize() for part in base.split("_"))  # e.g. BinaryCrossentropy
    loss = getattr(keras.losses, class_name)(**kwargs)
    backend = kb.get()
    value, grad = backend.value_and_grad(lambda p: loss(y_true, p))(backend.convert_to_tensor(y_pred))
    return float(np.asarray(backend.to_numpy(value))), np.asarray(backend.to_numpy(grad))


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_matches_reference(case):
    kind, from_logits = LOSS_CASES[case]
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 4)).astype("float32") * 3
    if kind == "float":
        y_true, y_pred = rng.normal(size=(6, 4)).astype("float32"), logits
    elif kind == "binary":
        y_true = (rng.random((6, 4)) > 0.5).astype("float32")
        y_pred = logits if from_logits else 1 / (1 + np.exp(-logits))
    else:
        labels = rng.integers(0, 4, size=6)
        y_true = np.eye(4, dtype="float32")[labels] if kind == "onehot" else labels.astype("int32")
        y_pred = logits if from_logits else np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y_pred = y_pred.astype("float32")
    results = {}
    for name in ("numpy", "jax"):
        with kb.use_backend(name):
            results[name] = _loss_value_and_grad(case, y_true, y_pred, from_logits)
    assert results["jax"][0] == pytest.approx(results["numpy"][0], rel=1e-5)
    np.testing.assert_allclose(results["jax"][1], results["numpy"][1], rtol=1e-4, atol=1e-6)
    assert np.all(np.isfinite(results["numpy"][1]))
