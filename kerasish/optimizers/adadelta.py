"""Adadelta: steps scaled by moving RMS of gradients and of past steps, as Keras 3 updates them."""

from __future__ import annotations

from kerasish import ops
from kerasish.optimizers.base_optimizer import Optimizer


class Adadelta(Optimizer):
    """The Adadelta algorithm (Zeiler, 2012).

    With `rms(a) = sqrt(a + epsilon)`, for a variable `w` with gradient `g`:

    ```
    accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
    delta = -rms(accumulated_delta_var) * g / rms(accumulated_grad)
    accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta**2
    w = w + learning_rate * delta
    ```

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to
            0.001 (the paper's method corresponds to 1.0).
        rho: the decay rate of both moving averages.
        epsilon: added inside the square roots for numerical stability.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps:
            as for `Optimizer`.
        name: the optimizer's name (default: the snake-case class name, made unique).
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.95,
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
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        """Creates, per variable, "accumulated_grad" and "accumulated_delta_var"."""
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        rho = self.rho
        index = self._get_variable_index(variable)
        accumulated_grad = self._accumulated_grads[index]
        accumulated_delta_var = self._accumulated_delta_vars[index]

        def rms(x):
            return ops.sqrt(ops.add(x, self.epsilon))

        self.assign(
            accumulated_grad,
            ops.add(
                ops.multiply(rho, accumulated_grad), ops.multiply(1 - rho, ops.square(gradient))
            ),
        )
        delta = ops.negative(
            ops.divide(ops.multiply(rms(accumulated_delta_var), gradient), rms(accumulated_grad))
        )
        self.assign(
            accumulated_delta_var,
            ops.add(
                ops.multiply(rho, accumulated_delta_var), ops.multiply(1 - rho, ops.square(delta))
            ),
        )
        self.assign_add(variable, ops.multiply(lr, delta))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
