"""Adafactor: factored second moments and relative step sizes, as Keras 3 updates them."""

from __future__ import annotations

from kerasish import ops
from kerasish.optimizers.base_optimizer import Optimizer
from kerasish.variables import Variable


class Adafactor(Optimizer):
    """The Adafactor algorithm (Shazeer and Stern, 2018).

    For a variable of rank >= 2 the second moment is kept factored over its last two
    axes (a row statistic `r` and a column statistic `c`), which saves memory. At step
    `t` (counting from 1), for a variable `w` with gradient `g`:

    ```
    rho = min(learning_rate, 1 / sqrt(t))
    alpha = max(epsilon_2, rms(w)) * rho
    beta_2 = 1 - t**beta_2_decay
    s = g**2 + epsilon_1
    rank >= 2:  r = beta_2 * r + (1 - beta_2) * mean(s, axis=-1)
                c = beta_2 * c + (1 - beta_2) * mean(s, axis=-2)
                v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
    otherwise:  v = beta_2 * v + (1 - beta_2) * s
    u = g / sqrt(v)
    w = w - alpha * u / max(1, rms(u) / clip_threshold)
    ```

    where `rms(x) = sqrt(mean(x**2))`.

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        beta_2_decay: the decay exponent of `beta_2`.
        epsilon_1: added to the squared gradients to keep the denominator from 0.
        epsilon_2: the smallest scale of a step relative to the variable.
        clip_threshold: the update's RMS is clipped to this (independent of
            `clipnorm`, `clipvalue` and `global_clipnorm`).
        relative_step: with a constant learning rate, cap it by `1 / sqrt(t)` (the
            capped rate is used for `rho` in any case, as in Keras).
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps:
            as for `Optimizer`.
        name: the optimizer's name (default: the snake-case class name, made unique).
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list) -> None:
        """Creates, per variable: "r" and "c" (factored statistics), then "velocity".

        A variable of rank < 2 is not factored; two int32 scalar placeholders stand
        in for its r and c, so that the variable list has Keras's layout.
        """
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for var in var_list:
            shape = tuple(var.shape)
            if len(shape) < 2:
                self._r.append(self.add_variable((), dtype="int32", name=var.name))
                self._c.append(self.add_variable((), dtype="int32", name=var.name))
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=var.name))
                self._c.append(
                    self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype, name=var.name)
                )
            self._v.append(self.add_variable_from_reference(var, name="velocity"))

    @staticmethod
    def _rms(x):
        return ops.sqrt(ops.mean(ops.square(x)))

    def update_step(self, gradient, variable, learning_rate) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        epsilon_2 = ops.cast(self.epsilon_2, dtype)
        local_step = ops.cast(ops.add(self.iterations, 1), dtype)
        inverse_sqrt_step = ops.divide(1.0, ops.sqrt(local_step))
        if isinstance(self._learning_rate, Variable) and self.relative_step:
            lr = ops.minimum(lr, inverse_sqrt_step)
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]
        rho_t = ops.minimum(lr, inverse_sqrt_step)
        alpha_t = ops.multiply(ops.maximum(epsilon_2, self._rms(variable.value)), rho_t)
        regulated_grad_square = ops.add(ops.square(gradient), self.epsilon_1)
        beta_2_t = ops.subtract(1.0, ops.power(local_step, self.beta_2_decay))
        one_minus_beta_2_t = ops.subtract(1.0, beta_2_t)
        if len(variable.shape) >= 2:
            self.assign(
                r,
                ops.add(
                    ops.multiply(beta_2_t, r),
                    ops.multiply(one_minus_beta_2_t, ops.mean(regulated_grad_square, axis=-1)),
                ),
            )
            self.assign(
                c,
                ops.add(
                    ops.multiply(beta_2_t, c),
                    ops.multiply(one_minus_beta_2_t, ops.mean(regulated_grad_square, axis=-2)),
                ),
            )
            row_share = ops.divide(r.value, ops.mean(r.value, axis=-1, keepdims=True))
            self.assign(
                v, ops.multiply(ops.expand_dims(row_share, -1), ops.expand_dims(c.value, -2))
            )
        else:
            self.assign(
                v,
                ops.add(
                    ops.multiply(beta_2_t, v),
                    ops.multiply(one_minus_beta_2_t, regulated_grad_square),
                ),
            )
        u_t = ops.divide(gradient, ops.sqrt(v.value))
        u_t_hat = ops.divide(u_t, ops.maximum(1.0, ops.divide(self._rms(u_t), self.clip_threshold)))
        self.assign_sub(variable, ops.multiply(alpha_t, u_t_hat))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config
