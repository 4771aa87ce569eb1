"""Variables (named, mutable state) and the stateless scope that lets pure functions use them."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

import kerasish.backend as kb
from kerasish.backend.dtypes import standardize_dtype
from kerasish.distribution import distribution_lib
from kerasish.ops.symbolic import in_shape_inference
from kerasish.utils import naming

_scope_state = threading.local()


class StatelessScope:
    """Within this scope, variables read substituted values and record assignments.

    This is what makes a step pure: the trainer enters a scope that maps each
    variable to a value taken from the state it was given, runs the model, and reads
    the assigned values back out of the scope instead of mutating anything.

    Args:
        state_mapping: pairs `(variable, value)` to substitute.
    """

    def __init__(self, state_mapping=None):
        self._values: dict[int, Any] = {}
        self._assigned: dict[int, Any] = {}
        self._variables: dict[int, Variable] = {}
        for variable, value in state_mapping or ():
            if not isinstance(variable, Variable):
                raise TypeError(f"StatelessScope maps Variables to values. Received key: {variable!r}")
            self._values[id(variable)] = value
            self._variables[id(variable)] = variable

    def __enter__(self):
        stack = getattr(_scope_state, "stack", None)
        if stack is None:
            stack = _scope_state.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _scope_state.stack.pop()

    def assign(self, variable: Variable, value) -> None:
        self._values[id(variable)] = value
        self._assigned[id(variable)] = value
        self._variables[id(variable)] = variable

    def get_current_value(self, variable: Variable):
        """The substituted or assigned value, or None if the scope does not hold one."""
        return self._values.get(id(variable))

    def assigned_value(self, variable: Variable):
        return self._assigned.get(id(variable))


def get_stateless_scope() -> StatelessScope | None:
    stack = getattr(_scope_state, "stack", None)
    return stack[-1] if stack else None


def in_stateless_scope() -> bool:
    return get_stateless_scope() is not None


class Variable:
    """A named, mutable tensor owned by a layer, optimizer or metric.

    Args:
        initializer: an initializer (callable taking `shape, dtype`), its string
            name, or an initial value (array-like).
        shape: needed when `initializer` is callable.
        dtype: defaults to `floatx()`, or to the initial value's dtype.
        trainable: whether optimizers update it.
        name: the variable's name within its owner.

    The variable belongs to the backend that was active when it was created; using it
    under another raises an error (move weights between backends with `get_weights`
    and `set_weights`).
    """

    __array_priority__ = 100
    __array_ufunc__ = None  # NumPy defers to our operators instead of converting

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        name: str | None = None,
    ):
        self.name = name or naming.auto_name("variable")
        if not isinstance(self.name, str) or "/" in self.name:
            raise ValueError(f"Argument `name` must be a string without '/'. Received: name={self.name!r}")
        self.trainable = bool(trainable)
        self.autocast = autocast
        self.aggregation = aggregation
        self._path = self.name
        self._backend = kb.get()
        # As in Keras, the distribution current at creation lays the variable out; the
        # layout follows the path, which owners set after creating it ("dense/kernel").
        self._distribution = distribution_lib.distribution()
        self._layout = None
        if isinstance(initializer, str):
            from kerasish import initializers

            initializer = initializers.get(initializer)
        self._initializer = None
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    f"Variable {self.name!r}: a `shape` is needed when the initializer is callable. "
                    f"Received: initializer={initializer!r}, shape=None"
                )
            self._shape = tuple(int(d) for d in shape)
            self._dtype = standardize_dtype(dtype)
            self._value = None
            self._initializer = initializer
            self._update_layout()
            if not in_shape_inference():
                self._initialize()
            # else: created while a shape is being inferred (possibly inside a trace): the
            # value is computed on first use outside, so no traced value is ever stored.
            return
        else:
            value = initializer
            if dtype is None and not self._backend.is_tensor(value) and not isinstance(value, np.ndarray):
                value = np.asarray(value)
                dtype = kb.floatx() if np.issubdtype(value.dtype, np.floating) else value.dtype
        value = self._backend.convert_to_tensor(value, dtype=None if dtype is None else standardize_dtype(dtype))
        if shape is not None and tuple(shape) != self._backend.shape(value):
            raise ValueError(
                f"Variable {self.name!r}: initial value has shape {self._backend.shape(value)}, "
                f"expected shape={tuple(shape)}"
            )
        self._value = value
        self._shape = tuple(self._backend.shape(value))
        self._dtype = self._backend.dtype(value)
        self._update_layout()

    def _initialize(self) -> None:
        value = self._backend.convert_to_tensor(self._initializer(self._shape, dtype=self._dtype), self._dtype)
        if tuple(self._backend.shape(value)) != self._shape:
            raise ValueError(
                f"Variable {self.name!r}: the initializer returned shape {self._backend.shape(value)}, "
                f"expected {self._shape}"
            )
        self._value = self._laid_out(value)
        self._initializer = None

    # ------------------------------------------------------------- layout
    @property
    def path(self) -> str:
        """The name with its owner's ("dense/kernel"); distributions find layouts by it."""
        return self._path

    @path.setter
    def path(self, path: str) -> None:
        self._path = path
        self._update_layout()

    def _update_layout(self) -> None:
        if self._distribution is None:
            return
        layout = distribution_lib.variable_layout(self, self._distribution)
        if layout != self._layout:
            self._layout = layout
            if self._value is not None:
                self._value = self._laid_out(self._value)

    def _laid_out(self, value):
        """`value` placed as the variable's layout says (as it is, without a distribution)."""
        if self._layout is None:
            return value
        return self._backend.distribute_variable(value, self._layout)

    # ---------------------------------------------------------------- reading
    def _check_backend(self) -> kb.Backend:
        active = kb.get()
        if active is not self._backend:
            raise RuntimeError(
                f"Variable {self.path!r} was created with the {self._backend.name!r} backend and cannot "
                f"be used with the {active.name!r} backend. Rebuild the model under {active.name!r} and "
                f"move the weights with `get_weights()` / `set_weights()`."
            )
        return active

    @property
    def value(self):
        scope = get_stateless_scope()
        if scope is not None:
            value = scope.get_current_value(self)
            if value is not None:
                return value
        self._check_backend()
        if self._value is None:
            if in_shape_inference():
                return self._backend.zeros(self._shape, self._dtype)
            self._initialize()
        return self._value

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def numpy(self) -> np.ndarray:
        return np.array(self._backend.to_numpy(self.value))

    def __array__(self, dtype=None, copy=None):
        out = self.numpy()
        return out.astype(dtype) if dtype is not None else out

    # ---------------------------------------------------------------- writing
    def assign(self, value):
        backend = self._check_backend()
        value = backend.convert_to_tensor(value, dtype=self._dtype)
        if tuple(backend.shape(value)) != self._shape:
            raise ValueError(
                f"Cannot assign to variable {self.path!r}: expected shape {self._shape}, "
                f"received a value of shape {tuple(backend.shape(value))}"
            )
        scope = get_stateless_scope()
        if scope is not None:
            scope.assign(self, value)
        else:
            # Loading weights reshards them here, as the layout says.
            self._value = self._laid_out(value)
            self._initializer = None
        return value

    def assign_add(self, value):
        return self.assign(self._backend.add(self.value, value))

    def assign_sub(self, value):
        return self.assign(self._backend.subtract(self.value, value))

    def _direct_assign(self, value) -> None:
        """Sets the stored value without checks (trainers writing back final state)."""
        self._value = value

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self._shape}, dtype={self._dtype}>"

    # ------------------------------------------------------- array behaviour
    def __len__(self):
        return self._shape[0]

    def __getitem__(self, key):
        from kerasish import ops

        return ops.get_item(self.value, key)

    def _binary(name, reflected=False):  # noqa: N805 - builds methods at class creation
        def method(self, other):
            from kerasish import ops

            fn = getattr(ops, name)
            return fn(other, self.value) if reflected else fn(self.value, other)

        return method

    __add__ = _binary("add")
    __radd__ = _binary("add", True)
    __sub__ = _binary("subtract")
    __rsub__ = _binary("subtract", True)
    __mul__ = _binary("multiply")
    __rmul__ = _binary("multiply", True)
    __truediv__ = _binary("divide")
    __rtruediv__ = _binary("divide", True)
    __pow__ = _binary("power")
    __rpow__ = _binary("power", True)
    __matmul__ = _binary("matmul")
    __rmatmul__ = _binary("matmul", True)
    __lt__ = _binary("less")
    __le__ = _binary("less_equal")
    __gt__ = _binary("greater")
    __ge__ = _binary("greater_equal")
    del _binary

    def __neg__(self):
        from kerasish import ops

        return ops.negative(self.value)

    __hash__ = object.__hash__
