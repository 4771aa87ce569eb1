"""FTRL-Proximal ("Follow The Regularized Leader"), as Keras 3 updates it."""

from __future__ import annotations

from kerasish import initializers, ops
from kerasish.optimizers.base_optimizer import Optimizer


class Ftrl(Optimizer):
    """The FTRL-Proximal algorithm (McMahan et al., 2013), with L1, L2 and L2-shrinkage.

    With `p = -learning_rate_power`, `l2 = l2_regularization_strength + beta / (2 * lr)`
    and `g_s = g + 2 * l2_shrinkage_regularization_strength * w`, for a variable `w`
    with gradient `g` (`n` starts at `initial_accumulator_value`, `z` at 0):

    ```
    n_new = n + g**2
    z = z + g_s - (n_new**p - n**p) / lr * w
    w = (clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * l2)     # 0 where |z| <= l1
    n = n_new
    ```

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        learning_rate_power: <= 0; how the per-coordinate rate decreases (0: fixed rate).
        initial_accumulator_value: >= 0; the accumulators' starting value.
        l1_regularization_strength: >= 0.
        l2_regularization_strength: >= 0 (a stabilization penalty).
        l2_shrinkage_regularization_strength: >= 0 (a magnitude penalty, added to
            the gradient).
        beta: the paper's beta (added to the L2 strength as `beta / (2 * lr)`).
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps:
            as for `Optimizer`.
        name: the optimizer's name (default: the snake-case class name, made unique).
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        checks = (
            ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
            ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
            (
                "l2_shrinkage_regularization_strength",
                l2_shrinkage_regularization_strength,
                "positive or zero",
            ),
        )
        for arg, value, expected in checks:
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be {expected}. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. "
                f"Received: learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list) -> None:
        """Creates, per variable, an "accumulator" (n) and a "linear" (z) variable."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list,
            ["accumulator", "linear"],
            initializer=[initializers.Constant(self.initial_accumulator_value), "zeros"],
        )

    def update_step(self, gradient, variable, learning_rate) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        accum, linear = self._accumulators[index], self._linears[index]
        lr_power = self.learning_rate_power
        l2_reg = ops.add(
            self.l2_regularization_strength, ops.divide(self.beta, ops.multiply(2.0, lr))
        )
        grad_to_use = ops.add(
            gradient, ops.multiply(2 * self.l2_shrinkage_regularization_strength, variable.value)
        )
        new_accum = ops.add(accum, ops.square(gradient))
        sigma = ops.divide(
            ops.subtract(ops.power(new_accum, -lr_power), ops.power(accum, -lr_power)), lr
        )
        self.assign_add(linear, ops.subtract(grad_to_use, ops.multiply(sigma, variable.value)))
        quadratic = ops.add(
            ops.divide(ops.power(new_accum, -lr_power), lr), ops.multiply(2.0, l2_reg)
        )
        l1 = self.l1_regularization_strength
        linear_clipped = ops.clip(linear.value, -l1, l1)
        self.assign(variable, ops.divide(ops.subtract(linear_clipped, linear), quadratic))
        self.assign(accum, new_accum)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta,
            }
        )
        return config
