"""Nadam: Adam with Nesterov momentum (Dozat's schedule), as Keras 3 updates it."""

from __future__ import annotations

import kerasish.backend as kb
from kerasish import initializers, ops
from kerasish.optimizers.base_optimizer import Optimizer


class Nadam(Optimizer):
    """The Nadam algorithm (Dozat, 2015): Adam with Nesterov momentum.

    At step `t` (counting from 1), with the momentum schedule
    `u(t) = beta_1 * (1 - 0.5 * 0.96**t)` and `U = u(1) * ... * u(t)` (the "u_product"
    variable, updated once per step before the variables):

    ```
    m = m + (g - m) * (1 - beta_1)
    v = v + (g**2 - v) * (1 - beta_2)
    m_hat = u(t+1) * m / (1 - U * u(t+1)) + (1 - u(t)) * g / (1 - U)
    v_hat = v / (1 - beta_2**t)
    w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    ```

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        beta_1: the decay rate of the first-moment estimates.
        beta_2: the decay rate of the second-moment estimates.
        epsilon: added to `sqrt(v_hat)` for numerical stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps:
            as for `Optimizer`.
        name: the optimizer's name (default: the snake-case class name, made unique).
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        """Creates "momentum" and "velocity" per variable, then the scalar "u_product"."""
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else kb.floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        self._u_product = self.add_variable(
            (), initializer=initializers.Constant(1.0), dtype=dtype, name="u_product"
        )

    def _update(self, grads, trainable_variables) -> None:
        # The product of the momentum schedule moves once per step, before any variable.
        dtype = self._u_product.dtype
        step = ops.cast(ops.add(self.iterations, 1), dtype)
        u_t = ops.multiply(self.beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(0.96, step))))
        self.assign(self._u_product, ops.multiply(self._u_product.value, u_t))
        super()._update(grads, trainable_variables)

    def update_step(self, gradient, variable, learning_rate) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        local_step = ops.cast(ops.add(self.iterations, 1), dtype)
        next_step = ops.cast(ops.add(self.iterations, 2), dtype)
        decay = ops.cast(0.96, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        u_t = ops.multiply(
            beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, local_step)))
        )
        u_t_1 = ops.multiply(
            beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, next_step)))
        )
        u_product_t = ops.cast(self._u_product.value, dtype)
        u_product_t_1 = ops.multiply(u_product_t, u_t_1)
        beta_2_power = ops.power(beta_2, local_step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), ops.subtract(1.0, beta_1)))
        self.assign_add(
            v, ops.multiply(ops.subtract(ops.square(gradient), v), ops.subtract(1.0, beta_2))
        )
        m_hat = ops.add(
            ops.divide(ops.multiply(u_t_1, m), ops.subtract(1.0, u_product_t_1)),
            ops.divide(
                ops.multiply(ops.subtract(1.0, u_t), gradient), ops.subtract(1.0, u_product_t)
            ),
        )
        v_hat = ops.divide(v, ops.subtract(1.0, beta_2_power))
        self.assign_sub(
            variable, ops.divide(ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon))
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
