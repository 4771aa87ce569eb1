"""NumPy-like operations (`keras.ops` names), dispatched to the active backend."""

from __future__ import annotations

import math

import numpy as np

import kerasish.backend as kb
from kerasish.backend.dtypes import is_float, result_dtype, standardize_dtype
from kerasish.ops.dispatch import symbolic_aware, value
from kerasish.ops.symbolic import KerasTensor


def _b():
    return kb.get()


def _v(x):
    return value(x)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(a % ndim for a in axis)


# ------------------------------------------------------------------ conversion
def convert_to_tensor(x, dtype=None, sparse=None):
    """`x` as a tensor of the active backend."""
    if isinstance(x, KerasTensor):
        return x if dtype is None else cast(x, dtype)
    return _b().convert_to_tensor(_v(x), dtype=None if dtype is None else standardize_dtype(dtype))


def convert_to_numpy(x):
    """`x` as a NumPy array (on the host)."""
    return np.asarray(_b().to_numpy(_v(x)))


def is_tensor(x) -> bool:
    """Whether `x` is a tensor of the active backend."""
    return _b().is_tensor(x)


def shape(x) -> tuple:
    """The shape of `x` as a tuple (with None for unknown sizes of symbolic tensors)."""
    if isinstance(x, KerasTensor):
        return x.shape
    x = _v(x)
    if hasattr(x, "shape") and not isinstance(x, (list, tuple)):
        return tuple(x.shape)
    return _b().shape(convert_to_tensor(x))


def ndim(x) -> int:
    """The number of dimensions of `x`."""
    return len(shape(x))


def size(x) -> int:
    """The number of elements of `x`."""
    return int(np.prod(shape(x), dtype=np.int64))


def dtype(x) -> str:
    """The standard dtype name of `x` ("float32", ...), also of a KerasTensor."""
    if isinstance(x, KerasTensor):
        return x.dtype
    x = _v(x)
    if hasattr(x, "dtype"):
        return standardize_dtype(x.dtype)
    return _b().dtype(convert_to_tensor(x))


_dtype_of = dtype


@symbolic_aware
def cast(x, dtype):
    """`x` converted to `dtype`."""
    return _b().cast(_v(x), standardize_dtype(dtype))


# ------------------------------------------------------------------- creation
def zeros(shape, dtype=None):
    """A tensor of `shape` filled with zeros."""
    return _b().zeros(tuple(shape) if not isinstance(shape, int) else (shape,), standardize_dtype(dtype))


