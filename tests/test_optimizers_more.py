"""The training-toolkit optimizers on every backend: published update rules in NumPy, every base option, jit."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerasish.backend as kb
from kerasish import Variable, ops, optimizers
from kerasish.optimizers import schedules
from tests.conftest import BACKENDS


def to_np(x) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


# ------------------------------------------- the published update rules, in NumPy
# Each rule is a class: `state(w)` makes one variable's slots, `step(g, w, s, lr, t)`
# returns the new `w` (updating `s` in place), `t` being the number of updates
# applied before this one. `begin(t)` runs once per update, before the variables.
class NpAdam:
    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **_):
        self.b1, self.b2, self.eps, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def begin(self, t):
        pass

    def state(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w), "v_hat": np.zeros_like(w)}

    def step(self, g, w, s, lr, t):
        t += 1
        s["m"] = self.b1 * s["m"] + (1 - self.b1) * g
        s["v"] = self.b2 * s["v"] + (1 - self.b2) * g * g
        v = s["v"]
        if self.amsgrad:
            s["v_hat"] = np.maximum(s["v_hat"], s["v"])
            v = s["v_hat"]
        alpha = lr * np.sqrt(1 - self.b2**t) / (1 - self.b1**t)
        return w - alpha * s["m"] / (np.sqrt(v) + self.eps)


class NpAdamax(NpAdam):
    def state(self, w):
        return {"m": np.zeros_like(w), "u": np.zeros_like(w)}

    def step(self, g, w, s, lr, t):
        s["m"] = self.b1 * s["m"] + (1 - self.b1) * g
        s["u"] = np.maximum(self.b2 * s["u"], np.abs(g))
        return w - lr * s["m"] / ((1 - self.b1 ** (t + 1)) * (s["u"] + self.eps))


class NpNadam(NpAdam):
    """Dozat's Nadam with the momentum schedule mu_t = beta_1 * (1 - 0.5 * 0.96**t)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mu_product = 1.0

    def mu(self, t):
        return self.b1 * (1 - 0.5 * 0.96**t)

    def begin(self, t):
        self.mu_product *= self.mu(t + 1)

    def state(self, w):
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def step(self, g, w, s, lr, t):
        t += 1
        s["m"] = self.b1 * s["m"] + (1 - self.b1) * g
        s["v"] = self.b2 * s["v"] + (1 - self.b2) * g * g
        mu_t, mu_next = self.mu(t), self.mu(t + 1)
        m_hat = mu_next * s["m"] / (1 - self.mu_product * mu_next) + (1 - mu_t) * g / (
            1 - self.mu_product
        )
        v_hat = s["v"] / (1 - self.b2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + self.eps)


class NpAdagrad:
    def __init__(self, initial_accumulator_value=0.1, epsilon=1e-7, **_):
        self.init, self.eps = initial_accumulator_value, epsilon

    def begin(self, t):
        pass

    def state(self, w):
        return {"acc": np.full_like(w, self.init)}

    def step(self, g, w, s, lr, t):
        s["acc"] = s["acc"] + g * g
        return w - lr * g / np.sqrt(s["acc"] + self.eps)


class NpAdadelta(NpAdagrad):
    def __init__(self, rho=0.95, epsilon=1e-7, **_):
        self.rho, self.eps = rho, epsilon

    def state(self, w):
        return {"eg2": np.zeros_like(w), "edx2": np.zeros_like(w)}

    def step(self, g, w, s, lr, t):
        s["eg2"] = self.rho * s["eg2"] + (1 - self.rho) * g * g
        delta = -np.sqrt(s["edx2"] + self.eps) / np.sqrt(s["eg2"] + self.eps) * g
        s["edx2"] = self.rho * s["edx2"] + (1 - self.rho) * delta * delta
        return w + lr * delta


class NpLion(NpAdagrad):
    def __init__(self, beta_1=0.9, beta_2=0.99, **_):
        self.b1, self.b2 = beta_1, beta_2

    def state(self, w):
        return {"m": np.zeros_like(w)}

    def step(self, g, w, s, lr, t):
        update = np.sign(self.b1 * s["m"] + (1 - self.b1) * g)
        s["m"] = self.b2 * s["m"] + (1 - self.b2) * g
        return w - lr * update


