"""The NumPy primitives, each followed by its VJP in the table, and the operators of Box.

Every function here takes arrays (or Python scalars) and returns arrays. Those
wrapped with `@primitive` are recorded while `value_and_grad` traces; those wrapped
with `@nondifferentiable` have zero gradient. VJPs are written with the primitives
themselves (never raw NumPy on a gradient), so that an outer trace records them and
gradients of gradients work.

Dtype rules are NumPy 2's (Python scalars are weak), with two changes that keep
float32 models in float32, as JAX does: an integer or boolean tensor meeting a float
(tensor or Python float) becomes that float dtype, and a result that only Python
numbers decide gets the default dtypes (floatx, int32, bool).
"""

from __future__ import annotations

import builtins
import functools
import math
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerasish.backend import tree
from kerasish.backend.config import floatx
from kerasish_numpy.autodiff.core import (
    Box,
    defvjp,
    defvjp_argnum,
    nondifferentiable,
    primitive,
    strip,
)

_PY_SCALARS = (bool, int, float)


# ------------------------------------------------------------------ dtype helpers
def np_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype for a standard dtype name (or anything NumPy understands)."""
    if dtype == "bfloat16":
        raise ValueError(
            "The NumPy backend does not support bfloat16 (NumPy has no such type). "
            "Use float16 or float32, or the JAX backend. Received: dtype='bfloat16'"
        )
    return np.dtype(dtype)


def _floatx() -> np.dtype:
    return np_dtype(floatx())


def to_tensor(x: Any, dtype: Any = None) -> Any:
    """`x` as an array: Python floats become floatx, ints int32; arrays keep their dtype.

    A list or tuple holding traced values becomes a recorded `stack` of them.
    """
    if type(x) is Box:
        return x if dtype is None or x.dtype == np_dtype(dtype) else cast(x, dtype)
    try:
        if dtype is not None:
            return np.asarray(x, dtype=np_dtype(dtype))
        if isinstance(x, np.ndarray):
            return x
        if isinstance(x, bool):
            return np.asarray(x)
        if isinstance(x, int):
            return np.asarray(x, dtype=np.int32)
        if isinstance(x, float):
            return np.asarray(x, dtype=_floatx())
        array = np.asarray(x)
    except TypeError:  # Box.__array__ refuses: stack the items instead, recorded
        if not (
            isinstance(x, (list, tuple)) and builtins.any(type(v) is Box for v in tree.flatten(x))
        ):
            raise
        stacked = stack(0, *[to_tensor(item) for item in x])
        return stacked if dtype is None else cast(stacked, dtype)
    if isinstance(x, (list, tuple)):  # Python numbers: the defaults, not NumPy's 64-bit types
        if array.dtype == np.float64:
            return array.astype(_floatx())
        if array.dtype == np.int64:
            return array.astype(np.int32)
    return array


def _operand(x: Any) -> Any:
    """An array or a (weak) Python scalar."""
    if type(x) is np.ndarray or type(x) in _PY_SCALARS or isinstance(x, np.generic):
        return x
    return to_tensor(x)


def _tensor(x: Any) -> Any:
    if type(x) is np.ndarray or isinstance(x, np.generic):
        return x
    return to_tensor(x)


def _float(x: Any) -> Any:
    """`x` as a floating array: integers, booleans and Python numbers become floatx."""
    x = _tensor(x)
    return x if x.dtype.kind == "f" else x.astype(_floatx())


def _meet_scalar(t: Any, s: Any) -> Any:
    # NumPy would give float64 for int32 + 2.5 and int64 for bool + 1.
    kind = t.dtype.kind
    if type(s) is float and kind in "biu":
        return t.astype(_floatx())
    if type(s) is int and kind == "b":
        return t.astype(np.int32)
    return t


def _promote(x: Any, y: Any) -> tuple[Any, Any]:
    """The operands of a binary operation, with this module's promotion rules applied."""
    x, y = _operand(x), _operand(y)
    x_weak, y_weak = type(x) in _PY_SCALARS, type(y) in _PY_SCALARS
    if x_weak and y_weak:
        x, y = to_tensor(x), to_tensor(y)
    elif x_weak:
        return x, _meet_scalar(y, x)
    elif y_weak:
        return _meet_scalar(x, y), y
    kx, ky = x.dtype.kind, y.dtype.kind
    if kx == ky:
        return x, y
    if kx == "f" and ky in "biu":
        return x, y.astype(x.dtype)
    if ky == "f" and kx in "biu":
        return x.astype(y.dtype), y
    return x, y


