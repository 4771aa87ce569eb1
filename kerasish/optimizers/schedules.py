"""Learning-rate schedules (`keras.optimizers.schedules`): the learning rate as a function of the step."""

from __future__ import annotations

import math
from typing import Any

import kerasish.backend as kb
from kerasish import ops
from kerasish.saving.serialization import deserialize_keras_object, serialize_keras_object


class LearningRateSchedule:
    """Base class: `schedule(step)` returns the learning rate for that optimizer step.

    An optimizer given a schedule calls it with its `iterations` counter at every
    update. Subclasses implement `__call__(step)` and `get_config()`.
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__(step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement `get_config()`.")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def _float(x):
    return ops.cast(x, kb.floatx())


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps over which the rate is multiplied by `decay_rate`.
        decay_rate: the decay factor.
        staircase: decay in whole steps (`floor(step / decay_steps)`).
        name: the schedule's name.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ):
        if decay_steps <= 0:
            raise ValueError(
                f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}"
            )
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = ops.divide(_float(step), float(self.decay_steps))
        if self.staircase:
            p = ops.floor(p)
        return ops.multiply(
            float(self.initial_learning_rate), ops.power(_float(self.decay_rate), p)
        )

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: how often the decay is applied.
        decay_rate: the decay factor.
        staircase: decay in whole steps (`floor(step / decay_steps)`).
        name: the schedule's name.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = ops.divide(_float(step), float(self.decay_steps))
        if self.staircase:
            p = ops.floor(p)
        denominator = ops.add(1.0, ops.multiply(float(self.decay_rate), p))
        return ops.divide(_float(self.initial_learning_rate), denominator)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval: `values[i]` while `boundaries[i-1] < step <= boundaries[i]`.

    Args:
        boundaries: increasing step numbers, one fewer than `values`.
        values: the rate in each interval.
        name: the schedule's name.
    """

    def __init__(self, boundaries, values, name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}."
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        step = _float(step)
        rate = _float(self.values[-1])
        # Walk from the last interval down, so the first matching boundary wins.
        for boundary, value in reversed(list(zip(self.boundaries, self.values))):
            rate = ops.where(ops.less_equal(step, float(boundary)), _float(value), rate)
        return rate

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """A polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps the decay takes.
        end_learning_rate: the final rate.
        power: the polynomial's power (1.0 is linear).
        cycle: restart the decay, over a longer span, after `decay_steps`.
        name: the schedule's name.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _float(step)
        decay_steps = _float(self.decay_steps)
        if self.cycle:
            # At step 0 the multiplier is 1, not 0.
            multiplier = ops.where(
                ops.equal(step, 0.0),
                _float(1.0),
                ops.ceil(ops.divide(step, float(self.decay_steps))),
            )
            decay_steps = ops.multiply(decay_steps, multiplier)
        else:
            step = ops.minimum(step, decay_steps)
        fraction = ops.divide(step, decay_steps)
        span = float(self.initial_learning_rate) - float(self.end_learning_rate)
        return ops.add(
            ops.multiply(span, ops.power(ops.subtract(1.0, fraction), float(self.power))),
            float(self.end_learning_rate),
        )

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """A cosine decay over `decay_steps`, after an optional linear warmup.

    Without warmup the rate goes from `initial_learning_rate` down to
    `alpha * initial_learning_rate`. With `warmup_target`, it first rises linearly
    to `warmup_target` over `warmup_steps`, then decays from there.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the steps the cosine decay takes.
        alpha: the final rate as a fraction of the rate decayed from.
        name: the schedule's name.
        warmup_target: the rate reached at the end of the warmup, or None (no warmup).
        warmup_steps: the warmup's length in steps.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        if decay_steps <= 0:
            raise ValueError(
                f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}"
            )
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, decay_from):
        fraction = ops.divide(step, float(self.decay_steps))
        cosine = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(math.pi, fraction))))
        return ops.multiply(decay_from, ops.add(ops.multiply(1.0 - self.alpha, cosine), self.alpha))

    def __call__(self, step):
        step = _float(step)
        initial = _float(self.initial_learning_rate)
        if self.warmup_target is None:
            return self._decay(ops.minimum(step, float(self.decay_steps)), initial)
        warmup_steps = float(self.warmup_steps)
        step = ops.minimum(step, float(self.decay_steps) + warmup_steps)
        target = _float(self.warmup_target)
        warm_fraction = ops.divide(step, max(warmup_steps, 1.0))
        warm = ops.add(ops.multiply(ops.subtract(target, initial), warm_fraction), initial)
        decayed = self._decay(ops.subtract(step, warmup_steps), target)
        return ops.where(ops.less(step, warmup_steps), warm, decayed)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """A cosine decay with warm restarts (SGDR, Loshchilov and Hutter, 2017).

    The first period lasts `first_decay_steps`; each period is `t_mul` times longer
    than the one before and starts from `m_mul` times the previous starting rate.
    Within a period the rate falls along a cosine from its start to `alpha` times
    `initial_learning_rate`:

    ```
    rate = initial_learning_rate * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * f)) + alpha)
    ```

    where `i` is the number of restarts so far and `f` the fraction of the current
    period completed.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the length of the first period, in steps (> 0).
        t_mul: how much longer each period is than the previous one.
        m_mul: how much lower each period starts than the previous one.
        alpha: the final rate of each period, as a fraction of `initial_learning_rate`.
        name: the schedule's name.

    Example:

    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.0)
    >>> [round(float(schedule(s)), 3) for s in (0, 2, 4, 6)]
    [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        if first_decay_steps <= 0:
            raise ValueError(
                "Argument `first_decay_steps` must be > 0. "
                f"Received: first_decay_steps={first_decay_steps}"
            )
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = ops.divide(_float(step), float(self.first_decay_steps))
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restarts = ops.floor(fraction)
            fraction = ops.subtract(fraction, restarts)
        else:
            # Periods grow geometrically: the i-th restart happens once the fraction
            # passes (1 - t_mul**i) / (1 - t_mul) first periods.
            restarts = ops.floor(
                ops.divide(
                    ops.log(ops.subtract(1.0, ops.multiply(fraction, 1.0 - t_mul))), math.log(t_mul)
                )
            )
            periods_done = ops.divide(ops.subtract(1.0, ops.power(t_mul, restarts)), 1.0 - t_mul)
            fraction = ops.divide(ops.subtract(fraction, periods_done), ops.power(t_mul, restarts))
        m_factor = ops.power(_float(self._m_mul), restarts)
        cosine = ops.multiply(
            ops.multiply(0.5, m_factor), ops.add(1.0, ops.cos(ops.multiply(math.pi, fraction)))
        )
        decayed = ops.add(ops.multiply(1.0 - self.alpha, cosine), self.alpha)
        return ops.multiply(_float(self.initial_learning_rate), decayed)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_OBJECTS = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule: LearningRateSchedule) -> Any:
    """A schedule's config dict, in Keras's format."""
    return serialize_keras_object(schedule)


def deserialize(config, custom_objects: dict | None = None) -> LearningRateSchedule:
    """The schedule that `config` describes."""
    return deserialize_keras_object(
        config, ALL_OBJECTS, custom_objects, kind="learning rate schedule"
    )
