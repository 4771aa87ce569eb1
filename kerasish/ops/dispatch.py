"""How a `kerasish.ops` function reaches the active backend, or records itself symbolically."""

from __future__ import annotations

import functools

import kerasish.backend as kb
from kerasish.backend import tree
from kerasish.ops.symbolic import KerasTensor


def _has_symbolic(args, kwargs) -> bool:
    # Fast path first: ops are called per step in eager code, so avoid a full flatten.
    for a in args:
        if isinstance(a, KerasTensor):
            return True
        if isinstance(a, (list, tuple, dict)):
            if any(isinstance(leaf, KerasTensor) for leaf in tree.flatten(a)):
                return True
    for a in kwargs.values():
        if isinstance(a, KerasTensor):
            return True
    return False


def symbolic_aware(fn):
    """Makes `fn` record a graph node when any argument is a KerasTensor."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _has_symbolic(args, kwargs):
            from kerasish.ops.operation import FunctionOperation

            return FunctionOperation(fn, fn.__name__)(*args, **kwargs)
        return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn
    return wrapper


def value(x):
    """A Variable's current value, or `x` itself."""
    from kerasish.variables import Variable

    return x.value if isinstance(x, Variable) else x


def backend_and_values(*xs):
    """(active backend, each argument with Variables replaced by their values)."""
    return (kb.get(), *(value(x) for x in xs))


def override(b, name):
    """The backend's own implementation of composite `name`, or None."""
    return b.overrides.get(name) if b.overrides else None
