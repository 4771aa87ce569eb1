"""Optimizers on every backend: update rules against NumPy, clipping, decay, schedules, pure form, configs."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish.backend as kb
from kerasish import Variable, ops, optimizers
from kerasish.optimizers import schedules
from tests.conftest import BACKENDS


def to_np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


# ---------------------------------------- the published update rules, in NumPy
def np_sgd(ws, grad_steps, learning_rate=0.01, momentum=0.0, nesterov=False):
    ws = [w.astype(np.float64) for w in ws]
    velocities = [np.zeros_like(w) for w in ws]
    for grads in grad_steps:
        for i, g in enumerate(grads):
            if momentum == 0:
                ws[i] = ws[i] - learning_rate * g
                continue
            velocities[i] = momentum * velocities[i] - learning_rate * g
            if nesterov:
                ws[i] = ws[i] + momentum * velocities[i] - learning_rate * g
            else:
                ws[i] = ws[i] + velocities[i]
    return ws


def np_adam(
    ws, grad_steps, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False
):
    ws = [w.astype(np.float64) for w in ws]
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    v_hat = [np.zeros_like(w) for w in ws]
    for t, grads in enumerate(grad_steps, start=1):
        alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i, g in enumerate(grads):
            m[i] = m[i] + (g - m[i]) * (1 - beta_1)
            v[i] = v[i] + (g * g - v[i]) * (1 - beta_2)
            denominator_v = v[i]
            if amsgrad:
                v_hat[i] = np.maximum(v_hat[i], v[i])
                denominator_v = v_hat[i]
            ws[i] = ws[i] - m[i] * alpha / (np.sqrt(denominator_v) + epsilon)
    return ws


def np_rmsprop(
    ws, grad_steps, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False
):
    ws = [w.astype(np.float64) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    avg = [np.zeros_like(w) for w in ws]
    mom = [np.zeros_like(w) for w in ws]
    for grads in grad_steps:
        for i, g in enumerate(grads):
            v[i] = rho * v[i] + (1 - rho) * g * g
            if centered:
                avg[i] = rho * avg[i] + (1 - rho) * g
                denominator = v[i] - avg[i] ** 2 + epsilon
            else:
                denominator = v[i] + epsilon
            increment = learning_rate * g / np.sqrt(denominator)
            if momentum > 0:
                mom[i] = momentum * mom[i] + increment
                ws[i] = ws[i] - mom[i]
            else:
                ws[i] = ws[i] - increment
    return ws


CASES = [
    (optimizers.SGD, {}, np_sgd),
    (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}, np_sgd),
    (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True}, np_sgd),
    (optimizers.Adam, {}, np_adam),
    (
        optimizers.Adam,
        {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3},
        np_adam,
    ),
    (optimizers.Adam, {"learning_rate": 0.05, "amsgrad": True}, np_adam),
    (optimizers.RMSprop, {}, np_rmsprop),
    (optimizers.RMSprop, {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5}, np_rmsprop),
    (optimizers.RMSprop, {"learning_rate": 0.01, "centered": True, "epsilon": 1e-4}, np_rmsprop),
]
CASE_IDS = [
    f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
    for cls, kw, _ in CASES
]


def _problem(rng, steps=5):
    starts = [rng.normal(size=(3,)).astype("float32"), rng.normal(size=(2, 2)).astype("float32")]
    # Gradients of varying sign and size, so that momentum and amsgrad matter.
    grad_steps = [
        [rng.normal(size=w.shape).astype("float32") * (1 + t) for w in starts] for t in range(steps)
    ]
    return starts, grad_steps


@pytest.mark.parametrize("cls, kwargs, reference", CASES, ids=CASE_IDS)
def test_update_rules_match_reference(backend, rng, cls, kwargs, reference):
    starts, grad_steps = _problem(rng)
    variables = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
    opt = cls(**kwargs)
    for grads in grad_steps:
        opt.apply(grads, variables)
    expected = reference(starts, grad_steps, **kwargs)
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations.numpy()) == len(grad_steps)


@pytest.mark.parametrize("cls, kwargs, reference", CASES, ids=CASE_IDS)
def test_stateless_apply_equals_apply(backend, rng, cls, kwargs, reference):
    starts, grad_steps = _problem(rng, steps=3)
    stateful_vars = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
    stateful = cls(**kwargs)
    for grads in grad_steps:
        stateful.apply_gradients(zip(grads, stateful_vars))

    pure_vars = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
    pure = cls(**kwargs)
    pure.build(pure_vars)
    trainable = [v.value for v in pure_vars]
    state = [v.value for v in pure.variables]
    for grads in grad_steps:
        trainable, state = pure.stateless_apply(state, grads, trainable)
    for v, new in zip(stateful_vars, trainable):
        np.testing.assert_allclose(v.numpy(), to_np(new), rtol=1e-6, atol=1e-7)
    for v, new in zip(stateful.variables, state):
        np.testing.assert_allclose(v.numpy(), to_np(new), rtol=1e-6, atol=1e-7)
    # Nothing was mutated by the pure form.
    for v, w in zip(pure_vars, starts):
        np.testing.assert_array_equal(v.numpy(), w)
    assert int(pure.iterations.numpy()) == 0


def test_stateless_apply_compiles(backend, rng):
    starts, grad_steps = _problem(rng, steps=4)
    variables = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
    opt = optimizers.Adam(learning_rate=0.05, clipnorm=1.0)
    opt.build(variables)
    step = backend.jit(lambda state, grads, trainable: opt.stateless_apply(state, grads, trainable))
    trainable, state = [v.value for v in variables], [v.value for v in opt.variables]
    for grads in grad_steps:
        trainable, state = step(state, [ops.convert_to_tensor(g) for g in grads], trainable)
    reference = optimizers.Adam(learning_rate=0.05, clipnorm=1.0)
    ref_vars = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
    for grads in grad_steps:
        reference.apply(grads, ref_vars)
    for v, new in zip(ref_vars, trainable):
        np.testing.assert_allclose(v.numpy(), to_np(new), rtol=1e-5, atol=1e-6)
    assert int(to_np(state[0])) == 4


def test_variables_order_and_names(backend):
    kernel = Variable(np.zeros((2, 3), "float32"), name="kernel")
    kernel.path = "dense/kernel"
    bias = Variable(np.zeros((3,), "float32"), name="bias")
    bias.path = "dense/bias"
    opt = optimizers.Adam(amsgrad=True)
    opt.build([kernel, bias])
    assert [v.name for v in opt.variables] == [
        "iteration",
        "learning_rate",
        "dense_kernel_momentum",  # per variable, momentum then velocity (Keras 3's order)
        "dense_kernel_velocity",
        "dense_bias_momentum",
        "dense_bias_velocity",
        "dense_kernel_velocity_hat",
        "dense_bias_velocity_hat",
    ]
    assert opt.variables[0].dtype == "int32" and opt.variables[1].dtype == "float32"
    assert [v.path for v in opt.variables[:2]] == ["adam/iteration", "adam/learning_rate"]
    assert all(not v.trainable for v in opt.variables)
    assert [v.shape for v in opt.variables[2:6]] == [(2, 3), (2, 3), (3,), (3,)]
    rms = optimizers.RMSprop(momentum=0.5, centered=True)
    rms.build([bias])
    assert [v.name for v in rms.variables[2:]] == [
        "dense_bias_velocity",
        "dense_bias_momentum",
        "dense_bias_average_gradient",
    ]
    sgd = optimizers.SGD()
    sgd.build([bias])
    assert len(sgd.variables) == 2  # no momentum slots without momentum


# ------------------------------------------------- clipping, decay, constraints
def _one_sgd_step(grads, starts, **kwargs):
    variables = [Variable(np.asarray(w, "float32"), name=f"w{i}") for i, w in enumerate(starts)]
    optimizers.SGD(learning_rate=1.0, **kwargs).apply(
        [np.asarray(g, "float32") for g in grads], variables
    )
    return [v.numpy() for v in variables]


def test_clipping(backend):
    zeros = [np.zeros(2), np.zeros(1)]
    grads = [np.array([3.0, 4.0]), np.array([12.0])]
    # clipnorm: each gradient to norm <= 1.
    w = _one_sgd_step(grads, zeros, clipnorm=1.0)
    np.testing.assert_allclose(w[0], [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(w[1], [-1.0], rtol=1e-6)
    # clipvalue: elementwise into [-3.5, 3.5].
    w = _one_sgd_step(grads, zeros, clipvalue=3.5)
    np.testing.assert_allclose(np.concatenate(w), [-3.0, -3.5, -3.5], rtol=1e-6)
    # global_clipnorm: all together to norm <= 6.5 (global norm is 13).
    w = _one_sgd_step(grads, zeros, global_clipnorm=6.5)
    np.testing.assert_allclose(np.concatenate(w), [-1.5, -2.0, -6.0], rtol=1e-6)
    # A zero gradient stays zero (no 0/0).
    w = _one_sgd_step([np.zeros(2), np.zeros(1)], zeros, clipnorm=1.0)
    np.testing.assert_array_equal(np.concatenate(w), 0.0)


def test_only_one_clip_option():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)


def test_weight_decay(backend):
    w = Variable(np.array([1.0, -2.0], "float32"), name="w")
    b = Variable(np.array([3.0], "float32"), name="bias")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([np.array([1.0, 1.0], "float32"), np.array([1.0], "float32")], [w, b])
    # w <- w - w * wd * lr, then the gradient step.
    np.testing.assert_allclose(w.numpy(), np.array([1.0, -2.0]) * (1 - 0.05) - 0.1, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [2.9], rtol=1e-6)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["w"])


def test_constraint_applied_after_update(backend):
    w = Variable(np.array([0.5, 2.0], "float32"), name="w")
    w.constraint = lambda x: ops.maximum(x, 0.0)
    opt = optimizers.SGD(learning_rate=1.0)
    opt.apply([np.array([1.0, 1.0], "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [0.0, 1.0])
    # The pure form applies it too.
    trainable, _ = opt.stateless_apply(
        [v.value for v in opt.variables], [np.array([3.0, -1.0], "float32")], [w.value]
    )
    np.testing.assert_allclose(to_np(trainable[0]), [0.0, 2.0])


def test_missing_gradient_is_skipped_with_a_warning(backend):
    a = Variable(np.ones(2, "float32"), name="a")
    b = Variable(np.ones(2, "float32"), name="b")
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply([np.ones(2, "float32"), None], [a, b])
    np.testing.assert_array_equal(a.numpy(), 0.0)
    np.testing.assert_array_equal(b.numpy(), 1.0)
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply([None, None], [a, b])


def test_loss_scale_factor(backend):
    w = Variable(np.zeros(1, "float32"), name="w")
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert float(to_np(opt.scale_loss(ops.convert_to_tensor(2.0)))) == 8.0
    opt.apply([np.array([8.0], "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_gradient_accumulation(backend):
    w = Variable(np.zeros(2, "float32"), name="w")
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.5, gradient_accumulation_steps=2)
    g1, g2, g3, g4 = (
        np.array(g, "float32") for g in ([1.0, 2.0], [3.0, 0.0], [1.0, 1.0], [1.0, -1.0])
    )
    opt.apply([g1], [w])
    np.testing.assert_array_equal(w.numpy(), 0.0)  # accumulated only
    opt.apply([g2], [w])
    mean12 = (g1 + g2) / 2
    np.testing.assert_allclose(w.numpy(), -mean12)  # velocity = -mean12
    assert int(to_np(opt.iterations)) == 1 and int(opt._iterations.numpy()) == 2
    opt.apply([g3], [w])
    np.testing.assert_allclose(w.numpy(), -mean12)
    opt.apply([g4], [w])
    velocity = 0.5 * -mean12 - (g3 + g4) / 2
    np.testing.assert_allclose(w.numpy(), -mean12 + velocity, rtol=1e-6)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_exponential_moving_average(backend):
    w = Variable(np.array([1.0], "float32"), name="w")
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.apply([np.array([1.0], "float32")], [w])  # w = 0; first average is the value itself
    opt.apply([np.array([1.0], "float32")], [w])  # w = -1; average = 0.5 * 0 + 0.5 * -1
    np.testing.assert_allclose(w.numpy(), [-1.0])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [-0.5])
    # Overwriting every 2 steps.
    v = Variable(np.array([1.0], "float32"), name="v")
    every2 = optimizers.SGD(
        learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2
    )
    every2.apply([np.array([1.0], "float32")], [v])
    np.testing.assert_allclose(v.numpy(), [0.0])
    every2.apply([np.array([1.0], "float32")], [v])
    np.testing.assert_allclose(v.numpy(), [-0.5])


# ------------------------------------------------------- learning rates
def test_learning_rate_variable_and_setter(backend):
    opt = optimizers.SGD(learning_rate=0.5)
    assert isinstance(opt.learning_rate, Variable)
    assert float(opt.learning_rate.numpy()) == 0.5
    opt.learning_rate = 0.25
    w = Variable(np.zeros(1, "float32"), name="w")
    opt.apply([np.array([1.0], "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-0.25])
    assert opt.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD(learning_rate="fast")


@pytest.mark.parametrize(
    "learning_rate, rates",
    [
        (schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5), [1.0, 0.5, 0.25]),
        (lambda step: ops.divide(1.0, ops.add(ops.cast(step, "float32"), 1.0)), [1.0, 0.5, 1 / 3]),
        (lambda: 0.75, [0.75, 0.75, 0.75]),
    ],
    ids=["schedule", "callable_of_step", "callable_without_arguments"],
)
def test_learning_rate_schedules_and_callables(backend, learning_rate, rates):
    w = Variable(np.zeros(1, "float32"), name="w")
    opt = optimizers.SGD(learning_rate=learning_rate)
    for _ in rates:
        opt.apply([np.array([1.0], "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-sum(rates)], rtol=1e-6)
    assert len(opt.variables) == 1  # only `iteration`: the rate is not a variable
    # The pure form reads the step from the state it is given.
    opt2 = optimizers.SGD(learning_rate=learning_rate)
    opt2.build([w])
    state = [v.value for v in opt2.variables]
    trainable = [ops.zeros((1,))]
    for _ in rates:
        trainable, state = opt2.stateless_apply(state, [ops.ones((1,))], trainable)
    np.testing.assert_allclose(to_np(trainable[0]), [-sum(rates)], rtol=1e-6)


def test_schedules(backend):
    def at(schedule, steps):
        return [float(to_np(schedule(ops.convert_to_tensor(s, "int32")))) for s in steps]

    np.testing.assert_allclose(
        at(schedules.ExponentialDecay(0.1, 10, 0.5), [0, 5, 20]),
        [0.1, 0.1 * 0.5**0.5, 0.025],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        at(schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True), [9, 10]),
        [0.1, 0.05],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        at(schedules.InverseTimeDecay(1.0, 2, 0.5), [0, 2, 6]), [1.0, 1 / 1.5, 1 / 2.5], rtol=1e-6
    )
    np.testing.assert_allclose(
        at(schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]), [0, 10, 11, 20, 21]),
        [1.0, 1.0, 0.5, 0.5, 0.1],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        at(schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=2.0), [0, 5, 10, 15]),
        [1.0, 0.25, 0.0, 0.0],
        atol=1e-7,
    )
    np.testing.assert_allclose(
        at(schedules.CosineDecay(1.0, 10, alpha=0.1), [0, 5, 10, 20]),
        [1.0, 0.55, 0.1, 0.1],
        rtol=1e-5,
    )
    warm = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)
    np.testing.assert_allclose(at(warm, [0, 2, 4, 9, 14]), [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-6)
    config = warm.get_config()
    assert schedules.CosineDecay.from_config(config).get_config() == config


# ------------------------------------------------------------ errors
def test_unknown_arguments_are_rejected():
    with pytest.raises(TypeError, match="lr"):
        optimizers.Adam(lr=0.1)
    with pytest.raises(ValueError, match="lr"):  # Keras raises ValueError: both are caught
        optimizers.SGD(lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)


def test_misuse_errors(backend):
    w = Variable(np.zeros(2, "float32"), name="w")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="must be built"):
        opt.stateless_apply([v.value for v in opt.variables], [ops.ones((2,))], [w.value])
    with pytest.raises(ValueError, match="build"):
        opt.apply([ops.ones((2,))])
    opt.build([w])
    with pytest.raises(ValueError, match="optimizer_variables"):
        opt.stateless_apply([], [ops.ones((2,))], [w.value])
    with pytest.raises(ValueError, match="trainable_variables"):
        opt.stateless_apply([v.value for v in opt.variables], [ops.ones((2,))], [])
    other = Variable(np.zeros(2, "float32"), name="other")
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([ops.ones((2,))], [other])


# ---------------------------------------------------- names, lookup, configs
def test_get():
    for name, cls in (
        ("adam", optimizers.Adam),
        ("Adam", optimizers.Adam),
        ("SGD", optimizers.SGD),
        ("sgd", optimizers.SGD),
        ("RMSprop", optimizers.RMSprop),
        ("rmsprop", optimizers.RMSprop),
    ):
        assert type(optimizers.get(name)) is cls
    instance = optimizers.RMSprop()
    assert optimizers.get(instance) is instance
    assert type(optimizers.get(optimizers.SGD)) is optimizers.SGD
    restored = optimizers.get(
        {"class_name": "Adam", "config": {"learning_rate": 0.5, "beta_1": 0.7}}
    )
    assert type(restored) is optimizers.Adam and restored.beta_1 == 0.7
    assert float(restored.learning_rate.numpy()) == 0.5
    assert optimizers.get(None) is None


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match="Did you mean .*'adam'"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(0.1)


def test_default_names_and_hyperparameters():
    sgd, adam, rms = optimizers.SGD(), optimizers.Adam(), optimizers.RMSprop()
    assert (sgd.name, adam.name, rms.name) == ("SGD", "adam", "rmsprop")
    assert float(sgd.learning_rate.numpy()) == pytest.approx(0.01)
    assert (sgd.momentum, sgd.nesterov) == (0.0, False)
    assert float(adam.learning_rate.numpy()) == pytest.approx(0.001)
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert float(rms.learning_rate.numpy()) == pytest.approx(0.001)
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.9, 0.0, 1e-7, False)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: optimizers.SGD(
            learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=1.0, name="s"
        ),
        lambda: optimizers.Adam(learning_rate=0.01, beta_1=0.8, amsgrad=True, weight_decay=0.01),
        lambda: optimizers.RMSprop(rho=0.8, momentum=0.1, centered=True, global_clipnorm=2.0),
        lambda: optimizers.Adam(
            learning_rate=schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True)
        ),
    ],
)
def test_config_round_trip(make_optimizer):
    opt = make_optimizer()
    config = opt.get_config()
    assert type(opt).from_config(config).get_config() == config
    serialized = optimizers.serialize(opt)
    assert (
        serialized["module"] == "keras.optimizers"
        and serialized["class_name"] == type(opt).__name__
    )
    restored = optimizers.deserialize(serialized)
    assert type(restored) is type(opt) and restored.get_config() == config


def test_weights_io(backend):
    w = Variable(np.zeros(2, "float32"), name="w")
    opt = optimizers.Adam()
    opt.apply([np.ones(2, "float32")], [w])
    store: dict = {}
    opt.save_own_variables(store)
    fresh = optimizers.Adam()
    fresh.build([Variable(np.zeros(2, "float32"), name="w")])
    fresh.load_own_variables(store)
    for a, b in zip(opt.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    fresh.set_weights(opt.get_weights())
    with pytest.raises(ValueError, match="shape"):
        fresh.set_weights([np.zeros(3)] * len(fresh.variables))


# ---------------------------------------------------------- across backends
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two backends")
def test_backends_agree(rng):
    starts, grad_steps = _problem(rng, steps=4)
    results = {}
    for name in BACKENDS:
        with kb.use_backend(name):
            out = []
            for cls, kwargs in (
                (optimizers.Adam, {"learning_rate": 0.05, "amsgrad": True}),
                (optimizers.RMSprop, {"momentum": 0.5, "centered": True}),
                (optimizers.SGD, {"momentum": 0.9, "nesterov": True, "global_clipnorm": 1.0}),
            ):
                variables = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
                opt = cls(**kwargs)
                for grads in grad_steps:
                    opt.apply(grads, variables)
                out.append([v.numpy() for v in variables] + [v.numpy() for v in opt.variables])
            results[name] = out
    first, *others = BACKENDS
    for other in others:
        for arrays1, arrays2 in zip(results[first], results[other]):
            for a, b in zip(arrays1, arrays2):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