def _promote_all(xs: Sequence[Any]) -> list:
    """As `_promote`, for any number of tensors (concatenate, stack, einsum)."""
    xs = [_tensor(x) for x in xs]
    float_dtypes = [x.dtype for x in xs if x.dtype.kind == "f"]
    if float_dtypes and len(float_dtypes) < len(xs):
        target = np.result_type(*float_dtypes)
        xs = [x if x.dtype.kind == "f" else x.astype(target) for x in xs]
    return xs


def _reduced_int_dtype(x: Any) -> np.dtype | None:
    """Sums of small integers and booleans accumulate in (u)int32, as JAX does (NumPy: int64)."""
    kind = x.dtype.kind
    if kind == "b" or (kind == "i" and x.dtype.itemsize < 4):
        return np.dtype(np.int32)
    if kind == "u" and x.dtype.itemsize < 4:
        return np.dtype(np.uint32)
    if kind in "iu":
        return x.dtype
    return None


def _quiet(fn):
    """Runs `fn` without NumPy's floating-point warnings: inf and nan propagate, as in JAX."""

    @functools.wraps(fn)
    def quiet(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return quiet


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        return (int(axis) % ndim,)
    return tuple(int(a) % ndim for a in axis)


def _axis_arg(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _kept_shape(shape: tuple, axis: Any) -> tuple:
    """The shape a reduction over `axis` has with keepdims=True."""
    reduced = _axes(axis, len(shape))
    return tuple(1 if i in reduced else d for i, d in enumerate(shape))


def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sums `g` over the axes that broadcasting added or stretched, so that it has `shape`.

    Every binary VJP ends with this: the gradient of a broadcast operand is the sum of
    the gradients of all the elements it was copied to.
    """
    g_shape = g.shape
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and g_shape[lead + i] != 1
    )
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return reshape(g, shape)


# ------------------------------------------------------------ elementwise: unary
@primitive
def negative(x):
    return np.negative(_tensor(x))


defvjp(negative, lambda g, ans, x: negative(g))


@primitive
@_quiet
def exp(x):
    return np.exp(_float(x))


defvjp(exp, lambda g, ans, x: multiply(g, ans))


@primitive
@_quiet
def log(x):
    return np.log(_float(x))


defvjp(log, lambda g, ans, x: divide(g, x))


@primitive
@_quiet
def log1p(x):
    return np.log1p(_float(x))


defvjp(log1p, lambda g, ans, x: divide(g, add(x, 1.0)))


@primitive
@_quiet
def expm1(x):
    return np.expm1(_float(x))


defvjp(expm1, lambda g, ans, x: multiply(g, add(ans, 1.0)))


@primitive
@_quiet
def sqrt(x):
    return np.sqrt(_float(x))


defvjp(sqrt, lambda g, ans, x: divide(g, multiply(ans, 2.0)))


@primitive
def tanh(x):
    return np.tanh(_float(x))


defvjp(tanh, lambda g, ans, x: multiply(g, subtract(1.0, multiply(ans, ans))))


@primitive
def sigmoid(x):
    # exp(-|x|) is at most 1, so neither branch overflows for large |x|.
    x = _float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


defvjp(sigmoid, lambda g, ans, x: multiply(g, multiply(ans, subtract(1.0, ans))))


@primitive
def sin(x):
    return np.sin(_float(x))


defvjp(sin, lambda g, ans, x: multiply(g, cos(x)))


@primitive
def cos(x):
    return np.cos(_float(x))


defvjp(cos, lambda g, ans, x: negative(multiply(g, sin(x))))


@primitive
def abs(x):  # noqa: A001 - the backend's name
    return np.abs(_tensor(x))


defvjp(abs, lambda g, ans, x: multiply(g, sign(x)))  # sign(0) = 0: gradient 0 at 0

# erf: NumPy has none. Below 0.5 a Taylor series (8 terms, error < 1e-10); above,
# 1 - erfc with the Chebyshev-fitted erfc of Numerical Recipes (2nd ed., `erfcc`,
# fractional error < 1.2e-7, so absolute error < 3e-8 there). Evaluated in float64.
_ERF_SERIES = [
    2.0 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(9)
]
_ERFC_COEFFS = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
]  # fmt: skip


@primitive
@_quiet
def erf(x):
    x = _float(x)
    x64 = x.astype(np.float64)
    small = np.clip(x64, -0.5, 0.5)
    small_sq = small * small
    series = np.zeros_like(small)
    for c in reversed(_ERF_SERIES):
        series = series * small_sq + c
    series *= small
    z = np.abs(x64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(t)
    for c in reversed(_ERFC_COEFFS):
        poly = poly * t + c
    erfc = t * np.exp(-z * z + poly)
    out = np.where(z < 0.5, series, np.sign(x64) * (1.0 - erfc))
    return out.astype(x.dtype)


defvjp(
    erf,
    lambda g, ans, x: multiply(
        g, multiply(2.0 / math.sqrt(math.pi), exp(negative(multiply(x, x))))
    ),
)


# ----------------------------------------------------------- elementwise: binary
@primitive
def add(x, y):
    return np.add(*_promote(x, y))


defvjp(
    add,
    lambda g, ans, x, y: unbroadcast(g, x.shape),
    lambda g, ans, x, y: unbroadcast(g, y.shape),
)


@primitive
def subtract(x, y):
    return np.subtract(*_promote(x, y))


defvjp(
    subtract,
    lambda g, ans, x, y: unbroadcast(g, x.shape),
    lambda g, ans, x, y: unbroadcast(negative(g), y.shape),
)


@primitive
def multiply(x, y):
    return np.multiply(*_promote(x, y))


defvjp(
    multiply,
    lambda g, ans, x, y: unbroadcast(multiply(g, y), x.shape),
    lambda g, ans, x, y: unbroadcast(multiply(g, x), y.shape),
)


@primitive
@_quiet
def divide(x, y):
    x, y = _promote(x, y)
    if np.result_type(x, y).kind != "f":  # integer division is true division into floatx
        x, y = _float(x), _float(y)
    return np.divide(x, y)


defvjp(
    divide,
    lambda g, ans, x, y: unbroadcast(divide(g, y), x.shape),
    lambda g, ans, x, y: unbroadcast(negative(multiply(g, divide(ans, y))), y.shape),
)


@primitive
@_quiet
def power(x, y):
    return np.power(*_promote(x, y))


def _power_vjp_x(g, ans, x, y):
    jac = multiply(y, power(x, subtract(y, 1)))
    if isinstance(y, int) or (hasattr(y, "dtype") and y.dtype.kind in "iu"):
        jac = where(equal(y, 0), 0.0, jac)  # as JAX's integer_pow: d/dx x**0 = 0, even at 0
    return unbroadcast(multiply(g, jac), x.shape)


def _power_vjp_y(g, ans, x, y):
    safe_x = where(equal(x, 0), 1.0, x)  # as JAX: the y-gradient of 0**y is 0, not nan
    return unbroadcast(multiply(g, multiply(log(safe_x), ans)), y.shape)


defvjp(power, _power_vjp_x, _power_vjp_y)


@primitive
def maximum(x, y):
    return np.maximum(*_promote(x, y))


@primitive
def minimum(x, y):
    return np.minimum(*_promote(x, y))


def _balanced_weight(ans, x, y):
    """1 where `x` alone gave `ans`, 0.5 where `x` and `y` tie, else 0 (as JAX splits ties)."""
    x_wins = equal(x, ans)
    tie = np.logical_and(x_wins, equal(y, ans))
    weight = np.where(tie, 0.5, np.where(x_wins, 1.0, 0.0))
    return weight.astype(strip(ans).dtype)


defvjp(
    maximum,
    lambda g, ans, x, y: unbroadcast(multiply(g, _balanced_weight(ans, x, y)), x.shape),
    lambda g, ans, x, y: unbroadcast(multiply(g, _balanced_weight(ans, y, x)), y.shape),
)
defvjp(
    minimum,
    lambda g, ans, x, y: unbroadcast(multiply(g, _balanced_weight(ans, x, y)), x.shape),
    lambda g, ans, x, y: unbroadcast(multiply(g, _balanced_weight(ans, y, x)), y.shape),
)


@primitive
def where(condition, x, y):
    x, y = _promote(x, y)
    return np.where(_tensor(condition), x, y)


defvjp(
    where,
    None,
    lambda g, ans, c, x, y: unbroadcast(where(c, g, 0.0), x.shape),
    lambda g, ans, c, x, y: unbroadcast(where(c, 0.0, g), y.shape),
)


# -------------------------------------------------------------------- reductions
@primitive
def sum(x, axis=None, keepdims=False):  # noqa: A001 - the backend's name
    x = _tensor(x)
    return x.sum(axis=_axis_arg(axis), keepdims=keepdims, dtype=_reduced_int_dtype(x))


def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    if not keepdims:
        g = reshape(g, _kept_shape(x.shape, axis))
    return broadcast_to(g, x.shape)


defvjp(sum, _sum_vjp)


@primitive
def max(x, axis=None, keepdims=False):  # noqa: A001 - the backend's name
    return _tensor(x).max(axis=_axis_arg(axis), keepdims=keepdims)


@primitive
def min(x, axis=None, keepdims=False):  # noqa: A001 - the backend's name
    return _tensor(x).min(axis=_axis_arg(axis), keepdims=keepdims)


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    """The gradient goes to the elements equal to the extremum, split evenly among ties."""
    kept = _kept_shape(x.shape, axis)
    if not keepdims:
        g = reshape(g, kept)
        ans = reshape(ans, kept)
    hits = equal(x, ans)
    dtype = strip(x).dtype
    weight = hits.astype(dtype) / np.sum(hits, axis=_axes(axis, len(kept)), keepdims=True).astype(
        dtype
    )
    return multiply(g, weight)


defvjp(max, _extremum_vjp)
defvjp(min, _extremum_vjp)


@primitive
def cumsum(x, axis=0):
    x = _tensor(x)
    # As JAX: integers keep their dtype, booleans count in int32 (NumPy: int64 for both).
    dtype = np.dtype(np.int32) if x.dtype.kind == "b" else x.dtype
    return np.cumsum(x, axis=axis, dtype=dtype)


defvjp(cumsum, lambda g, ans, x, axis=0: flip(cumsum(flip(g, axis), axis), axis))


# ------------------------------------------------------------------------ shapes
@primitive
def reshape(x, shape):
    return _tensor(x).reshape(tuple(shape))


defvjp(reshape, lambda g, ans, x, shape: reshape(g, x.shape))


@primitive
def transpose(x, axes=None):
    return _tensor(x).transpose(None if axes is None else tuple(axes))


def _transpose_vjp(g, ans, x, axes=None):
    return transpose(g, None if axes is None else tuple(np.argsort(axes)))


defvjp(transpose, _transpose_vjp)


@primitive
def broadcast_to(x, shape):
    return np.broadcast_to(_tensor(x), tuple(shape))


defvjp(broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x.shape))


@primitive
def concatenate(axis, *xs):
    return np.concatenate(_promote_all(xs), axis=axis)


def _concatenate_vjp(argnum, g, ans, axis, *xs):
    axis = axis % g.ndim
    start = 0
    for x in xs[: argnum - 1]:
        start += x.shape[axis]
    size = xs[argnum - 1].shape[axis]
    return getitem(g, (slice(None),) * axis + (slice(start, start + size),))


defvjp_argnum(concatenate, _concatenate_vjp)


@primitive
def stack(axis, *xs):
    return np.stack(_promote_all(xs), axis=axis)


def _stack_vjp(argnum, g, ans, axis, *xs):
    return getitem(g, (slice(None),) * (axis % g.ndim) + (argnum - 1,))


defvjp_argnum(stack, _stack_vjp)


def static_key(key: Any) -> Any:
    """An index with traced parts read as constants and lists as integer arrays."""
    if isinstance(key, tuple):
        return tuple(static_key(k) for k in key)
    key = strip(key)
    if isinstance(key, list):
        return np.asarray(key)
    return key


def _is_basic(key: Any) -> bool:
    """Whether indexing with `key` is a view (no index arrays), so no element repeats."""
    parts = key if isinstance(key, tuple) else (key,)
    # The builtins: this module's `all` and `any` are the backend's reductions.
    return builtins.all(
        k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer)) for k in parts
    ) and not builtins.any(isinstance(k, bool) for k in parts)


@primitive
def getitem(x, key):
    return _tensor(x)[static_key(key)]


defvjp(getitem, lambda g, ans, x, key: index_add(g, x.shape, key))


@primitive
def index_add(g, shape, key):
    """Zeros of `shape` with `g` added at `key` (repeated indices add up): getitem's transpose."""
    key = static_key(key)
    g = _tensor(g)
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(key):
        out[key] = g
    else:
        np.add.at(out, key, g)
    return out


defvjp(index_add, lambda gg, ans, g, shape, key: getitem(gg, key))


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Gather along `axis` (of the flattened `x` when None): `getitem` with an index array."""
    x = x if type(x) is Box else _tensor(x)
    indices = np.asarray(strip(indices))
    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    axis = axis % len(x.shape)
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
    """As `np.take_along_axis`: `getitem` with broadcast index arrays for the other axes."""
    x = _tensor(x) if type(x) is not Box else x
    indices = np.asarray(strip(indices))
    ndim = len(x.shape)
    if indices.ndim != ndim:
        raise ValueError(
            f"take_along_axis: `indices` must have as many dimensions as `x` ({ndim}). "
            f"Received: indices.shape={indices.shape}"
        )
    axis = axis % ndim
    key = []
    for d in range(ndim):
        if d == axis:
            key.append(indices)
        else:
            shape = [1] * ndim
            shape[d] = -1
            key.append(np.arange(x.shape[d]).reshape(shape))
    return getitem(x, tuple(key))


@primitive
def pad(x, pad_width, constant_values=0):
    return np.pad(_tensor(x), pad_width, mode="constant", constant_values=strip(constant_values))


def _pad_vjp(g, ans, x, pad_width, constant_values=0):
    return getitem(
        g, tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
    )


defvjp(pad, _pad_vjp)


@primitive
def flip(x, axis=None):
    return np.flip(_tensor(x), axis=_axis_arg(axis))


defvjp(flip, lambda g, ans, x, axis=None: flip(g, axis))


def _cast_floating(x, dtype):
    return _tensor(x).astype(np_dtype(dtype))


_cast_float = primitive(_cast_floating, name="cast")
defvjp(_cast_float, lambda g, ans, x, dtype: _cast_float(g, x.dtype.name))


def cast(x: Any, dtype: str) -> Any:
    """`x` as `dtype`; differentiable between floating dtypes, a constant otherwise."""
    target = np_dtype(dtype)
    if type(x) is Box:
        if x.dtype == target:
            return x
        if x.dtype.kind == "f" and target.kind == "f":
            return _cast_float(x, target.name)
        x = strip(x)
    return _tensor(x).astype(target, copy=False)


# ---------------------------------------------------------------- linear algebra
@primitive
def matmul(x, y):
    return np.matmul(*_promote(x, y))


def _matmul_operands(g, x, y):
    """x, y and g with 1-D operands made matrices, as np.matmul treats them."""
    if len(x.shape) == 1:
        x = reshape(x, (1, x.shape[0]))
        g = reshape(g, (*g.shape[:-1], 1, g.shape[-1]))
    if len(y.shape) == 1:
        y = reshape(y, (y.shape[0], 1))
        g = reshape(g, (*g.shape, 1))
    return g, x, y


def _swap_last(x):
    axes = list(range(len(x.shape)))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, axes)


def _matmul_vjp_x(g, ans, x, y):
    if len(x.shape) == 1 and len(y.shape) == 1:
        return multiply(g, y)
    g2, x2, y2 = _matmul_operands(g, x, y)
    return reshape(unbroadcast(matmul(g2, _swap_last(y2)), x2.shape), x.shape)


def _matmul_vjp_y(g, ans, x, y):
    if len(x.shape) == 1 and len(y.shape) == 1:
        return multiply(g, x)
    g2, x2, y2 = _matmul_operands(g, x, y)
    return reshape(unbroadcast(matmul(_swap_last(x2), g2), y2.shape), y.shape)


defvjp(matmul, _matmul_vjp_x, _matmul_vjp_y)


def parse_einsum(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """Input and output subscripts of an explicit einsum, with '...' spelled out in letters."""
    subscripts = subscripts.replace(" ", "")
    if "->" not in subscripts:
        raise ValueError(f"einsum needs an explicit output ('->'). Received: {subscripts!r}")
    lhs, output = subscripts.split("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise ValueError(
            f"einsum {subscripts!r} names {len(inputs)} operands. Received: {len(ndims)}"
        )
    if "..." in subscripts:
        spare = [c for c in string.ascii_letters if c not in subscripts]
        widths = [n - (len(s) - 3) if "..." in s else 0 for s, n in zip(inputs, ndims)]
        widest = np.max(widths) if widths else 0

        def spell(spec: str, width: int) -> str:
            return spec.replace("...", "".join(spare[len(spare) - width :]) if width else "")

        inputs = [spell(s, w) for s, w in zip(inputs, widths)]
        output = spell(output, int(widest))
    return inputs, output


def _einsum_explicit(subscripts, *operands):
    operands = _promote_all(operands)
    return np.einsum(subscripts, *operands, optimize=len(operands) > 1)


_einsum = primitive(_einsum_explicit, name="einsum")


def _einsum_vjp(argnum, g, ans, subscripts, *operands):
    k = argnum - 1
    inputs, output = parse_einsum(subscripts, [len(o.shape) for o in operands])
    target = inputs[k]
    _check_no_diagonal(subscripts, target, k)
    others = [s for j, s in enumerate(inputs) if j != k]
    other_operands = [o for j, o in enumerate(operands) if j != k]
    available = set(output).union(*others)
    kept = "".join(c for c in target if c in available)
    grad = _einsum(",".join([output, *others]) + "->" + kept, g, *other_operands)
    # Back to the operand's axes: constant along the indices only it had (summed in the
    # forward pass), and summed where it was broadcast (size 1 against a larger size).
    x_shape = operands[k].shape
    full = tuple(grad.shape[kept.index(c)] if c in kept else 1 for c in target)
    grad = reshape(grad, full)
    summed = tuple(i for i, (d, f) in enumerate(zip(x_shape, full)) if d == 1 and f != 1)
    if summed:
        grad = sum(grad, axis=summed, keepdims=True)
    if grad.shape != x_shape:
        grad = broadcast_to(grad, x_shape)
    return grad


defvjp_argnum(_einsum, _einsum_vjp)


def _check_no_diagonal(subscripts: str, spec: str, k: int) -> None:
    repeated = sorted({c for c in spec if spec.count(c) > 1})
    if repeated:
        raise ValueError(
            f"einsum cannot differentiate operand {k} of {subscripts!r}: its index "
            f"{repeated[0]!r} repeats (a diagonal), which the NumPy backend's gradient does not "
            f"support. Received operand subscripts: {spec!r}"
        )


def einsum(subscripts: str, *operands: Any) -> Any:
    """As `np.einsum` with an explicit output; differentiable in every operand."""
    inputs, _ = parse_einsum(subscripts, [len(np.shape(strip(o))) for o in operands])
    for k, (spec, operand) in enumerate(zip(inputs, operands)):
        if type(operand) is Box:
            _check_no_diagonal(subscripts, spec, k)
    return _einsum(subscripts.replace(" ", ""), *operands)


def stop_gradient(x: Any) -> Any:
    """`x` as a constant: the tape stops here."""
    return strip(x)


# ---------------------------------------------------------------- no gradient
@nondifferentiable
def sign(x):
    return np.sign(_tensor(x))


@nondifferentiable
def floor(x):
    x = _tensor(x)
    return np.floor(x) if x.dtype.kind == "f" else x


@nondifferentiable
def ceil(x):
    x = _tensor(x)
    return np.ceil(x) if x.dtype.kind == "f" else x


@nondifferentiable
def round(x):  # noqa: A001 - the backend's name
    return np.round(_tensor(x))


@nondifferentiable
def isnan(x):
    return np.isnan(_tensor(x))


@nondifferentiable
def isinf(x):
    return np.isinf(_tensor(x))


@nondifferentiable
def isfinite(x):
    return np.isfinite(_tensor(x))


@nondifferentiable
def logical_not(x):
    return np.logical_not(_tensor(x))


@nondifferentiable
@_quiet
def floor_divide(x, y):
    return np.floor_divide(*_promote(x, y))


@nondifferentiable
@_quiet
def mod(x, y):
    return np.mod(*_promote(x, y))


def _comparison(ufunc):
    def compare(x, y):
        return ufunc(_operand(x), _operand(y))

    compare.__name__ = compare.__qualname__ = ufunc.__name__
    return nondifferentiable(compare)


equal = _comparison(np.equal)
not_equal = _comparison(np.not_equal)
less = _comparison(np.less)
less_equal = _comparison(np.less_equal)
greater = _comparison(np.greater)
greater_equal = _comparison(np.greater_equal)
logical_and = _comparison(np.logical_and)
logical_or = _comparison(np.logical_or)


@nondifferentiable
def argmax(x, axis=None, keepdims=False):
    return np.argmax(_tensor(x), axis=axis, keepdims=keepdims).astype(np.int32)


@nondifferentiable
def argmin(x, axis=None, keepdims=False):
    return np.argmin(_tensor(x), axis=axis, keepdims=keepdims).astype(np.int32)


@nondifferentiable
def any(x, axis=None, keepdims=False):  # noqa: A001 - the backend's name
    return np.any(_tensor(x), axis=_axis_arg(axis), keepdims=keepdims)


@nondifferentiable
def all(x, axis=None, keepdims=False):  # noqa: A001 - the backend's name
    return np.all(_tensor(x), axis=_axis_arg(axis), keepdims=keepdims)


@nondifferentiable
def one_hot(indices, num_classes, dtype="float32"):
    # Out-of-range (and negative) indices match no class, so their row is all zeros.
    indices = _tensor(indices)
    return (indices[..., None] == np.arange(num_classes)).astype(np_dtype(dtype))


# ------------------------------------------------------------------ Box operators
# User code inside value_and_grad writes `x * w + b`; each operator is a recorded
# primitive, and NumPy defers to them (`ndarray + box` calls `box.__radd__`).
def _swapped(fn):
    return lambda self, other: fn(other, self)


def _method(fn):
    return lambda self, other: fn(self, other)


for _name, _fn in [
    ("add", add),
    ("sub", subtract),
    ("mul", multiply),
    ("truediv", divide),
    ("floordiv", floor_divide),
    ("mod", mod),
    ("pow", power),
    ("matmul", matmul),
]:
    setattr(Box, f"__{_name}__", _method(_fn))
    setattr(Box, f"__r{_name}__", _swapped(_fn))

for _name, _fn in [
    ("lt", less),
    ("le", less_equal),
    ("gt", greater),
    ("ge", greater_equal),
    ("eq", equal),
    ("ne", not_equal),
]:
    setattr(Box, f"__{_name}__", _method(_fn))
del _name, _fn

Box.__neg__ = negative
Box.__pos__ = lambda self: self
Box.__abs__ = abs
Box.__getitem__ = getitem
Box.T = property(lambda self: transpose(self))
Box.astype = cast
Box.reshape = lambda self, *shape: reshape(
    self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
)