class NpFtrl(NpAdagrad):
    """McMahan et al.'s FTRL-Proximal, per coordinate, written with the |z| <= l1 branch."""

    def __init__(
        self,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **_,
    ):
        self.p = -learning_rate_power
        self.init = initial_accumulator_value
        self.l1, self.l2 = l1_regularization_strength, l2_regularization_strength
        self.shrink, self.beta = l2_shrinkage_regularization_strength, beta

    def state(self, w):
        return {"n": np.full_like(w, self.init), "z": np.zeros_like(w)}

    def step(self, g, w, s, lr, t):
        n_new = s["n"] + g * g
        sigma = (n_new**self.p - s["n"] ** self.p) / lr
        s["z"] = s["z"] + g + 2 * self.shrink * w - sigma * w
        s["n"] = n_new
        l2 = self.l2 + self.beta / (2 * lr)
        solved = (np.sign(s["z"]) * self.l1 - s["z"]) / (n_new**self.p / lr + 2 * l2)
        return np.where(np.abs(s["z"]) <= self.l1, 0.0, solved)


class NpAdafactor(NpAdagrad):
    def __init__(self, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0, **_):
        self.decay, self.eps1, self.eps2, self.clip = (
            beta_2_decay,
            epsilon_1,
            epsilon_2,
            clip_threshold,
        )

    def state(self, w):
        if w.ndim < 2:
            return {"v": np.zeros_like(w)}
        return {"r": np.zeros(w.shape[:-1]), "c": np.zeros(w.shape[:-2] + w.shape[-1:])}

    def step(self, g, w, s, lr, t):
        t += 1

        def rms(x):
            return np.sqrt(np.mean(x * x))

        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(self.eps2, rms(w)) * rho
        beta_2 = 1 - t**self.decay
        g2 = g * g + self.eps1
        if w.ndim >= 2:
            s["r"] = beta_2 * s["r"] + (1 - beta_2) * g2.mean(axis=-1)
            s["c"] = beta_2 * s["c"] + (1 - beta_2) * g2.mean(axis=-2)
            r = s["r"] / s["r"].mean(axis=-1, keepdims=True)
            v = r[..., :, None] * s["c"][..., None, :]
        else:
            s["v"] = beta_2 * s["v"] + (1 - beta_2) * g2
            v = s["v"]
        u = g / np.sqrt(v)
        return w - alpha * u / max(1.0, rms(u) / self.clip)


def np_sgdr(step, initial, first, t_mul, m_mul, alpha):
    """Cosine decay with restarts, by walking the periods (not the closed form)."""
    start, length, restarts = 0.0, float(first), 0
    while step >= start + length:
        start, length, restarts = start + length, length * t_mul, restarts + 1
    fraction = (step - start) / length
    return initial * (
        (1 - alpha) * 0.5 * m_mul**restarts * (1 + math.cos(math.pi * fraction)) + alpha
    )


