"""The `Optimizer` base class: state in variables, Keras's update pipeline, and `stateless_apply`.

One update (`apply`) runs, in Keras 3's order: drop missing gradients, unscale
(`loss_scale_factor`), accumulate (`gradient_accumulation_steps`), clip
(`clipnorm` / `clipvalue` / `global_clipnorm`), decay the weights (`weight_decay`),
`update_step` for each variable, average the weights (`use_ema`), count the step,
and finally apply each variable's `constraint`.

Everything is written with `kerasish.ops` and `Variable.assign`, with no
data-dependent Python branching (steps that only sometimes apply choose with
`ops.where`), so the same code runs eagerly, inside `StatelessScope`
(`stateless_apply`) and inside a compiled function.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import kerasish.backend as kb
from kerasish import initializers, ops
from kerasish.optimizers import schedules
from kerasish.saving.serialization import serialize_keras_object
from kerasish.utils import naming
from kerasish.variables import StatelessScope, Variable


class UnrecognizedArgumentsError(TypeError, ValueError):
    """An optimizer was given keyword arguments it does not know.

    Keras raises `ValueError` here and Python raises `TypeError` for unknown keyword
    arguments; this is both, so code that catches either keeps working.
    """


def _takes_step(fn: Callable) -> bool:
    """Whether a learning-rate callable wants the step (one required positional argument)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    for p in parameters:
        if p.kind == p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            return True
    return False


