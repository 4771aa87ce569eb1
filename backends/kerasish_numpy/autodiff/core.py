"""The tape: boxes that record primitives, the VJP table, and the iterative backward walk."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from kerasish.backend import tree
from kerasish.backend.config import floatx

__all__ = [
    "VJPS",
    "Box",
    "MissingGradientError",
    "Node",
    "defvjp",
    "defvjp_argnum",
    "nondifferentiable",
    "not_recording",
    "primitive",
    "strip",
    "value_and_grad",
]


class MissingGradientError(NotImplementedError):
    """A differentiable primitive was applied to a traced value but has no VJP for that argument."""


class _TraceState:
    """Process-wide tracing state, read on every primitive call (so: two plain attributes)."""

    __slots__ = ("depth", "floor", "next_id")

    def __init__(self) -> None:
        self.depth = 0  # how many value_and_grad calls are running their forward pass
        self.floor = 0  # boxes of traces below this id are read as constants (not_recording)
        self.next_id = 0


_state = _TraceState()


class Node:
    """One recorded primitive application: what the backward walk needs to call its VJPs.

    A leaf (an input of `value_and_grad`) has no parents. `args` holds the values
    that the primitive received, with this trace's boxes already unwrapped.
    """

    __slots__ = ("name", "ans", "args", "kwargs", "parents", "rules", "shape")

    def __init__(self, name, ans, args, kwargs, parents, rules, shape):
        self.name = name
        self.ans = ans
        self.args = args
        self.kwargs = kwargs
        self.parents = parents
        self.rules = rules
        self.shape = shape

    @classmethod
    def leaf(cls, shape: tuple) -> Node:
        return cls("<input>", None, (), {}, [], [], shape)


class Box:
    """A traced array: a value plus the node that produced it on one trace.

    Boxes exist only inside `value_and_grad`. They look like arrays to user code
    (shape, dtype, operators); the operators are attached in `primitives.py` so that
    each one goes through a recorded primitive. Converting a box to a NumPy array
    implicitly would silently lose its gradient, so `np.asarray(box)` raises; NumPy
    ufuncs and binary operators defer to the box's own operators instead
    (`__array_ufunc__ = None`).
    """

    __slots__ = ("_value", "_trace", "_node")
    __array_priority__ = 1000.0
    __array_ufunc__ = None
    __hash__ = None  # compares elementwise, as arrays do

    def __init__(self, value: Any, trace: int, node: Node) -> None:
        self._value = value
        self._trace = trace
        self._node = node

    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return len(self._value.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self._value.shape, dtype=np.int64))

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self):
        # Explicit, so that a 0-d box raises as a 0-d array does instead of iterating emptily.
        for i in range(len(self)):
            yield self[i]

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A traced value (inside value_and_grad) cannot become a NumPy array implicitly: "
            "its gradient would be lost. Use backend.to_numpy(x) to read it as a constant, "
            f"or backend operations to keep differentiating. Received: {self!r}"
        )

    def __bool__(self) -> bool:
        return bool(strip(self))

    def __float__(self) -> float:
        return float(strip(self))

    def __int__(self) -> int:
        return int(strip(self))

    def __repr__(self) -> str:
        return f"Box({strip(self)!r}, trace={self._trace})"


def strip(x: Any) -> Any:
    """The plain value inside `x`, through every level of nesting (a constant)."""
    while type(x) is Box:
        x = x._value
    return x


# ------------------------------------------------------------------ the VJP table
#: primitive name -> {argnum: vjp} where vjp(g, ans, *args, **kwargs) returns the
#: gradient for that argument, shaped like it; or, for primitives taking any number
#: of array arguments, one callable vjp(argnum, g, ans, *args, **kwargs).
VJPS: dict[str, dict[int, Callable] | Callable] = {}


def defvjp(prim: Callable, *vjps: Callable | None) -> None:
    """Registers one VJP per positional argument of `prim` (None: not differentiable)."""
    VJPS[prim.primitive_name] = {i: f for i, f in enumerate(vjps) if f is not None}


def defvjp_argnum(prim: Callable, vjp: Callable) -> None:
    """Registers a VJP that takes the argument number first (for variadic primitives)."""
    VJPS[prim.primitive_name] = vjp


def _rule(name: str, argnum: int, param_names: list[str]) -> Callable:
    rules = VJPS.get(name)
    if isinstance(rules, dict):
        rule = rules.get(argnum)
    elif rules is not None and argnum >= len(param_names) - 1 and param_names[-1].startswith("*"):
        rule = functools.partial(rules, argnum)
    else:
        rule = None
    if rule is None:
        if argnum < len(param_names) and not param_names[argnum].startswith("*"):
            arg = param_names[argnum]
        else:
            arg = f"{param_names[-1].lstrip('*')}[{argnum - len(param_names) + 1}]"
        raise MissingGradientError(
            f"Cannot differentiate the primitive {name!r} with respect to its argument "
            f"{argnum} ({arg!r}): it has no gradient rule (VJP). Register one with "
            f"autodiff.defvjp, or wrap the argument in stop_gradient."
        )
    return rule


# ------------------------------------------------------------------ primitives
def primitive(fn: Callable, name: str | None = None) -> Callable:
    """Makes `fn` (a NumPy function of arrays) a differentiable primitive.

    Outside `value_and_grad` the wrapper calls `fn` at once. Inside, positional
    arguments that are boxes of the innermost trace are unwrapped, `fn` runs on the
    values (through this wrapper again, so that boxes of outer traces are recorded on
    their own traces), and the result is boxed with a node naming the parents.
    """
    name = name or fn.__name__
    param_names = [
        ("*" if p.kind is p.VAR_POSITIONAL else "") + p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if not _state.depth:
            return fn(*args, **kwargs)
        top = -1
        for a in args:
            if type(a) is Box and a._trace > top:
                top = a._trace
        if top < 0:
            return fn(*args, **kwargs)
        if top < _state.floor:
            return fn(*[strip(a) for a in args], **kwargs)
        argvals = list(args)
        parents = []
        rules = []
        for i, a in enumerate(args):
            if type(a) is Box and a._trace == top:
                argvals[i] = a._value
                parents.append(a._node)
                rules.append(_rule(name, i, param_names))
        ans = wrapped(*argvals, **kwargs)
        node = Node(name, ans, argvals, kwargs, parents, rules, np.shape(strip(ans)))
        return Box(ans, top, node)

    wrapped.primitive_name = name
    wrapped.raw = fn
    return wrapped


def nondifferentiable(fn: Callable) -> Callable:
    """Makes `fn` a primitive with zero gradient: boxed arguments are read as constants."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if _state.depth:
            args = [strip(a) for a in args]
        return fn(*args, **kwargs)

    wrapped.primitive_name = fn.__name__
    wrapped.raw = fn
    return wrapped