def np_train(
    rule,
    starts,
    grad_steps,
    learning_rate=0.001,
    weight_decay=None,
    clipnorm=None,
    clipvalue=None,
    global_clipnorm=None,
    use_ema=False,
    ema_momentum=0.99,
    ema_overwrite_frequency=None,
    loss_scale_factor=None,
    gradient_accumulation_steps=None,
    rule_kwargs=None,
    return_averages=False,
):
    """Keras's base pipeline around `rule`: unscale, accumulate, clip, decay, update, EMA.

    `learning_rate` is a number or a function of the raw step counter. Returns the
    weights (or, with `return_averages`, their moving averages).
    """
    rule = rule(**(rule_kwargs or {}))
    ws = [w.astype(np.float64) for w in starts]
    slots = [rule.state(w) for w in ws]
    accumulated = [np.zeros_like(w) for w in ws]
    averages = [np.zeros_like(w) for w in ws]
    for raw_step, grads in enumerate(grad_steps):
        grads = [g.astype(np.float64) for g in grads]
        if loss_scale_factor:
            grads = [g / loss_scale_factor for g in grads]
        gas = gradient_accumulation_steps
        updates_done = raw_step // gas if gas else raw_step
        update_now = True
        if gas:
            update_now = (raw_step + 1) % gas == 0
            if update_now:
                grads = [(g + a) / gas for g, a in zip(grads, accumulated)]
                accumulated = [np.zeros_like(w) for w in ws]
            else:
                accumulated = [a + g for a, g in zip(accumulated, grads)]
        if update_now:
            if clipnorm:
                grads = [g * clipnorm / max(np.linalg.norm(g), clipnorm) for g in grads]
            if global_clipnorm:
                norm = np.sqrt(sum(np.sum(g * g) for g in grads))
                grads = [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
            if clipvalue:
                grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
            lr = learning_rate(raw_step) if callable(learning_rate) else learning_rate
            if weight_decay:
                ws = [w - w * weight_decay * lr for w in ws]
            rule.begin(updates_done)
            ws = [rule.step(g, w, s, lr, updates_done) for g, w, s in zip(grads, ws, slots)]
        if use_ema:
            momentum = ema_momentum if updates_done != 0 else 0.0
            averages = [momentum * a + (1 - momentum) * w for a, w in zip(averages, ws)]
            if ema_overwrite_frequency and (updates_done + 1) % ema_overwrite_frequency == 0:
                ws = [a.copy() for a in averages]
    return averages if return_averages else ws


RULES = {
    "AdamW": (optimizers.AdamW, NpAdam),
    "Adamax": (optimizers.Adamax, NpAdamax),
    "Nadam": (optimizers.Nadam, NpNadam),
    "Adagrad": (optimizers.Adagrad, NpAdagrad),
    "Adadelta": (optimizers.Adadelta, NpAdadelta),
    "Adafactor": (optimizers.Adafactor, NpAdafactor),
    "Lion": (optimizers.Lion, NpLion),
    "Ftrl": (optimizers.Ftrl, NpFtrl),
}
#: Hyperparameters other than the defaults, per optimizer.
HYPER = {
    "AdamW": {"beta_1": 0.8, "beta_2": 0.95, "amsgrad": True, "epsilon": 1e-4},
    "Adamax": {"beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3},
    "Nadam": {"beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4},
    "Adagrad": {"initial_accumulator_value": 0.5, "epsilon": 1e-3},
    "Adadelta": {"rho": 0.8, "epsilon": 1e-3},
    "Adafactor": {"beta_2_decay": -0.5, "epsilon_2": 1e-2, "clip_threshold": 0.5},
    "Lion": {"beta_1": 0.8, "beta_2": 0.9},
    "Ftrl": {
        "learning_rate_power": -0.3,
        "initial_accumulator_value": 0.2,
        "l1_regularization_strength": 0.01,
        "l2_regularization_strength": 0.05,
        "l2_shrinkage_regularization_strength": 0.02,
        "beta": 0.1,
    },
}


def _problem(rng, steps=5):
    # Rank 1, 2 and 3 variables: Adafactor factors the last two, and treats rank 1 apart.
    starts = [rng.normal(size=s).astype("float32") for s in ((3,), (2, 3), (2, 2, 3))]
    grad_steps = [
        [(rng.normal(size=w.shape) * (1 + t)).astype("float32") for w in starts]
        for t in range(steps)
    ]
    return starts, grad_steps


def _run(cls, starts, grad_steps, **kwargs):
    variables = [Variable(w, name=f"w{i}") for i, w in enumerate(starts)]
    opt = cls(**kwargs)
    for grads in grad_steps:
        opt.apply(grads, variables)
    return [v.numpy() for v in variables], opt


@pytest.mark.parametrize("name", list(RULES))
@pytest.mark.parametrize("hyper", [False, True], ids=["defaults", "hyperparameters"])
def test_update_rule_matches_published_rule(backend, rng, name, hyper):
    cls, rule = RULES[name]
    starts, grad_steps = _problem(rng)
    kwargs = dict(HYPER[name]) if hyper else {}
    # Larger steps than the defaults so that five updates move the weights visibly.
    kwargs["learning_rate"] = 0.05
    got, opt = _run(cls, starts, grad_steps, **kwargs)
    decay = kwargs.get("weight_decay", 0.004 if name == "AdamW" else None)
    expected = np_train(
        rule, starts, grad_steps, learning_rate=0.05, weight_decay=decay, rule_kwargs=kwargs
    )
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6)
    assert int(to_np(opt.iterations)) == len(grad_steps)


# ------------------------------------------------------ every base option, per optimizer
def _exponential(step):
    return 0.1 * 0.5 ** (step / 2)


OPTIONS = {
    "clipnorm": ({"clipnorm": 0.7}, {"clipnorm": 0.7}),
    "clipvalue": ({"clipvalue": 0.3}, {"clipvalue": 0.3}),
    "global_clipnorm": ({"global_clipnorm": 1.1}, {"global_clipnorm": 1.1}),
    "ema": (
        {"use_ema": True, "ema_momentum": 0.7, "ema_overwrite_frequency": 3},
        {"use_ema": True, "ema_momentum": 0.7, "ema_overwrite_frequency": 3},
    ),
    "accumulation": ({"gradient_accumulation_steps": 2}, {"gradient_accumulation_steps": 2}),
    "loss_scale": ({"loss_scale_factor": 8.0}, {"loss_scale_factor": 8.0}),
    "weight_decay": ({"weight_decay": 0.05}, {"weight_decay": 0.05}),
    "schedule": (
        {"learning_rate": schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)},
        {"learning_rate": _exponential},
    ),
    "restarts": (
        {
            "learning_rate": schedules.CosineDecayRestarts(
                0.1, first_decay_steps=2, t_mul=2.0, m_mul=0.8, alpha=0.1
            )
        },
        {"learning_rate": lambda step: np_sgdr(step, 0.1, 2, 2.0, 0.8, 0.1)},
    ),
}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("name", list(RULES))
def test_every_option_with_every_optimizer(backend, rng, name, option):
    cls, rule = RULES[name]
    starts, grad_steps = _problem(rng, steps=6)
    ours, theirs = OPTIONS[option]
    kwargs = {"learning_rate": 0.05, **ours}
    got, opt = _run(cls, starts, grad_steps, **kwargs)
    reference = {"learning_rate": 0.05, **theirs}
    if name == "AdamW":
        reference.setdefault("weight_decay", 0.004)
    expected = np_train(rule, starts, grad_steps, **reference)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=3e-5, atol=3e-6)
    if option == "ema":
        # Finalizing writes the moving averages into the variables.
        averages = np_train(rule, starts, grad_steps, return_averages=True, **reference)
        finalized = [Variable(w, name=f"f{i}") for i, w in enumerate(starts)]
        opt.finalize_variable_values(finalized)
        for v, e in zip(finalized, averages):
            np.testing.assert_allclose(v.numpy(), e, rtol=3e-5, atol=3e-6)