def ones(shape, dtype=None):
    """A tensor of `shape` filled with ones."""
    return _b().ones(tuple(shape) if not isinstance(shape, int) else (shape,), standardize_dtype(dtype))


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value`."""
    shape = tuple(shape) if not isinstance(shape, int) else (shape,)
    if dtype is None:
        dtype = kb.floatx() if isinstance(fill_value, float) else None
    return _b().full(shape, fill_value, None if dtype is None else standardize_dtype(dtype))


@symbolic_aware
def zeros_like(x, dtype=None):
    """A tensor of zeros shaped like `x`."""
    return zeros(shape(x), dtype or _dtype_of(x))


@symbolic_aware
def ones_like(x, dtype=None):
    """A tensor of ones shaped like `x`."""
    return ones(shape(x), dtype or _dtype_of(x))


@symbolic_aware
def full_like(x, fill_value, dtype=None):
    """A tensor shaped like `x`, filled with `fill_value`."""
    return full(shape(x), fill_value, dtype or _dtype_of(x))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in `[start, stop)`, as `np.arange`."""
    return _b().arange(start, stop, step, None if dtype is None else standardize_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's argument names
    """A 2-D tensor with ones on the `k`-th diagonal and zeros elsewhere, as `np.eye`."""
    if k != 0:
        n_cols = N if M is None else M
        return convert_to_tensor(np.eye(N, n_cols, k), dtype=dtype or kb.floatx())
    return _b().eye(N, M, standardize_dtype(dtype))


def identity(n, dtype=None):
    """The `n` x `n` identity matrix."""
    return eye(n, dtype=dtype)


# ------------------------------------------------------------ elementwise math
def _unary(name, doc):
    def fn(x):
        return getattr(_b(), name)(_v(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return symbolic_aware(fn)


negative = _unary("negative", "Elementwise -x.")
exp = _unary("exp", "Elementwise e**x.")
log = _unary("log", "Elementwise natural logarithm.")
log1p = _unary("log1p", "Elementwise log(1 + x), accurate for small x.")
expm1 = _unary("expm1", "Elementwise exp(x) - 1, accurate for small x.")
sqrt = _unary("sqrt", "Elementwise square root.")
tanh = _unary("tanh", "Elementwise hyperbolic tangent.")
sin = _unary("sin", "Elementwise sine.")
cos = _unary("cos", "Elementwise cosine.")
abs = _unary("abs", "Elementwise absolute value.")  # noqa: A001 - Keras's name
erf = _unary("erf", "Elementwise Gauss error function.")
sign = _unary("sign", "Elementwise sign (-1, 0 or 1).")
floor = _unary("floor", "Elementwise floor.")
ceil = _unary("ceil", "Elementwise ceiling.")
isnan = _unary("isnan", "Elementwise test for NaN.")
isinf = _unary("isinf", "Elementwise test for +/-inf.")
isfinite = _unary("isfinite", "Elementwise test for finite values.")
logical_not = _unary("logical_not", "Elementwise logical not.")
absolute = abs


@symbolic_aware
def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Rounds half to even, to `decimals` places."""
    b = _b()
    x = _v(x)
    if decimals == 0:
        return b.round(x)
    factor = 10.0**decimals
    return b.divide(b.round(b.multiply(x, factor)), factor)


@symbolic_aware
def square(x):
    """x * x, elementwise."""
    x = _v(x)
    return _b().multiply(x, x)


@symbolic_aware
def reciprocal(x):
    """1 / x, elementwise."""
    return _b().divide(1.0, _v(x))


@symbolic_aware
def log2(x):
    """Base-2 logarithm, elementwise."""
    return _b().divide(_b().log(_v(x)), math.log(2.0))


@symbolic_aware
def log10(x):
    """Base-10 logarithm, elementwise."""
    return _b().divide(_b().log(_v(x)), math.log(10.0))


def _binary(name, doc):
    def fn(x1, x2):
        return getattr(_b(), name)(_v(x1), _v(x2))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return symbolic_aware(fn)


add = _binary("add", "Elementwise x1 + x2 (broadcasting).")
subtract = _binary("subtract", "Elementwise x1 - x2 (broadcasting).")
multiply = _binary("multiply", "Elementwise x1 * x2 (broadcasting).")
divide = _binary("divide", "Elementwise true division x1 / x2 (broadcasting).")
power = _binary("power", "Elementwise x1 ** x2 (broadcasting).")
maximum = _binary("maximum", "Elementwise maximum (broadcasting).")
minimum = _binary("minimum", "Elementwise minimum (broadcasting).")
floor_divide = _binary("floor_divide", "Elementwise x1 // x2.")
mod = _binary("mod", "Elementwise remainder x1 % x2.")
equal = _binary("equal", "Elementwise x1 == x2.")
not_equal = _binary("not_equal", "Elementwise x1 != x2.")
less = _binary("less", "Elementwise x1 < x2.")
less_equal = _binary("less_equal", "Elementwise x1 <= x2.")
greater = _binary("greater", "Elementwise x1 > x2.")
greater_equal = _binary("greater_equal", "Elementwise x1 >= x2.")
logical_and = _binary("logical_and", "Elementwise logical and.")
logical_or = _binary("logical_or", "Elementwise logical or.")
true_divide = divide


@symbolic_aware
def where(condition, x1=None, x2=None):
    """Elementwise choice between `x1` (where `condition`) and `x2`."""
    if x1 is None or x2 is None:
        raise ValueError("`where` needs both `x1` and `x2` (the one-argument form is not supported).")
    return _b().where(_v(condition), _v(x1), _v(x2))


@symbolic_aware
def divide_no_nan(x1, x2):
    """`x1 / x2`, and 0 wherever `x2` is 0 (with a finite gradient there too)."""
    b = _b()
    x1, x2 = _v(x1), _v(x2)
    zero = b.equal(x2, 0)
    safe = b.where(zero, b.ones((), b.dtype(x2)) if hasattr(x2, "dtype") else 1.0, x2)
    quotient = b.divide(x1, safe)
    return b.where(zero, b.zeros((), b.dtype(quotient)), quotient)


@symbolic_aware
def clip(x, x_min, x_max):
    """Elementwise clip of `x` into [x_min, x_max]."""
    b = _b()
    return b.minimum(b.maximum(_v(x), x_min), x_max)


# ------------------------------------------------------------------ reductions
@symbolic_aware
def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Sum of the elements along `axis` (of all of them when None)."""
    return _b().sum(_v(x), axis=axis, keepdims=keepdims)


@symbolic_aware
def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """The largest element along `axis` (at least `initial`, when given)."""
    out = _b().max(_v(x), axis=axis, keepdims=keepdims)
    return out if initial is None else _b().maximum(out, initial)


@symbolic_aware
def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras's name
    """The smallest element along `axis` (at most `initial`, when given)."""
    out = _b().min(_v(x), axis=axis, keepdims=keepdims)
    return out if initial is None else _b().minimum(out, initial)


amax = max
amin = min


@symbolic_aware
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean; integer inputs give floatx."""
    b = _b()
    x = _v(x)
    x_shape = b.shape(x)
    count = 1
    for a in _axes(axis, len(x_shape)):
        count *= x_shape[a]
    if not is_float(b.dtype(x)):
        x = b.cast(x, kb.floatx())
    return b.divide(b.sum(x, axis=axis, keepdims=keepdims), float(count))


@symbolic_aware
def var(x, axis=None, keepdims=False):
    """Variance (population: divides by N)."""
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


@symbolic_aware
def std(x, axis=None, keepdims=False):
    """Standard deviation along `axis` (over all elements when None)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


@symbolic_aware
def argmax(x, axis=None, keepdims=False):
    """The index of the largest element along `axis`, as `np.argmax` (int32)."""
    return _b().argmax(_v(x), axis=axis, keepdims=keepdims)


@symbolic_aware
def argmin(x, axis=None, keepdims=False):
    """The index of the smallest element along `axis`, as `np.argmin` (int32)."""
    return _b().argmin(_v(x), axis=axis, keepdims=keepdims)


@symbolic_aware
def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Whether any element is true along `axis` (over all elements when None)."""
    return _b().any(_v(x), axis=axis, keepdims=keepdims)


@symbolic_aware
def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    """Whether all elements are true along `axis` (over all elements when None)."""
    return _b().all(_v(x), axis=axis, keepdims=keepdims)


@symbolic_aware
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along `axis` (of the flattened tensor when None)."""
    x = _v(x)
    if axis is None:
        x = _b().reshape(x, (-1,))
        axis = 0
    out = _b().cumsum(x, axis=axis)
    return out if dtype is None else cast(out, dtype)


@symbolic_aware
def count_nonzero(x, axis=None):
    """The number of non-zero elements along `axis` (over all elements when None)."""
    return _b().sum(_b().cast(_b().not_equal(_v(x), 0), "int32"), axis=axis)


@symbolic_aware
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """The Euclidean (Frobenius) norm over `axis` (all axes when None)."""
    if ord not in (None, 2, "fro", "euclidean"):
        raise ValueError(f"`norm` supports the Euclidean norm only. Received: ord={ord!r}")
    return sqrt(sum(square(x), axis=axis, keepdims=keepdims))


# --------------------------------------------------------------------- shapes
@symbolic_aware
def reshape(x, newshape):
    """`x` with a new shape (one dimension may be -1 or None: inferred)."""
    if isinstance(newshape, int):
        newshape = (newshape,)
    return _b().reshape(_v(x), tuple(-1 if d is None else int(d) for d in newshape))


@symbolic_aware
def transpose(x, axes=None):
    """`x` with its axes permuted (reversed when `axes` is None)."""
    return _b().transpose(_v(x), None if axes is None else tuple(axes))


@symbolic_aware
def expand_dims(x, axis):
    """`x` with a new axis of size 1 at `axis` (or at each of several axes)."""
    x = _v(x)
    s = list(_b().shape(x))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = len(s) + len(axes)
    for a in sorted(a % out_ndim for a in axes):
        s.insert(a, 1)
    return _b().reshape(x, tuple(s))


@symbolic_aware
def squeeze(x, axis=None):
    """`x` without its axes of size 1 (or without the given `axis` only)."""
    x = _v(x)
    s = _b().shape(x)
    if axis is None:
        drop = {i for i, d in enumerate(s) if d == 1}
    else:
        drop = set(_axes(axis, len(s)))
        bad = [a for a in drop if s[a] != 1]
        if bad:
            raise ValueError(f"Cannot squeeze axis {bad[0]} of size {s[bad[0]]}: only size-1 axes. Shape: {s}")
    return _b().reshape(x, tuple(d for i, d in enumerate(s) if i not in drop))


@symbolic_aware
def concatenate(xs, axis=0):
    """Joins a sequence of tensors along an existing `axis`."""
    return _b().concatenate([_v(x) for x in xs], axis=axis)


@symbolic_aware
def stack(x, axis=0):
    """Joins a sequence of tensors along a new `axis`."""
    return _b().concatenate([expand_dims(t, axis) for t in x], axis=axis)


@symbolic_aware
def split(x, indices_or_sections, axis=0):
    """Splits into equal sections (an int) or at the given indices (a list)."""
    x = _v(x)
    length = _b().shape(x)[axis]
    if isinstance(indices_or_sections, int):
        if length % indices_or_sections:
            raise ValueError(
                f"Cannot split an axis of size {length} into {indices_or_sections} equal sections."
            )
        step = length // indices_or_sections
        bounds = list(range(0, length + 1, step))
    else:
        bounds = [0, *indices_or_sections, length]
    ndim_x = len(_b().shape(x))
    axis = axis % ndim_x
    pieces = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        key = (slice(None),) * axis + (slice(lo, hi),)
        pieces.append(_b().getitem(x, key))
    return pieces


@symbolic_aware
def get_item(x, key):
    """`x[key]` for a static key (ints, slices, None, Ellipsis) or one integer array."""
    key = tuple(_v(k) for k in key) if isinstance(key, tuple) else _v(key)
    return _b().getitem(_v(x), key)


@symbolic_aware
def take(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (of the flattened tensor when None), as `np.take`."""
    return _b().take(_v(x), _v(indices), axis=axis)


@symbolic_aware
def take_along_axis(x, indices, axis=None):
    """Elements of `x` picked by `indices` along `axis`, as `np.take_along_axis`."""
    x = _v(x)
    if axis is None:
        x = _b().reshape(x, (-1,))
        axis = 0
    return _b().take_along_axis(x, _v(indices), axis=axis)


@symbolic_aware
def broadcast_to(x, shape):
    """`x` broadcast to `shape`, as `np.broadcast_to`."""
    return _b().broadcast_to(_v(x), tuple(shape))


@symbolic_aware
def tile(x, repeats):
    """Repeats `x` along each axis (`repeats` per axis), as `np.tile`."""
    b = _b()
    x = _v(x)
    repeats = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    s = b.shape(x)
    if len(repeats) < len(s):
        repeats = (1,) * (len(s) - len(repeats)) + repeats
    s = (1,) * (len(repeats) - len(s)) + tuple(s)
    x = b.reshape(x, s)
    expanded = []
    for r, d in zip(repeats, s):
        expanded += [r, d]
    x = b.reshape(x, tuple(v for d in s for v in (1, d)))
    x = b.broadcast_to(x, tuple(expanded))
    return b.reshape(x, tuple(r * d for r, d in zip(repeats, s)))


@symbolic_aware
def repeat(x, repeats, axis=None):
    """Repeats each element `repeats` (an int) times along `axis`."""
    b = _b()
    x = _v(x)
    if axis is None:
        x = b.reshape(x, (-1,))
        axis = 0
    if not isinstance(repeats, int):
        raise ValueError(f"`repeat` takes an integer `repeats`. Received: repeats={repeats!r}")
    s = b.shape(x)
    axis = axis % len(s)
    x = b.reshape(x, s[: axis + 1] + (1,) + s[axis + 1 :])
    x = b.broadcast_to(x, s[: axis + 1] + (repeats,) + s[axis + 1 :])
    return b.reshape(x, s[:axis] + (s[axis] * repeats,) + s[axis + 1 :])


@symbolic_aware
def pad(x, pad_width, mode="constant", constant_values=None):
    """`x` padded with `constant_values` (0 by default); only `mode="constant"`."""
    if mode != "constant":
        raise ValueError(f"`pad` supports mode='constant'. Received: mode={mode!r}")
    x = _v(x)
    n = len(_b().shape(x))
    pad_width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (n, 2))
    return _b().pad(x, [tuple(int(v) for v in p) for p in pad_width], constant_values or 0)


@symbolic_aware
def flip(x, axis=None):
    """`x` with the order of its elements reversed along `axis` (all axes when None)."""
    return _b().flip(_v(x), axis=axis)


# -------------------------------------------------------------- linear algebra
@symbolic_aware
def matmul(x1, x2):
    """Matrix product, as `np.matmul` (batched over leading axes)."""
    return _b().matmul(_v(x1), _v(x2))


@symbolic_aware
def dot(x1, x2):
    """As `np.dot`: products over the last axis of x1 and the second-to-last of x2."""
    x1, x2 = _v(x1), _v(x2)
    b = _b()
    if len(b.shape(x1)) == 0 or len(b.shape(x2)) == 0:
        return b.multiply(x1, x2)
    if len(b.shape(x2)) <= 2:
        return b.matmul(x1, x2)
    return tensordot(x1, x2, axes=[[len(b.shape(x1)) - 1], [len(b.shape(x2)) - 2]])


@symbolic_aware
def einsum(subscripts, *operands):
    """Einstein summation; the output subscripts are inferred when `->` is omitted."""
    subscripts = subscripts.replace(" ", "")
    if "->" not in subscripts:
        inputs = subscripts.replace(",", "")
        out = "".join(sorted(c for c in set(inputs) if inputs.count(c) == 1))
        subscripts = f"{subscripts}->{out}"
    return _b().einsum(subscripts, *[_v(o) for o in operands])


@symbolic_aware
def tensordot(x1, x2, axes=2):
    """As `np.tensordot`, through einsum."""
    x1, x2 = _v(x1), _v(x2)
    n1, n2 = len(_b().shape(x1)), len(_b().shape(x2))
    if isinstance(axes, int):
        a1, a2 = list(range(n1 - axes, n1)), list(range(axes))
    else:
        a1, a2 = ([axes[0]] if isinstance(axes[0], int) else list(axes[0])), (
            [axes[1]] if isinstance(axes[1], int) else list(axes[1])
        )
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    s1 = [next(letters) for _ in range(n1)]
    s2 = [next(letters) for _ in range(n2)]
    for i, j in zip(a1, a2):
        s2[j % n2] = s1[i % n1]
    out = [c for i, c in enumerate(s1) if i not in {a % n1 for a in a1}] + [
        c for j, c in enumerate(s2) if j not in {a % n2 for a in a2}
    ]
    return _b().einsum(f"{''.join(s1)},{''.join(s2)}->{''.join(out)}", x1, x2)


# -------------------------------------------------------------------- misc
@symbolic_aware
def stop_gradient(x):
    """`x`, seen as a constant by differentiation (its gradient is zero)."""
    return _b().stop_gradient(_v(x))


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`f(carry, x) -> (carry, y)` over the leading axis of `xs`; returns (carry, ys)."""
    return _b().scan(f, init, xs, length=length, reverse=reverse)


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`, in a form a compiling backend can trace."""
    return _b().cond(_v(pred), true_fn, false_fn)


def fori_loop(lower, upper, body_fun, init_val):
    """Runs `val = body_fun(i, val)` for i in `[lower, upper)` from `init_val`; returns `val`."""
    return _b().fori_loop(lower, upper, body_fun, init_val)


def promote_dtypes(*dtypes) -> str:
    """The dtype that values of the given dtypes combine to in arithmetic."""
    return result_dtype(*dtypes)


# ============================================================================
# Axis moves and grids (`keras.ops` names), added with the reshaping and merging
# layers. Each is written from the primitives above, so every backend has them.
# ============================================================================
def _normalize_axis(axis, ndim_, name):
    if not -ndim_ <= axis < ndim_:
        raise ValueError(f"`{name}`: axis {axis} is out of bounds for a tensor of rank {ndim_}.")
    return axis % ndim_


@symbolic_aware
def moveaxis(x, source, destination):
    """Moves axes `source` to positions `destination`; the others keep their order."""
    x = _v(x)
    n = len(_b().shape(x))
    source = (source,) if isinstance(source, int) else tuple(source)
    destination = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(source) != len(destination):
        raise ValueError(
            "`moveaxis`: `source` and `destination` must have the same number of elements. "
            f"Received: source={source}, destination={destination}"
        )
    source = tuple(_normalize_axis(a, n, "moveaxis") for a in source)
    destination = tuple(_normalize_axis(a, n, "moveaxis") for a in destination)
    order = [a for a in range(n) if a not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return _b().transpose(x, tuple(order))


@symbolic_aware
def swapaxes(x, axis1, axis2):
    """Exchanges two axes."""
    x = _v(x)
    n = len(_b().shape(x))
    order = list(range(n))
    a, b = _normalize_axis(axis1, n, "swapaxes"), _normalize_axis(axis2, n, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return _b().transpose(x, tuple(order))


@symbolic_aware
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (array bounds broadcast, as NumPy)."""
    if not isinstance(num, int) or isinstance(num, bool) or num < 0:
        raise ValueError(f"`linspace`: `num` must be a non-negative integer. Received: num={num!r}")
    b = _b()
    float_dtype = kb.floatx()
    start = b.cast(b.convert_to_tensor(_v(start)), float_dtype)
    stop = b.cast(b.convert_to_tensor(_v(stop)), float_dtype)
    bound_shape = tuple(np.broadcast_shapes(b.shape(start), b.shape(stop)))
    div = (num - 1) if endpoint else num
    delta = b.subtract(stop, start)
    steps = b.reshape(b.arange(0, num, 1, float_dtype), (num,) + (1,) * len(bound_shape))
    if div > 0:
        step = b.divide(delta, float(div))
        out = b.add(b.multiply(steps, step), start)
    else:
        # One value and no endpoint to reach: the step is undefined (NaN, as NumPy says).
        step = b.multiply(delta, float("nan"))
        out = b.add(b.multiply(steps, delta), start)
    out = b.broadcast_to(out, (num, *bound_shape))
    if endpoint and num > 1:
        # The last value is `stop` exactly, not start + (num - 1) * step (NumPy does the same).
        last = b.reshape(b.broadcast_to(stop, bound_shape), (1, *bound_shape))
        out = b.concatenate([b.getitem(out, (slice(0, num - 1),)), last], axis=0)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    if dtype is not None:
        out = b.cast(out, standardize_dtype(dtype))
    if retstep:
        return out, step
    return out


