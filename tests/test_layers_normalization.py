"""Normalization layers and ops: hand-computed values, BatchNormalization's moving statistics
inside `fit` on every backend, frozen BatchNormalization, JAX against NumPy with gradients."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import layers, ops


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _bn_reference(x, mean, var, gamma, beta, eps, axis=-1):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    r = lambda v: np.reshape(np.broadcast_to(v, (x.shape[axis],)), shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


# ---------------------------------------------------------------------------- ops
def test_moments_and_batch_normalization_ops(backend, rng):
    x = rng.normal(2.0, 3.0, size=(5, 4, 3)).astype("float32")
    mean, var = ops.moments(x, axes=[0, 1])
    np.testing.assert_allclose(_np(mean), x.mean((0, 1)), rtol=1e-5)
    np.testing.assert_allclose(_np(var), x.var((0, 1)), rtol=1e-5)
    mean_k, var_k = ops.moments(x, axes=(0, 2), keepdims=True)
    assert ops.shape(mean_k) == (1, 4, 1) and ops.shape(var_k) == (1, 4, 1)
    # A large offset: the two-pass variance stays accurate where E[x^2] - E[x]^2 would not.
    shifted = (x + 1e4).astype("float32")
    np.testing.assert_allclose(_np(ops.moments(shifted, axes=0)[1]), shifted.astype("float64").var(0), rtol=2e-2)
    gamma, beta = np.array([1.0, 2.0, 0.5], "float32"), np.array([0.0, -1.0, 3.0], "float32")
    m, v = x.mean((0, 1)), x.var((0, 1))
    out = ops.batch_normalization(x, m, v, axis=-1, offset=beta, scale=gamma, epsilon=1e-3)
    np.testing.assert_allclose(_np(out), _bn_reference(x, m, v, gamma, beta, 1e-3), rtol=1e-5, atol=1e-5)
    plain = ops.batch_normalization(x, m, v, axis=2)
    np.testing.assert_allclose(_np(plain), _bn_reference(x, m, v, 1.0, 0.0, 1e-3), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"`mean` must have shape \(3,\)"):
        ops.batch_normalization(x, np.zeros(4, "float32"), v, axis=-1)
    with pytest.raises(ValueError, match="axis 3 is out of bounds"):
        ops.moments(x, axes=[3])
    symbolic = ops.moments(keras.Input((4, 3)), axes=[0, 1])
    assert [t.shape for t in symbolic] == [(3,), (3,)]


# ------------------------------------------------------------- BatchNormalization
def test_batch_norm_weights_in_keras_order(backend):
    layer = layers.BatchNormalization(name="bn")
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.path for w in layer.weights][0] == "bn/gamma"
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(3))
    assert layer.count_params() == 12
    bare = layers.BatchNormalization(center=False, scale=False)
    bare.build((None, 2))
    assert [w.name for w in bare.weights] == ["moving_mean", "moving_variance"]


def test_batch_norm_training_and_inference_by_hand(backend):
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0], [7.0, 30.0]], "float32")
    layer = layers.BatchNormalization(momentum=0.9, epsilon=0.01)
    layer.build((None, 2))
    gamma, beta = np.array([2.0, 0.5], "float32"), np.array([1.0, -1.0], "float32")
    layer.set_weights([gamma, beta, np.array([0.5, 1.0], "float32"), np.array([2.0, 4.0], "float32")])
    # Inference (the default) uses the moving statistics and changes nothing.
    out = _np(layer(x))
    np.testing.assert_allclose(out, (x - [0.5, 1.0]) / np.sqrt(np.array([2.0, 4.0]) + 0.01) * gamma + beta, rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), [0.5, 1.0])
    # Training uses the batch's statistics and moves the moving ones by momentum.
    mean, var = x.mean(0), x.var(0)  # [4, 30], [5, 350]
    out = _np(layer(x, training=True))
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 0.01) * gamma + beta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.9 * np.array([0.5, 1.0]) + 0.1 * mean, rtol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 * np.array([2.0, 4.0]) + 0.1 * var, rtol=1e-6)


def test_batch_norm_channels_first_4d(backend, rng):
    x = rng.normal(1.0, 2.0, size=(3, 2, 4, 5)).astype("float32")
    layer = layers.BatchNormalization(axis=1, momentum=0.0)
    out = _np(layer(x, training=True))
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    np.testing.assert_allclose(out, _bn_reference(x, mean, var, 1.0, 0.0, 1e-3, axis=1), rtol=1e-4, atol=1e-5)
    # momentum=0: the moving statistics are exactly the last batch's.
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-5)


def test_batch_norm_mask_excludes_positions(backend, rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
    layer = layers.BatchNormalization(momentum=0.0)
    out = _np(layer(x, training=True, mask=mask))
    kept = x[mask]  # (7, 3)
    mean, var = kept.mean(0), kept.var(0)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, _bn_reference(x, mean, var, 1.0, 0.0, 1e-3), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="one dimension less than the inputs"):
        layer(x, training=True, mask=np.ones((2, 5, 3), bool))


def test_batch_norm_gradient_matches_closed_form(backend, rng):
    x = rng.normal(size=(6, 3)).astype("float32")
    upstream = rng.normal(size=(6, 3)).astype("float32")
    layer = layers.BatchNormalization(epsilon=1e-3)
    layer.build((None, 3))
    gamma = np.array([1.5, -0.5, 2.0], "float32")
    layer.set_weights([gamma, np.zeros(3, "float32"), np.zeros(3, "float32"), np.ones(3, "float32")])
    b = kb.get()
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def objective(params):
        trainable, inputs = params
        out, _ = layer.stateless_call(trainable, non_trainable, inputs, training=True)
        return ops.sum(ops.multiply(out, upstream))

    _, (g_weights, g_x) = b.value_and_grad(objective)(
        ([v.value for v in layer.trainable_variables], b.convert_to_tensor(x))
    )
    n, mean, var = x.shape[0], x.mean(0), x.var(0)
    inv = 1.0 / np.sqrt(var + 1e-3)
    x_hat = (x - mean) * inv
    g = upstream * gamma
    expected_dx = inv / n * (n * g - g.sum(0) - x_hat * (g * x_hat).sum(0))
    np.testing.assert_allclose(_np(g_x), expected_dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(g_weights[0]), (upstream * x_hat).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(g_weights[1]), upstream.sum(0), rtol=1e-5, atol=1e-5)


def _bn_model(momentum, trainable=True):
    keras.utils.clear_session()
    bn = layers.BatchNormalization(momentum=momentum, epsilon=1e-3)
    bn.trainable = trainable
    dense = layers.Dense(1, kernel_initializer=keras.initializers.Constant(0.5), bias_initializer="zeros")
    model = keras.Sequential([keras.Input((2,)), bn, dense])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model, bn, dense


def test_batch_norm_moving_statistics_after_fit(backend, rng):
    x = rng.normal([3.0, -2.0], [2.0, 0.5], size=(12, 2)).astype("float32")
    y = rng.normal(size=(12, 1)).astype("float32")
    model, bn, dense = _bn_model(momentum=0.8)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    # Six steps (three batches, two epochs), in order: the moving statistics follow
    # the momentum rule exactly, whatever the other weights did.
    mean, var = np.zeros(2), np.ones(2)
    for _ in range(2):
        for i in range(3):
            batch = x[4 * i : 4 * i + 4].astype("float64")
            mean = 0.8 * mean + 0.2 * batch.mean(0)
            var = 0.8 * var + 0.2 * batch.var(0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5)
    assert np.all(np.abs(bn.moving_mean.numpy() - x.mean(0)) < np.abs(x.mean(0))), "moved toward the data mean"
    # predict and evaluate use the moving statistics (and change nothing).
    gamma, beta = bn.gamma.numpy(), bn.beta.numpy()
    kernel, bias = dense.kernel.numpy(), dense.bias.numpy()
    expected = _bn_reference(x, mean, var, gamma, beta, 1e-3) @ kernel + bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    loss = model.evaluate(x, y, batch_size=12, verbose=0)
    assert loss == pytest.approx(float(np.mean((expected - y) ** 2)), rel=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5)


def test_frozen_batch_norm_keeps_statistics_and_runs_in_inference(backend, rng):
    x = rng.normal(5.0, 3.0, size=(8, 2)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    model, bn, dense = _bn_model(momentum=0.5, trainable=False)
    moving = [np.array([1.0, -1.0], "float32"), np.array([4.0, 0.25], "float32")]
    bn.set_weights([np.array([2.0, 1.0], "float32"), np.array([0.5, 0.0], "float32"), *moving])
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
    # The loss of a training step is computed with the moving statistics, not the batch's.
    loss = model.train_on_batch(x, y)
    normalized = _bn_reference(x, moving[0], moving[1], [2.0, 1.0], [0.5, 0.0], 1e-3)
    assert loss == pytest.approx(float(np.mean((normalized @ np.full((2, 1), 0.5) - y) ** 2)), rel=1e-5)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), moving[1])
    np.testing.assert_array_equal(bn.gamma.numpy(), [2.0, 1.0])
    assert not np.allclose(dense.kernel.numpy(), 0.5), "the rest of the model still trains"
    # Even an explicit training=True call runs in inference mode.
    np.testing.assert_allclose(_np(bn(x, training=True)), normalized, rtol=1e-5)


def test_batch_norm_in_jit_with_stateless_call(backend, rng):
    x = rng.normal(size=(4, 3)).astype("float32")
    layer = layers.BatchNormalization(momentum=0.5)
    layer.build((None, 3))
    b = kb.get()

    def step(trainable, non_trainable, inputs):
        return layer.stateless_call(trainable, non_trainable, inputs, training=True)

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    out, new_state = b.jit(step)(trainable, non_trainable, b.convert_to_tensor(x))
    np.testing.assert_allclose(_np(out), _bn_reference(x, x.mean(0), x.var(0), 1.0, 0.0, 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(new_state[0]), 0.5 * x.mean(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_np(new_state[1]), 0.5 + 0.5 * x.var(0), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3)), "the layer itself is not mutated"


def test_batch_norm_renorm_one_step(backend, rng):
    x = rng.normal(2.0, 3.0, size=(6, 2)).astype("float32")
    layer = layers.BatchNormalization(momentum=0.9, renorm=True, renorm_clipping={"rmax": 1.5, "dmax": 0.5},
                                      renorm_momentum=0.8, epsilon=1e-3)
    layer.build((None, 2))
    names = [w.name for w in layer.weights]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    out = _np(layer(x, training=True))
    mean, var = x.mean(0), x.var(0)
    stddev = np.sqrt(var + 1e-3)
    r = np.minimum(stddev / 1.0, 1.5)
    d = np.clip(mean / 1.0, -0.5, 0.5)
    np.testing.assert_allclose(out, (x - mean) / stddev * r + d, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.renorm_mean.numpy(), 0.2 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.renorm_stddev.numpy(), 0.8 + 0.2 * stddev, rtol=1e-5)
    new_stddev = 0.9 + 0.1 * stddev
    np.testing.assert_allclose(layer.moving_variance.numpy(), new_stddev**2 - 1e-3, rtol=1e-5)
    with pytest.raises(ValueError, match="invalid keys for `renorm_clipping`"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmx": 1.0})


def test_batch_norm_errors_name_the_layer(backend):
    with pytest.raises(TypeError, match="must be an int. Received: axis=1.5"):
        layers.BatchNormalization(axis=1.5)
    layer = layers.BatchNormalization(axis=3, name="bn_bad")
    with pytest.raises(ValueError, match="'bn_bad'.*axis 3 is out of bounds for an input of rank 2"):
        layer(np.ones((2, 3), "float32"))
    layer = layers.BatchNormalization(name="bn2")
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="'bn2'.*expected axis 1 to have size 3, found 4"):
        layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="'bn2'.*expected ndim=2, found ndim=3"):
        layer(np.ones((2, 1, 3), "float32"))


def test_batch_norm_config_round_trip_and_symbolic(backend):
    layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False,
                                      gamma_regularizer="l2", name="bn")
    config = layer.get_config()
    assert config["momentum"] == 0.9 and config["axis"] == 1 and config["synchronized"] is False
    assert config["gamma_initializer"]["class_name"] == "Ones"
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, layers.BatchNormalization) and clone.get_config() == config
    out = layers.BatchNormalization()(keras.Input((4, 3)))
    assert out.shape == (None, 4, 3)


# ------------------------------------------------------------- LayerNormalization
def test_layer_norm_by_hand(backend, rng):
    x = np.array([[1.0, 2.0, 3.0, 6.0], [-1.0, 0.0, 1.0, 0.0]], "float32")
    layer = layers.LayerNormalization(epsilon=1e-3)
    layer.build((None, 4))
    gamma, beta = np.array([1.0, 2.0, 0.5, -1.0], "float32"), np.array([0.0, 1.0, 0.0, 2.0], "float32")
    layer.set_weights([gamma, beta])
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(_np(layer(x)), (x - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-5, atol=1e-6)
    assert [w.name for w in layer.weights] == ["gamma", "beta"]


def test_layer_norm_several_axes_and_no_weights(backend, rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    layer = layers.LayerNormalization(axis=[3, 1])
    out = _np(layer(x))
    assert layer.axis == [1, 3] and layer.gamma.shape == (3, 5)
    mean, var = x.mean((1, 3), keepdims=True), x.var((1, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    bare = layers.LayerNormalization(center=False, scale=False, epsilon=0.5)
    x2 = x[:, 0, 0]
    np.testing.assert_allclose(
        _np(bare(x2)), (x2 - x2.mean(-1, keepdims=True)) / np.sqrt(x2.var(-1, keepdims=True) + 0.5), rtol=1e-5
    )
    assert bare.weights == []


def test_layer_norm_rms_scaling_is_deprecated_and_uses_variance(backend, rng):
    x = rng.normal(1.0, 2.0, size=(3, 4)).astype("float32")
    with pytest.warns(UserWarning, match="rms_scaling=True.*deprecated"):
        layer = layers.LayerNormalization(rms_scaling=True)
    out = _np(layer(x))
    assert [w.name for w in layer.weights] == ["gamma"]
    np.testing.assert_allclose(out, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-5)


def test_layer_norm_errors_and_config(backend):
    with pytest.raises(TypeError, match="int or a list/tuple of ints. Received: axis='x'"):
        layers.LayerNormalization(axis="x")
    layer = layers.LayerNormalization(axis=2, name="ln")
    with pytest.raises(ValueError, match="'ln'.*axis 2 is out of bounds"):
        layer(np.ones((2, 3), "float32"))
    layer = layers.LayerNormalization(axis=(1, 2), epsilon=1e-5, beta_initializer="ones")
    layer(np.ones((2, 3, 4), "float32"))
    clone = layers.LayerNormalization.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.axis == [1, 2]


# ------------------------------------------------------------- GroupNormalization
def _group_norm_reference(x, groups, gamma, beta, eps):
    n, *spatial, c = x.shape
    grouped = x.reshape(n, *spatial, groups, c // groups)
    axes = tuple(range(1, len(spatial) + 1)) + (grouped.ndim - 1,)
    mean, var = grouped.mean(axes, keepdims=True), grouped.var(axes, keepdims=True)
    return ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape) * gamma + beta


def test_group_norm_by_hand(backend, rng):
    x = rng.normal(size=(2, 3, 6)).astype("float32")
    layer = layers.GroupNormalization(groups=3, epsilon=1e-3)
    layer.build((None, 3, 6))
    gamma, beta = rng.normal(size=6).astype("float32"), rng.normal(size=6).astype("float32")
    layer.set_weights([gamma, beta])
    np.testing.assert_allclose(_np(layer(x)), _group_norm_reference(x, 3, gamma, beta, 1e-3), rtol=1e-4, atol=1e-5)
    # groups=-1: one group per channel (instance normalization).
    inst = layers.GroupNormalization(groups=-1)
    out = _np(inst(x))
    assert inst.groups == 6
    np.testing.assert_allclose(out, (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-3),
                               rtol=1e-4, atol=1e-5)


def test_group_norm_channels_first(backend, rng):
    x = rng.normal(size=(2, 4, 3, 2)).astype("float32")
    out = _np(layers.GroupNormalization(groups=2, axis=1)(x))
    channels_last = np.moveaxis(x, 1, -1)
    expected = np.moveaxis(_group_norm_reference(channels_last, 2, 1.0, 0.0, 1e-3), -1, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_group_norm_errors_and_config(backend):
    with pytest.raises(ValueError, match="'gn'.*number of channels \\(6\\) must be a multiple of the number of groups \\(4\\)"):
        layers.GroupNormalization(groups=4, name="gn")(np.ones((1, 6), "float32"))
    with pytest.raises(ValueError, match="cannot be more than the number of channels"):
        layers.GroupNormalization(groups=8)(np.ones((1, 6), "float32"))
    with pytest.raises(ValueError, match="positive integer or -1. Received: groups=0"):
        layers.GroupNormalization(groups=0)
    layer = layers.GroupNormalization(groups=2, center=False)
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.get_config() == layer.get_config()
    assert layers.GroupNormalization(groups=2)(keras.Input((5, 4))).shape == (None, 5, 4)


def test_rms_normalization(backend, rng):
    x = rng.normal(size=(3, 5)).astype("float32")
    layer = layers.RMSNormalization(epsilon=1e-6)
    out = _np(layer(x))
    assert [w.name for w in layer.weights] == ["scale"]
    np.testing.assert_allclose(out, x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-6), rtol=1e-5)


# ------------------------------------------------------------- JAX against NumPy
CASES = {
    "batch_norm_train": (lambda: layers.BatchNormalization(momentum=0.7), (6, 3), True),
    "batch_norm_infer": (lambda: layers.BatchNormalization(), (6, 3), False),
    "batch_norm_axis1": (lambda: layers.BatchNormalization(axis=1), (3, 4, 2), True),
    "batch_norm_renorm": (lambda: layers.BatchNormalization(renorm=True), (5, 3), True),
    "layer_norm": (lambda: layers.LayerNormalization(), (4, 5), False),
    "layer_norm_axes": (lambda: layers.LayerNormalization(axis=[1, 2]), (2, 3, 4), False),
    "group_norm": (lambda: layers.GroupNormalization(groups=2), (2, 3, 4), False),
    "rms_norm": (lambda: layers.RMSNormalization(), (3, 4), False),
}


def _run_case(make_layer, x, weights, direction, training):
    keras.utils.clear_session()
    layer = make_layer()
    layer.build(x.shape)
    if weights is None:
        rng = np.random.default_rng(1)
        weights = [rng.uniform(0.5, 1.5, size=w.shape).astype("float32") for w in layer.weights]
    layer.set_weights(weights)
    b = kb.get()
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def objective(params):
        trainable, inputs = params
        out, new_state = layer.stateless_call(trainable, non_trainable, inputs, training=training)
        return ops.sum(ops.multiply(out, direction)), (out, new_state)

    fn = b.jit(b.value_and_grad(objective, has_aux=True))
    (_, (out, state)), (g_weights, g_x) = fn(([v.value for v in layer.trainable_variables], b.convert_to_tensor(x)))
    to_np = lambda t: np.asarray(b.to_numpy(t))  # noqa: E731
    return weights, to_np(out), [to_np(s) for s in state], [to_np(g) for g in g_weights], to_np(g_x)


@pytest.mark.parametrize("case", sorted(CASES))
def test_jax_matches_numpy(case):
    if not {"jax", "numpy"} <= set(kb.available_backends()):
        pytest.skip("needs both backends")
    make_layer, shape, training = CASES[case]
    rng = np.random.default_rng(7)
    x = rng.normal(1.0, 2.0, size=shape).astype("float32")
    direction = rng.normal(size=shape).astype("float32")
    with kb.use_backend("numpy"):
        weights, *reference = _run_case(make_layer, x, None, direction, training)
    with kb.use_backend("jax"):
        _, *got = _run_case(make_layer, x, weights, direction, training)
    for a, b in zip(got, reference):
        if isinstance(a, list):
            for u, v in zip(a, b):
                np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-5)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