def test_stateless_apply_compiled_equals_apply(backend, rng):
    # Every optimizer, with a schedule, clipping, EMA and accumulation, stepped by one
    # compiled function of all their states.
    starts, grad_steps = _problem(rng, steps=4)
    kwargs = {
        "learning_rate": schedules.ExponentialDecay(0.1, 2, 0.5),
        "global_clipnorm": 2.0,
        "use_ema": True,
        "gradient_accumulation_steps": 2,
    }
    classes = [cls for cls, _ in RULES.values()]
    references = [_run(cls, starts, grad_steps, **kwargs) for cls in classes]

    variables = [[Variable(w, name=f"w{i}") for i, w in enumerate(starts)] for _ in classes]
    optimizers_ = [cls(**kwargs) for cls in classes]
    for opt, vs in zip(optimizers_, variables):
        opt.build(vs)

    def step(states, grads, trainables):
        return [
            opt.stateless_apply(state, grads, trainable)
            for opt, state, trainable in zip(optimizers_, states, trainables)
        ]

    compiled = backend.jit(step)
    trainables = [[v.value for v in vs] for vs in variables]
    states = [[v.value for v in opt.variables] for opt in optimizers_]
    for grads in grad_steps:
        out = compiled(states, [ops.convert_to_tensor(g) for g in grads], trainables)
        trainables, states = [t for t, _ in out], [s for _, s in out]
    for (expected, reference), trainable, state in zip(references, trainables, states):
        for e, new in zip(expected, trainable):
            np.testing.assert_allclose(to_np(new), e, rtol=1e-5, atol=1e-6)
        for ref, new in zip(reference.variables, state):
            np.testing.assert_allclose(to_np(new), ref.numpy(), rtol=1e-5, atol=1e-6)
    # The pure form mutated nothing.
    for vs in variables:
        for v, w in zip(vs, starts):
            np.testing.assert_array_equal(v.numpy(), w)


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs two backends")
def test_backends_agree(rng):
    starts, grad_steps = _problem(rng, steps=4)
    results = {}
    for backend_name in BACKENDS:
        with kb.use_backend(backend_name):
            results[backend_name] = []
            for name, (cls, _) in RULES.items():
                got, opt = _run(cls, starts, grad_steps, learning_rate=0.05, **HYPER[name])
                results[backend_name].append(got + [v.numpy() for v in opt.variables])
    first, *others = BACKENDS
    for other in others:
        for arrays1, arrays2 in zip(results[first], results[other]):
            for a, b in zip(arrays1, arrays2):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ slots, names, errors
