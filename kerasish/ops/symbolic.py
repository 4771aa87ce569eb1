"""Symbolic tensors (`KerasTensor`) and shape inference with unknown dimensions."""

from __future__ import annotations

import threading
from collections.abc import Callable

import kerasish.backend as kb
from kerasish.backend import tree
from kerasish.backend.base import TensorSpec
from kerasish.backend.dtypes import standardize_dtype

_inference = threading.local()


def in_shape_inference() -> bool:
    """Whether code is running inside `compute_output_spec` (values are placeholders)."""
    return getattr(_inference, "depth", 0) > 0


# Two sizes that stand in for an unknown dimension: a dimension of the output that
# differs between the two runs depends on the unknown one and stays unknown.
_PROBE_SIZES = (83, 89)


class KerasTensor:
    """A symbolic tensor: a shape (with `None` for unknown sizes) and a dtype.

    `Input` returns one; calling layers and `kerasish.ops` on them infers the output's
    shape and records the call, which is how Functional models and Sequential models
    with a known input are built. `_keras_history` is `(operation, node_index,
    tensor_index)` of the call that produced it.
    """

    __array_priority__ = 200

    def __init__(self, shape, dtype="float32", sparse: bool = False, name: str | None = None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.name = name
        self._keras_history = None
        self._keras_mask = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}{name}>"

    def __array__(self, *args, **kwargs):
        raise ValueError(
            "A KerasTensor is symbolic: it is a placeholder for a shape and a dtype and holds no "
            "value, so it cannot be converted to a NumPy array. It is used to build Functional "
            "models; call the model on real data to get values."
        )

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"len() of a KerasTensor of unknown leading size: shape={self.shape}")
        return self.shape[0]

    def __iter__(self):
        raise TypeError(f"A symbolic KerasTensor cannot be iterated. Received: {self!r}")

    def __getitem__(self, key):
        from kerasish import ops

        return ops.get_item(self, key)

    def _binary(name, reflected=False):  # noqa: N805 - builds methods at class creation
        def method(self, other):
            from kerasish import ops

            fn = getattr(ops, name)
            return fn(other, self) if reflected else fn(self, other)

        return method

    __add__ = _binary("add")
    __radd__ = _binary("add", True)
    __sub__ = _binary("subtract")
    __rsub__ = _binary("subtract", True)
    __mul__ = _binary("multiply")
    __rmul__ = _binary("multiply", True)
    __truediv__ = _binary("divide")
    __rtruediv__ = _binary("divide", True)
    __floordiv__ = _binary("floor_divide")
    __rfloordiv__ = _binary("floor_divide", True)
    __mod__ = _binary("mod")
    __rmod__ = _binary("mod", True)
    __pow__ = _binary("power")
    __rpow__ = _binary("power", True)
    __matmul__ = _binary("matmul")
    __rmatmul__ = _binary("matmul", True)
    __lt__ = _binary("less")
    __le__ = _binary("less_equal")
    __gt__ = _binary("greater")
    __ge__ = _binary("greater_equal")
    __and__ = _binary("logical_and")
    __or__ = _binary("logical_or")
    del _binary

    def __neg__(self):
        from kerasish import ops

        return ops.negative(self)

    def __abs__(self):
        from kerasish import ops

        return ops.abs(self)

    __hash__ = object.__hash__


def is_keras_tensor(x) -> bool:
    """Whether `x` is a symbolic `KerasTensor`."""
    return isinstance(x, KerasTensor)


def any_symbolic(args, kwargs=None) -> bool:
    """Whether a KerasTensor is among the arguments (searched in nested containers)."""
    for leaf in tree.flatten(args):
        if isinstance(leaf, KerasTensor):
            return True
    if kwargs:
        for leaf in tree.flatten(kwargs):
            if isinstance(leaf, KerasTensor):
                return True
    return False


def compute_output_spec(fn: Callable, *args, **kwargs):
    """Runs `fn(*args, **kwargs)` abstractly; KerasTensor leaves stand for inputs.

    Returns `fn`'s output structure with each tensor replaced by a KerasTensor (without
    history). Unknown input dimensions are resolved by running at two sizes. Any
    variable assignment inside `fn` is discarded.
    """
    from kerasish.variables import StatelessScope

    backend = kb.get()
    structure = (args, kwargs)
    leaves = tree.flatten(structure)
    positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, KerasTensor)]
    has_unknown = any(d is None for i in positions for d in leaves[i].shape)

    def run(size: int):
        specs = [
            TensorSpec(tuple(size if d is None else d for d in leaves[i].shape), leaves[i].dtype)
            for i in positions
        ]

        def concrete(*values):
            filled = list(leaves)
            for i, value in zip(positions, values):
                filled[i] = value
            a, k = tree.pack_sequence_as(structure, filled)
            return fn(*a, **k)

        _inference.depth = getattr(_inference, "depth", 0) + 1
        try:
            with StatelessScope():
                return backend.compute_output_spec(concrete, *specs)
        finally:
            _inference.depth -= 1

    first = run(_PROBE_SIZES[0])
    if not has_unknown:
        return tree.map_structure(_to_keras_tensor, first)
    second = run(_PROBE_SIZES[1])

    def merge(a, b):
        if not isinstance(a, TensorSpec):
            return a
        shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, a.dtype)

    return tree.map_structure(merge, first, second)


def _to_keras_tensor(spec):
    if isinstance(spec, TensorSpec):
        return KerasTensor(spec.shape, spec.dtype)
    return spec