class Optimizer:
    """Base class of optimizers: updates variables from their gradients.

    Subclasses create their per-variable state in `build(var_list)` (with
    `add_variable_from_reference` or `add_optimizer_variables`, after calling
    `super().build(var_list)`) and implement `update_step(gradient, variable,
    learning_rate)` with `self.assign`, `self.assign_add` and `self.assign_sub`.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable. A schedule,
            or a callable with one required argument, is called with the step
            (`iterations`) at each update; a callable without arguments is called
            as is (as Keras does).
        weight_decay: if set, each variable `w` becomes `w - w * weight_decay * lr`
            before its update.
        clipnorm: if set, each gradient is clipped to at most this L2 norm.
        clipvalue: if set, each gradient is clipped into `[-clipvalue, clipvalue]`.
        global_clipnorm: if set, all gradients are scaled together so that their
            global L2 norm is at most this. Only one of the three clip options may be set.
        use_ema: keep an exponential moving average of the variables.
        ema_momentum: the average's momentum: `avg = m * avg + (1 - m) * w`.
        ema_overwrite_frequency: every this many steps, overwrite the variables with
            their averages (None: only in `finalize_variable_values`).
        loss_scale_factor: if set, gradients are divided by it (see `scale_loss`).
        gradient_accumulation_steps: if set (>= 2), gradients are summed over this
            many steps and their mean applied once, on the last of them.
        name: the optimizer's name, used in its variables' paths.

    The `iterations` counter is an "int32" variable: JAX without 64-bit mode has no
    int64, and Keras uses int32 on JAX too.
    """

    def __init__(
        self,
        learning_rate,
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
        self._variables: list[Variable] = []
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=2
            )
        if kwargs:
            raise UnrecognizedArgumentsError(
                f"{type(self).__name__} got argument(s) it does not recognize: {sorted(kwargs)}. "
                f"Received: {kwargs}"
            )
        self.name = name or naming.auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        if gradient_accumulation_steps is not None and (
            not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._trainable_variables: list[Variable] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._model_variables_moving_average: list[Variable] = []
        self._accumulated_gradients: list[Variable] = []
        self._exclude_from_weight_decay: set[int] = set()
        self._exclude_from_weight_decay_pattern = None

        self._iterations = self.add_variable(
            (), initializer=initializers.Zeros(), dtype="int32", name="iteration"
        )
        self._learning_rate = self._make_learning_rate(learning_rate)

    def _make_learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        if (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, (int, float))
            and not hasattr(learning_rate, "__float__")
        ):
            raise ValueError(
                "Argument `learning_rate` should be a float, a LearningRateSchedule, or a callable "
                f"(of the step, or of nothing) returning the learning rate. Received: learning_rate={learning_rate!r}"
            )
        return self.add_variable(
            (),
            initializer=initializers.Constant(float(learning_rate)),
            dtype=kb.floatx(),
            name="learning_rate",
        )

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"In optimizer {type(self).__name__!r}, call `super().__init__()` as the first "
                "statement of `__init__()`."
            )

    # --------------------------------------------------------------- state
    @property
    def iterations(self) -> Any:
        """The number of updates applied (the accumulated updates, when accumulating)."""
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations.value, self.gradient_accumulation_steps)
        return self._iterations

    @property
    def variables(self) -> list[Variable]:
        """`iteration`, `learning_rate` (unless a schedule), then the per-variable state."""
        return list(self._variables)

    @property
    def learning_rate(self):
        """The current learning rate: the variable, or the schedule's value at this step."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate) -> None:
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            if isinstance(self._learning_rate, Variable):
                self._variables = [v for v in self._variables if v is not self._learning_rate]
            self._learning_rate = learning_rate
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError(
                f"This optimizer was created with a schedule or callable as its learning rate "
                f"({self._learning_rate!r}), so its learning rate cannot be set to a number. "
                "Create the optimizer with a float `learning_rate` to be able to set it."
            )
        self._learning_rate.assign(learning_rate)

    def _get_current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        if isinstance(lr, schedules.LearningRateSchedule) or _takes_step(lr):
            return lr(self._iterations.value)
        return lr()

    def add_variable(
        self,
        shape: Sequence[int],
        initializer="zeros",
        dtype=None,
        aggregation: str = "mean",
        name: str | None = None,
    ) -> Variable:
        """Creates a non-trainable optimizer variable, tracked in `variables`.

        Args:
            shape: the variable's shape.
            initializer: an initializer, its name, or a callable.
            dtype: the variable's dtype (default `floatx()`).
            aggregation: how values combine across replicas (recorded only).
            name: the variable's name.

        Returns:
            The new `Variable`.
        """
        self._check_super_called()
        variable = Variable(
            initializer=initializers.get(initializer),
            shape=tuple(shape),
            dtype=dtype,
            trainable=False,
            aggregation=aggregation,
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(
        self, reference_variable, name: str | None = None, initializer="zeros"
    ) -> Variable:
        """A new optimizer variable with the shape and dtype of `reference_variable` (zeros).

        Its name is the reference's path with "/" replaced by "_", then "_" and `name`
        (for example "dense_kernel_momentum"), as Keras names it.
        """
        name = name or "var"
        base = getattr(reference_variable, "path", None) or str(reference_variable.name)
        name = base.replace("/", "_").replace(":", "_") + "_" + name
        variable = self.add_variable(
            shape=reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=name,
        )
        layout = getattr(reference_variable, "_layout", None)
        if layout is not None and variable._layout is None:
            # As Keras: a slot is laid out like the variable it follows (sharded alike).
            variable._layout = layout
            if variable._value is not None:
                variable._value = variable._laid_out(variable._value)
        return variable

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One new variable per trainable variable (a list), or several lists for several names.

        Args:
            trainable_variables: the reference variables.
            name: a name, or a list of names (one list of variables is returned per name).
            initializer: an initializer, or a list of them (one per name).
        """
        if isinstance(name, str):
            names, inits = [name], [initializer]
        else:
            names = list(name)
            inits = (
                list(initializer)
                if isinstance(initializer, (list, tuple))
                else [initializer] * len(names)
            )
        created: tuple[list, ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (var_name, var_init) in enumerate(zip(names, inits)):
                created[i].append(
                    self.add_variable_from_reference(variable, name=var_name, initializer=var_init)
                )
        return created[0] if isinstance(name, str) else created

    def build(self, var_list) -> None:
        """Records the variables this optimizer updates and creates its state for them.

        Subclasses call `super().build(var_list)` first, then create their slots.
        """
        var_list = list(var_list)
        for i, variable in enumerate(var_list):
            self._trainable_variables_indices[self._var_key(variable)] = i
            if self.use_ema:
                self._model_variables_moving_average.append(
                    self.add_variable_from_reference(variable, name="average")
                )
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(
                    self.add_variable_from_reference(variable, name="gradient_accumulator")
                )
        self._trainable_variables = var_list
        self.built = True

    @staticmethod
    def _var_key(variable) -> int:
        return id(variable)

    def _get_variable_index(self, variable) -> int:
        return self._trainable_variables_indices[self._var_key(variable)]

    # ------------------------------------------------------------- updating
    def assign(self, variable, value) -> None:
        """Sets `variable` to `value` (use this in `update_step`)."""
        variable.assign(value)

    def assign_add(self, variable, value) -> None:
        """Adds `value` to `variable` (use this in `update_step`)."""
        variable.assign_add(value)

    def assign_sub(self, variable, value) -> None:
        """Subtracts `value` from `variable` (use this in `update_step`)."""
        variable.assign_sub(value)

    def update_step(self, gradient, variable, learning_rate) -> None:
        """Updates one variable from its gradient (implemented by each optimizer)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step`.")

    def apply_gradients(self, grads_and_vars):
        """Applies `[(gradient, variable), ...]`; returns the `iterations` variable."""
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(list(grads), list(trainable_variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        """Updates the variables from their gradients (one optimizer step).

        Args:
            grads: one gradient per variable (None for a variable without one).
            trainable_variables: the variables, in the order of `grads`. Given on the
                first call, they build the optimizer; later calls may omit them, and
                then `grads` follows the order the optimizer was built with.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built on a "
                    "list of variables. Call `optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"Expected one gradient per variable the optimizer was built with "
                    f"({len(self._trainable_variables)}). Received {len(grads)} gradients."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(grads) != len(trainable_variables):
                raise ValueError(
                    f"`grads` and `trainable_variables` must have the same length. "
                    f"Received: {len(grads)} gradients and {len(trainable_variables)} variables."
                )
            if not self.built:
                self.build(trainable_variables)
            self._check_variables_are_known(trainable_variables)

        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        if self.loss_scale_factor is not None:
            grads = [ops.divide(g, self.loss_scale_factor) for g in grads]
        self._apply_gradients(grads, trainable_variables)
        for variable in trainable_variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))

    def _check_variables_are_known(self, variables) -> None:
        for v in variables:
            if self._var_key(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the variables it was "
                    "built with. To update a new set of variables, create a new optimizer."
                )

    def _filter_empty_gradients(self, grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if len(kept) < len(grads):
            missing = [v.name for g, v in zip(grads, variables) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        return [g for g, _ in kept], [v for _, v in kept]

    def _apply_gradients(self, grads, trainable_variables) -> None:
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            is_update_step = ops.equal(ops.mod(ops.add(self._iterations.value, 1), steps), 0)
            accumulators = [
                self._accumulated_gradients[self._get_variable_index(v)]
                for v in trainable_variables
            ]
            before_vars = [v.value for v in trainable_variables]
            before_state = [v.value for v in self._variables]
            new_accumulators = [
                ops.where(is_update_step, ops.zeros_like(acc.value), ops.add(g, acc.value))
                for g, acc in zip(grads, accumulators)
            ]
            grads = [
                ops.where(is_update_step, ops.divide(ops.add(g, acc.value), float(steps)), g)
                for g, acc in zip(grads, accumulators)
            ]
            self._update(grads, trainable_variables)
            # The update ran on every step; keep it only on the last step of each group.
            for variable, old in zip(trainable_variables, before_vars):
                variable.assign(ops.where(is_update_step, variable.value, old))
            for variable, old in zip(self._variables, before_state):
                variable.assign(ops.where(is_update_step, variable.value, old))
            for accumulator, new in zip(accumulators, new_accumulators):
                accumulator.assign(new)
        else:
            self._update(grads, trainable_variables)

        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                overwrite = ops.equal(
                    ops.mod(ops.add(self.iterations, 1), self.ema_overwrite_frequency), 0
                )
                for variable, average in zip(
                    self._trainable_variables, self._model_variables_moving_average
                ):
                    variable.assign(ops.where(overwrite, average.value, variable.value))
        self._iterations.assign_add(1)

    def _update(self, grads, trainable_variables) -> None:
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(trainable_variables)
        learning_rate = self.learning_rate
        for grad, variable in zip(grads, trainable_variables):
            self.update_step(grad, variable, learning_rate)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """One update as a pure function of values: nothing is mutated.

        Args:
            optimizer_variables: values of `self.variables`, in order.
            grads: one gradient per variable the optimizer was built with.
            trainable_variables: values of those variables, in order.

        Returns:
            `(new_trainable_values, new_optimizer_values)`, two lists.
        """
        self._check_super_called()
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be built (its variables created). "
                "Build it with `optimizer.build(trainable_variables)`."
            )
        if len(optimizer_variables) != len(self._variables):
            raise ValueError(
                f"Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables ({len(self._variables)}). "
                f"Received a list of length {len(optimizer_variables)}."
            )
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                f"Argument `trainable_variables` must be a list of tensors corresponding 1:1 to the "
                f"{len(self._trainable_variables)} variables the optimizer was built with. "
                f"Received a list of length {len(trainable_variables)}."
            )
        trainable_variables, optimizer_variables = (
            list(trainable_variables),
            list(optimizer_variables),
        )
        mapping = list(zip(self._trainable_variables, trainable_variables)) + list(
            zip(self._variables, optimizer_variables)
        )
        with StatelessScope(state_mapping=mapping) as scope:
            self.apply(grads)

        def read_back(variables, previous):
            return [
                old if scope.get_current_value(v) is None else scope.get_current_value(v)
                for v, old in zip(variables, previous)
            ]

        return (
            read_back(self._trainable_variables, trainable_variables),
            read_back(self._variables, optimizer_variables),
        )

    # ---------------------------------------------- clipping and weight decay
    def _clip_by_norm(self, values, axes=None):
        l2sum = ops.sum(ops.square(values), axis=axes, keepdims=True)
        positive = ops.greater(l2sum, 0)
        # The double `where` keeps the gradient of sqrt at 0 from being NaN.
        l2sum_safe = ops.where(positive, l2sum, ops.ones_like(l2sum))
        l2norm = ops.where(positive, ops.sqrt(l2sum_safe), l2sum)
        return ops.divide(ops.multiply(values, self.clipnorm), ops.maximum(l2norm, self.clipnorm))

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [ops.clip(g, -v, v) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Leaves these variables (or those whose name contains one of `var_names`) undecayed.

        Must be called before the optimizer is built.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is built."
            )
        self._exclude_from_weight_decay = {self._var_key(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None
        )

    def _use_weight_decay(self, variable) -> bool:
        if self._var_key(variable) in self._exclude_from_weight_decay:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        return not (pattern is not None and pattern.search(variable.name) is not None)

    def _apply_weight_decay(self, variables) -> None:
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = ops.cast(self.learning_rate, variable.dtype)
                wd = ops.cast(self.weight_decay, variable.dtype)
                variable.assign(
                    ops.subtract(variable.value, ops.multiply(ops.multiply(variable.value, wd), lr))
                )

    # ------------------------------------------------------------------ EMA
    def _update_model_variables_moving_average(self, trainable_variables) -> None:
        not_first_step = ops.not_equal(self.iterations, 0)
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            momentum = ops.multiply(ops.cast(not_first_step, variable.dtype), self.ema_momentum)
            average.assign(
                ops.add(
                    ops.multiply(momentum, average.value),
                    ops.multiply(ops.subtract(1.0, momentum), variable.value),
                )
            )

    def finalize_variable_values(self, var_list) -> None:
        """Sets the variables to their moving averages when `use_ema` (else does nothing)."""
        if not self.use_ema:
            return
        var_list = list(var_list)
        if len(var_list) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The number of variables to overwrite ({len(var_list)}) does not match the number of "
                f"averages the optimizer holds ({len(self._model_variables_moving_average)})."
            )
        for variable, average in zip(var_list, self._model_variables_moving_average):
            variable.assign(average.value)

    def scale_loss(self, loss):
        """`loss * loss_scale_factor` (when set), before computing gradients."""
        if self.loss_scale_factor is not None:
            return ops.multiply(loss, self.loss_scale_factor)
        return loss

    # ---------------------------------------------------------- weights I/O
    def set_weights(self, weights) -> None:
        """Sets the optimizer's variables from a list of arrays (in `variables` order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not been built yet. "
                "Call `optimizer.build(trainable_variables)` first."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(getattr(weight, "shape", ())):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {variable.shape}, not compatible "
                    f"with the given weight of shape {tuple(getattr(weight, 'shape', ()))}."
                )
            variable.assign(weight)

    def get_weights(self) -> list:
        """The optimizer's variables as NumPy arrays."""
        return [v.numpy() for v in self._variables]

    def save_own_variables(self, store) -> None:
        """Writes the variables into `store` under "0", "1", ..."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Reads the variables from `store` (as written by `save_own_variables`)."""
        if len(store.keys()) != len(self._variables):
            message = (
                f"Skipping variable loading for optimizer {self.name!r}, because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has {len(store.keys())} variables."
            )
            if len(self._variables) <= 2:
                message += " This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        """The optimizer's hyperparameters (not its state), as Keras writes them."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.numpy())
        else:
            learning_rate = serialize_keras_object(lr)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """A new optimizer (without state) from `get_config()`'s output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


BaseOptimizer = Optimizer


def global_norm(values) -> Any:
    """The L2 norm of all the tensors together."""
    squared = [ops.sum(ops.square(v)) for v in values if v is not None]
    return ops.sqrt(ops.sum(ops.stack(squared)))


def clip_by_global_norm(values, clip_norm: float) -> list:
    """Scales all tensors by `clip_norm / max(global_norm, clip_norm)`; NaN if the norm is not finite."""
    norm = global_norm(values)
    scale = ops.multiply(clip_norm, ops.minimum(ops.divide(1.0, norm), 1.0 / clip_norm))
    # `norm - norm` is 0 for a finite norm and NaN otherwise.
    scale = ops.add(scale, ops.subtract(norm, norm))
    return [v if v is None else ops.multiply(v, scale) for v in values]