def test_slot_variables_in_keras_order(backend):
    kernel = Variable(np.zeros((2, 3), "float32"), name="kernel")
    bias = Variable(np.zeros((3,), "float32"), name="bias")

    def slots(opt):
        opt.build([kernel, bias])
        return [(v.name, tuple(v.shape), v.dtype) for v in opt.variables[2:]]

    assert slots(optimizers.Nadam()) == [
        ("kernel_momentum", (2, 3), "float32"),
        ("kernel_velocity", (2, 3), "float32"),
        ("bias_momentum", (3,), "float32"),
        ("bias_velocity", (3,), "float32"),
        ("u_product", (), "float32"),
    ]
    assert slots(optimizers.Adafactor()) == [
        ("kernel", (2,), "float32"),  # r: the last axis reduced
        ("kernel", (3,), "float32"),  # c: the second-to-last axis reduced
        ("kernel_velocity", (2, 3), "float32"),
        ("bias", (), "int32"),  # rank 1 is not factored: placeholders, as in Keras
        ("bias", (), "int32"),
        ("bias_velocity", (3,), "float32"),
    ]
    assert [n for n, _, _ in slots(optimizers.Ftrl())] == [
        "kernel_accumulator",
        "kernel_linear",
        "bias_accumulator",
        "bias_linear",
    ]
    adagrad = optimizers.Adagrad(initial_accumulator_value=0.3)
    slots(adagrad)
    np.testing.assert_allclose(adagrad.variables[2].numpy(), np.full((2, 3), 0.3))
    assert [n for n, _, _ in slots(optimizers.Adadelta())] == [
        "kernel_accumulated_grad",
        "kernel_accumulated_delta_var",
        "bias_accumulated_grad",
        "bias_accumulated_delta_var",
    ]
    assert [n for n, _, _ in slots(optimizers.Adamax())][:2] == ["kernel_momentum", "kernel_norm"]
    assert [n for n, _, _ in slots(optimizers.Lion())] == ["kernel_momentum", "bias_momentum"]