class not_recording:  # noqa: N801 - used as a context manager, named like one
    """Within this block, boxes of the traces already open are read as constants.

    A `value_and_grad` started inside the block still records its own trace.
    """

    def __enter__(self) -> None:
        self._saved = _state.floor
        _state.floor = _state.next_id + 1

    def __exit__(self, *exc) -> None:
        _state.floor = self._saved


# -------------------------------------------------------------- the backward walk
def _toposort(end: Node):
    """Nodes from `end` to the leaves, each after all of its children (iterative)."""
    child_counts: dict[Node, int] = {}
    stack = [end]
    while stack:
        node = stack.pop()
        if node in child_counts:
            child_counts[node] += 1
        else:
            child_counts[node] = 1
            stack.extend(node.parents)
    ready = [end]
    while ready:
        node = ready.pop()
        yield node
        for parent in node.parents:
            if child_counts[parent] == 1:
                ready.append(parent)
            else:
                child_counts[parent] -= 1


def backward(end: Node, seed: Any) -> dict[Node, Any]:
    """Gradients of the leaves reachable from `end`, given the output gradient `seed`."""
    grads: dict[Node, Any] = {end: seed}
    # An accumulator may be added into in place only once we made it ourselves: a
    # single contribution can alias a VJP's input (add passes `g` straight through)
    # or be a read-only broadcast view.
    owned: set[Node] = set()
    leaves: dict[Node, Any] = {}
    with np.errstate(all="ignore"):  # as JAX: inf and nan propagate without warnings
        for node in _toposort(end):
            g = grads.pop(node)
            if not node.parents:
                leaves[node] = g
                continue
            for parent, rule in zip(node.parents, node.rules):
                contribution = rule(g, node.ans, *node.args, **node.kwargs)
                if np.shape(strip(contribution)) != parent.shape:
                    raise RuntimeError(
                        f"The VJP of {node.name!r} returned a gradient of shape "
                        f"{np.shape(strip(contribution))} for an argument of shape {parent.shape}."
                    )
                if parent not in grads:
                    grads[parent] = contribution
                    continue
                acc = grads[parent]
                if parent in owned and type(acc) is np.ndarray and type(contribution) is not Box:
                    acc += contribution
                else:  # a new array (or, nested, a box an outer trace records)
                    grads[parent] = acc + contribution
                    owned.add(parent)
    return leaves


