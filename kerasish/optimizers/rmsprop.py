"""RMSprop: gradients divided by a moving root mean square, as Keras 3 updates them."""

from __future__ import annotations

from kerasish import ops
from kerasish.optimizers.base_optimizer import Optimizer


class RMSprop(Optimizer):
    """The RMSprop algorithm (Hinton, 2012), with optional momentum and centering.

    For a variable `w` with gradient `g`:

    ```
    v = rho * v + (1 - rho) * g**2
    a = rho * a + (1 - rho) * g                    # centered only
    denominator = v - a**2 + epsilon               # centered
    denominator = v + epsilon                      # otherwise
    increment = learning_rate * g / sqrt(denominator)
    m = momentum * m + increment; w = w - m        # momentum > 0
    w = w - increment                              # otherwise
    ```

    Args:
        learning_rate: a float, a `LearningRateSchedule` or a callable. Defaults to 0.001.
        rho: the discounting factor of the moving averages.
        momentum: when above 0, the increments are accumulated with this momentum.
        epsilon: added inside the square root for numerical stability.
        centered: normalize by the estimated variance of the gradient rather than
            its uncentered second moment.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps:
            as for `Optimizer`.
        name: the optimizer's name.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str = "rmsprop",
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
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list) -> None:
        """Creates "velocity" variables, then "momentum" and "average_gradient" ones if used."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = (
            self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        )
        self._average_gradients = (
            self.add_optimizer_variables(var_list, "average_gradient") if self.centered else []
        )

    def update_step(self, gradient, variable, learning_rate) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        rho = self.rho
        self.assign(
            velocity,
            ops.add(ops.multiply(rho, velocity), ops.multiply(1 - rho, ops.square(gradient))),
        )
        if self.centered:
            average_grad = self._average_gradients[index]
            self.assign(
                average_grad,
                ops.add(ops.multiply(rho, average_grad), ops.multiply(1 - rho, gradient)),
            )
            denominator = ops.add(ops.subtract(velocity, ops.square(average_grad)), self.epsilon)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide(ops.multiply(lr, gradient), ops.sqrt(denominator))
        if self.momentum > 0:
            momentum = self._momentums[index]
            self.assign(momentum, ops.add(ops.multiply(self.momentum, momentum), increment))
            self.assign_sub(variable, momentum.value)
        else:
            self.assign_sub(variable, increment)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