def test_defaults_and_names():
    adamw = optimizers.AdamW()
    assert adamw.weight_decay == 0.004 and adamw.name.startswith("adam_w")
    assert (adamw.beta_1, adamw.beta_2, adamw.epsilon, adamw.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert float(adamw.learning_rate.numpy()) == pytest.approx(0.001)
    nadam, adamax = optimizers.Nadam(), optimizers.Adamax()
    assert (nadam.beta_1, nadam.beta_2, nadam.epsilon) == (0.9, 0.999, 1e-7)
    assert (adamax.beta_1, adamax.beta_2, adamax.epsilon) == (0.9, 0.999, 1e-7)
    adagrad, adadelta = optimizers.Adagrad(), optimizers.Adadelta()
    assert (adagrad.initial_accumulator_value, adagrad.epsilon) == (0.1, 1e-7)
    assert (adadelta.rho, adadelta.epsilon) == (0.95, 1e-7)
    adafactor = optimizers.Adafactor()
    assert (
        adafactor.beta_2_decay,
        adafactor.epsilon_1,
        adafactor.epsilon_2,
        adafactor.clip_threshold,
        adafactor.relative_step,
    ) == (-0.8, 1e-30, 1e-3, 1.0, True)
    lion = optimizers.Lion()
    assert (lion.beta_1, lion.beta_2) == (0.9, 0.99)
    ftrl = optimizers.Ftrl()
    assert (
        ftrl.learning_rate_power,
        ftrl.initial_accumulator_value,
        ftrl.l1_regularization_strength,
        ftrl.l2_regularization_strength,
        ftrl.l2_shrinkage_regularization_strength,
        ftrl.beta,
    ) == (-0.5, 0.1, 0.0, 0.0, 0.0, 0.0)
    for cls in (optimizers.Nadam, optimizers.Lion, optimizers.Ftrl, optimizers.Adafactor):
        assert float(cls().learning_rate.numpy()) == pytest.approx(0.001)


def test_bad_arguments():
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match=r"beta_1.*Received: beta_1=0"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    for arg in (
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
    ):
        with pytest.raises(ValueError, match=f"{arg}=-1"):
            optimizers.Ftrl(**{arg: -1.0})
    with pytest.raises(TypeError, match="lr"):
        optimizers.Nadam(lr=0.1)
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, first_decay_steps=0)


@pytest.mark.parametrize("name", [*RULES, "adamw", "NADAM", "ftrl"])
def test_get_by_name(name):
    expected = {n.lower(): cls for n, (cls, _) in RULES.items()}[name.lower()]
    assert type(optimizers.get(name)) is expected


@pytest.mark.parametrize("name", list(RULES))
def test_config_round_trip(name):
    cls, _ = RULES[name]
    opt = cls(
        learning_rate=schedules.CosineDecayRestarts(0.1, 3, t_mul=1.5, m_mul=0.9, alpha=0.05),
        clipvalue=0.5,
        **HYPER[name],
    )
    config = opt.get_config()
    for key, value in HYPER[name].items():
        assert config[key] == value
    assert cls.from_config(config).get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert type(restored) is cls and restored.get_config() == config


# ----------------------------------------------------------------------- schedules
def test_cosine_decay_restarts_against_the_period_walk(backend):
    steps = np.arange(0, 40)
    for t_mul, m_mul, alpha in ((2.0, 1.0, 0.0), (1.0, 0.5, 0.1), (1.5, 0.8, 0.2)):
        schedule = schedules.CosineDecayRestarts(
            0.5, first_decay_steps=4, t_mul=t_mul, m_mul=m_mul, alpha=alpha
        )
        got = [float(to_np(schedule(int(s)))) for s in steps]
        expected = [np_sgdr(int(s), 0.5, 4, t_mul, m_mul, alpha) for s in steps]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    config = schedule.get_config()
    assert config == {
        "initial_learning_rate": 0.5,
        "first_decay_steps": 4,
        "t_mul": 1.5,
        "m_mul": 0.8,
        "alpha": 0.2,
        "name": "SGDRDecay",
    }
    restored = schedules.deserialize(schedules.serialize(schedule))
    assert isinstance(restored, schedules.CosineDecayRestarts)
    assert restored.get_config() == config


def test_cosine_decay_warmup_matches_keras_formula(backend):
    def keras_cosine(step, initial, decay_steps, alpha, target, warmup):
        if target is None:
            step = min(step, decay_steps)
            return initial * (
                (1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha
            )
        step = min(step, decay_steps + warmup)
        if step < warmup:
            return (target - initial) * step / warmup + initial
        fraction = (step - warmup) / decay_steps
        return target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)

    for initial, target, warmup, alpha in (
        (0.0, 1.0, 5, 0.0),
        (0.1, 0.6, 3, 0.2),
        (0.3, 0.9, 0, 0.1),
    ):
        schedule = schedules.CosineDecay(
            initial, 10, alpha=alpha, warmup_target=target, warmup_steps=warmup
        )
        for step in range(0, 20):
            assert float(to_np(schedule(step))) == pytest.approx(
                keras_cosine(step, initial, 10, alpha, target, warmup), rel=1e-5, abs=1e-6
            )