# ------------------------------------------------------------------ value_and_grad
def _is_float(x: Any) -> bool:
    return np.dtype(x.dtype).kind == "f"


def value_and_grad(fn: Callable, has_aux: bool = False) -> Callable:
    """Returns `g(*args)` -> `(value, grads)` (or `((value, aux), grads)`), by the tape.

    Floating leaves of the first argument are boxed; integer and boolean leaves are
    constants and get zero gradients of their own dtype. Calls nest: a
    `value_and_grad` inside `fn` runs its own trace, and its VJPs are recorded on the
    outer one, so gradients of gradients work.
    """

    def wrapper(*args, **kwargs):
        if not args:
            raise TypeError(
                "value_and_grad: the function needs a first positional argument to differentiate."
            )
        structure = args[0]
        leaves = [_as_leaf(leaf) for leaf in tree.flatten(structure)]
        trace = _state.next_id = _state.next_id + 1
        nodes = []
        boxed = []
        for leaf in leaves:
            if _is_float(leaf):
                node = Node.leaf(np.shape(strip(leaf)))
                nodes.append(node)
                boxed.append(Box(leaf, trace, node))
            else:
                nodes.append(None)
                boxed.append(leaf)
        _state.depth += 1
        try:
            out = fn(tree.pack_sequence_as(structure, boxed), *args[1:], **kwargs)
        finally:
            _state.depth -= 1
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise ValueError(
                    "With has_aux=True the function must return a pair (value, aux). "
                    f"Received: {type(out).__name__}"
                )
            value, aux = out
        else:
            value, aux = out, None
        if np.shape(strip(value)) != ():
            raise ValueError(
                "value_and_grad: the function must return a scalar (shape ()). "
                f"Received shape: {np.shape(strip(value))}"
            )
        if not _is_float(np.asarray(strip(value))):
            raise ValueError(
                f"value_and_grad: the value must be floating. Received dtype: {np.asarray(strip(value)).dtype}"
            )
        if type(value) is Box and value._trace == trace:
            seed = np.ones((), dtype=np.asarray(strip(value)).dtype)
            leaf_grads = backward(value._node, seed)
            value = value._value
        else:  # the value does not depend on the argument
            leaf_grads = {}
        grads = [_leaf_grad(leaf, node, leaf_grads) for leaf, node in zip(leaves, nodes)]
        grads = tree.pack_sequence_as(structure, grads)
        if has_aux:
            aux = tree.map_structure(lambda a: _unbox_trace(a, trace), aux)
            return (value, aux), grads
        return value, grads

    return wrapper


def _as_leaf(x: Any) -> Any:
    """An argument leaf as an array; Python numbers get the default dtypes."""
    if type(x) is Box or type(x) is np.ndarray:
        return x
    if isinstance(x, bool):
        return np.asarray(x)
    if isinstance(x, int):
        return np.asarray(x, dtype=np.int32)
    if isinstance(x, float):
        return np.asarray(x, dtype=floatx())
    return np.asarray(x)


def _unbox_trace(x: Any, trace: int) -> Any:
    return x._value if type(x) is Box and x._trace == trace else x


def _leaf_grad(leaf: Any, node: Node | None, leaf_grads: dict) -> Any:
    dtype = leaf.dtype
    g = leaf_grads.get(node) if node is not None else None
    if g is None:
        return np.zeros(np.shape(strip(leaf)), dtype=dtype)
    if type(g) is Box:  # nested: a gradient that an outer trace differentiates
        return g if g.dtype == dtype else g.astype(np.dtype(dtype).name)
    # A copy, so that the caller owns its gradients (a VJP may return an input as is).
    return np.array(g, dtype=dtype)