@symbolic_aware
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors; "xy" (Cartesian) or "ij" (matrix) indexing."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"`meshgrid`: `indexing` must be 'xy' or 'ij'. Received: indexing={indexing!r}")
    b = _b()
    vectors = [b.reshape(_v(convert_to_tensor(v)), (-1,)) for v in x]
    sizes = [b.shape(v)[0] for v in vectors]
    if indexing == "xy" and len(vectors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, v in enumerate(vectors):
        position = i
        if indexing == "xy" and len(vectors) >= 2 and i < 2:
            position = 1 - i
        shape = [1] * len(vectors)
        shape[position] = b.shape(v)[0]
        grids.append(b.broadcast_to(b.reshape(v, tuple(shape)), tuple(sizes)))
    return grids


@symbolic_aware
def ravel(x):
    """`x` flattened to one axis."""
    return _b().reshape(_v(x), (-1,))


@symbolic_aware
def hstack(xs):
    """Stacks along the second axis (the first for 1-D tensors), as `np.hstack`."""
    xs = [_v(x) for x in xs]
    axis = 0 if len(_b().shape(xs[0])) == 1 else 1
    return _b().concatenate(xs, axis=axis)


@symbolic_aware
def vstack(xs):
    """Stacks along the first axis, 1-D tensors becoming rows, as `np.vstack`."""
    b = _b()
    xs = [_v(x) for x in xs]
    xs = [b.reshape(x, (1, -1)) if len(b.shape(x)) <= 1 else x for x in xs]
    return b.concatenate(xs, axis=0)
