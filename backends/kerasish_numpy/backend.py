"""NumpyBackend: the kerasish backend interface on NumPy, trainable through its own tape."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kerasish.backend import tree
from kerasish.backend.base import Backend, TensorSpec
from kerasish.backend.config import floatx
from kerasish.backend.dtypes import standardize_dtype
from kerasish_numpy import convolution, rng
from kerasish_numpy.autodiff import core
from kerasish_numpy.autodiff import primitives as P
from kerasish_numpy.autodiff.core import Box, strip


def _np(dtype: Any) -> np.dtype:
    return P.np_dtype(standardize_dtype(dtype))


def _shape(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


class NumpyBackend(Backend):
    """The reference backend: plain NumPy, one CPU device, no compilation.

    Tensors are `np.ndarray`s (NumPy scalars are accepted too). Inside
    `value_and_grad` the differentiated inputs are boxed and every primitive records
    itself on a tape (see `autodiff/README.md`); outside it, each method is a NumPy
    call. Most methods are the functions of `autodiff.primitives`.
    """

    name = "numpy"
    supports_jit = False
    supports_gradient = True
    overrides: dict[str, Callable] = {}

    # ------------------------------------------------------------------ arrays
    def convert_to_tensor(self, x: Any, dtype: str | None = None) -> Any:
        return P.to_tensor(x, None if dtype is None else standardize_dtype(dtype))

    def is_tensor(self, x: Any) -> bool:
        return isinstance(x, (np.ndarray, np.generic, Box))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(strip(x))

    def shape(self, x: Any) -> tuple:
        return tuple(int(d) for d in np.shape(strip(x)))

    def dtype(self, x: Any) -> str:
        x = strip(x)
        return standardize_dtype(x.dtype if hasattr(x, "dtype") else P.to_tensor(x).dtype)

    def cast(self, x: Any, dtype: str) -> Any:
        return P.cast(x, standardize_dtype(dtype))

    def zeros(self, shape: Sequence[int], dtype: str) -> np.ndarray:
        return np.zeros(_shape(shape), dtype=_np(dtype))

    def ones(self, shape: Sequence[int], dtype: str) -> np.ndarray:
        return np.ones(_shape(shape), dtype=_np(dtype))

    def full(self, shape: Sequence[int], fill_value: Any, dtype: str | None = None) -> np.ndarray:
        fill_value = strip(fill_value)
        target = P.to_tensor(fill_value).dtype if dtype is None else _np(dtype)
        return np.full(_shape(shape), fill_value, dtype=target)

    def arange(
        self, start: Any, stop: Any = None, step: Any = 1, dtype: str | None = None
    ) -> np.ndarray:
        if stop is None:
            start, stop = 0, start
        if dtype is None:
            is_float = any(
                isinstance(v, float) or (hasattr(v, "dtype") and np.dtype(v.dtype).kind == "f")
                for v in (start, stop, step)
            )
            target = np.dtype(floatx()) if is_float else np.dtype(np.int32)
        else:
            target = _np(dtype)
        return np.arange(start, stop, step, dtype=target)

    def eye(self, n: int, m: int | None = None, dtype: str = "float32") -> np.ndarray:
        return np.eye(int(n), None if m is None else int(m), dtype=_np(dtype))

    # ------------------------------------------------------ elementwise: unary
    negative = staticmethod(P.negative)
    exp = staticmethod(P.exp)
    log = staticmethod(P.log)
    log1p = staticmethod(P.log1p)
    expm1 = staticmethod(P.expm1)
    sqrt = staticmethod(P.sqrt)
    tanh = staticmethod(P.tanh)
    sigmoid = staticmethod(P.sigmoid)
    sin = staticmethod(P.sin)
    cos = staticmethod(P.cos)
    abs = staticmethod(P.abs)
    erf = staticmethod(P.erf)
    sign = staticmethod(P.sign)
    floor = staticmethod(P.floor)
    ceil = staticmethod(P.ceil)
    round = staticmethod(P.round)
    isnan = staticmethod(P.isnan)
    isinf = staticmethod(P.isinf)
    isfinite = staticmethod(P.isfinite)
    logical_not = staticmethod(P.logical_not)

    # ----------------------------------------------------- elementwise: binary
    add = staticmethod(P.add)
    subtract = staticmethod(P.subtract)
    multiply = staticmethod(P.multiply)
    divide = staticmethod(P.divide)
    power = staticmethod(P.power)
    maximum = staticmethod(P.maximum)
    minimum = staticmethod(P.minimum)
    where = staticmethod(P.where)
    floor_divide = staticmethod(P.floor_divide)
    mod = staticmethod(P.mod)
    equal = staticmethod(P.equal)
    not_equal = staticmethod(P.not_equal)
    less = staticmethod(P.less)
    less_equal = staticmethod(P.less_equal)
    greater = staticmethod(P.greater)
    greater_equal = staticmethod(P.greater_equal)
    logical_and = staticmethod(P.logical_and)
    logical_or = staticmethod(P.logical_or)

    # -------------------------------------------------------------- reductions
    sum = staticmethod(P.sum)
    max = staticmethod(P.max)
    min = staticmethod(P.min)
    cumsum = staticmethod(P.cumsum)
    argmax = staticmethod(P.argmax)
    argmin = staticmethod(P.argmin)
    any = staticmethod(P.any)
    all = staticmethod(P.all)

    # ------------------------------------------------------------------ shapes
    def reshape(self, x: Any, shape: Sequence[int]) -> Any:
        return P.reshape(x, _shape(shape))

    def transpose(self, x: Any, axes: Sequence[int] | None = None) -> Any:
        return P.transpose(x, None if axes is None else tuple(axes))

    def broadcast_to(self, x: Any, shape: Sequence[int]) -> Any:
        return P.broadcast_to(x, _shape(shape))

    def concatenate(self, xs: Sequence[Any], axis: int = 0) -> Any:
        return P.concatenate(axis, *xs)

    getitem = staticmethod(P.getitem)
    take = staticmethod(P.take)
    take_along_axis = staticmethod(P.take_along_axis)

    def pad(self, x: Any, pad_width: Sequence[tuple[int, int]], constant_values: float = 0) -> Any:
        return P.pad(x, tuple((int(a), int(b)) for a, b in pad_width), constant_values)

    flip = staticmethod(P.flip)

    # ---------------------------------------------------------- linear algebra
    matmul = staticmethod(P.matmul)
    einsum = staticmethod(P.einsum)

    # -------------------------------------------------------------------- misc
    def one_hot(self, indices: Any, num_classes: int, dtype: str = "float32") -> np.ndarray:
        return P.one_hot(indices, int(num_classes), standardize_dtype(dtype))

    stop_gradient = staticmethod(P.stop_gradient)

    # ------------------------------------------------------------------ random
    def random_normal(self, shape, seed, mean=0.0, stddev=1.0, dtype="float32"):
        return rng.normal(shape, seed, mean, stddev, standardize_dtype(dtype))

    def random_uniform(self, shape, seed, minval=0.0, maxval=1.0, dtype="float32"):
        return rng.uniform(shape, seed, minval, maxval, standardize_dtype(dtype))

    def random_truncated_normal(self, shape, seed, mean=0.0, stddev=1.0, dtype="float32"):
        return rng.truncated_normal(shape, seed, mean, stddev, standardize_dtype(dtype))

    def random_randint(self, shape, seed, minval, maxval, dtype="int32"):
        return rng.randint(shape, seed, minval, maxval, standardize_dtype(dtype))

    def random_categorical(self, logits, num_samples: int, seed, dtype="int32"):
        return rng.categorical(logits, num_samples, seed, standardize_dtype(dtype))

    def random_permutation(self, n: int, seed):
        return rng.permutation(n, seed)

    # ------------------------------------------------------------ control flow
    def scan(
        self,
        f: Callable,
        init: Any,
        xs: Any = None,
        length: int | None = None,
        reverse: bool = False,
    ):
        """A Python loop over the leading axis; the tape records the body's primitives."""
        xs_leaves = [leaf if type(leaf) is Box else P.to_tensor(leaf) for leaf in tree.flatten(xs)]
        if xs_leaves:
            lengths = {int(np.shape(strip(leaf))[0]) for leaf in xs_leaves}
            if len(lengths) != 1:
                raise ValueError(
                    f"scan: the leaves of `xs` have different leading sizes: {sorted(lengths)}"
                )
            n = lengths.pop()
            if length is not None and int(length) != n:
                raise ValueError(f"scan: `length` is {length} but `xs` has leading size {n}.")
        elif length is None:
            raise ValueError("scan needs `xs` or `length`. Received: xs=None, length=None")
        else:
            n = int(length)
        if n == 0:
            return init, self._empty_scan_outputs(f, init, xs, xs_leaves)
        carry = init
        ys = []
        for i in range(n - 1, -1, -1) if reverse else range(n):
            x = (
                None
                if xs is None
                else tree.pack_sequence_as(xs, [P.getitem(leaf, i) for leaf in xs_leaves])
            )
            carry, y = f(carry, x)
            ys.append(y)
        if reverse:
            ys.reverse()
        per_step = [tree.flatten(y) for y in ys]
        stacked = [P.stack(0, *[step[j] for step in per_step]) for j in range(len(per_step[0]))]
        return carry, tree.pack_sequence_as(ys[0], stacked)

    def _empty_scan_outputs(self, f, init, xs, xs_leaves):
        # With no step to run, one abstract call gives the shapes of the (empty) outputs.
        with core.not_recording():
            x = None
            if xs is not None:
                x = tree.pack_sequence_as(
                    xs, [np.zeros(leaf.shape[1:], leaf.dtype) for leaf in xs_leaves]
                )
            _, y = f(init, x)
        return tree.map_structure(
            lambda leaf: np.zeros((0, *np.shape(strip(leaf))), P.to_tensor(strip(leaf)).dtype), y
        )

    def cond(self, pred: Any, true_fn: Callable, false_fn: Callable):
        return true_fn() if bool(np.asarray(strip(pred))) else false_fn()

    def fori_loop(self, lower: int, upper: int, body_fun: Callable, init_val: Any):
        val = init_val
        for i in range(int(strip(lower)), int(strip(upper))):
            val = body_fun(i, val)
        return val

    # -------------------------------------------------------------- transforms
    def value_and_grad(self, fn: Callable, has_aux: bool = False) -> Callable:
        return core.value_and_grad(fn, has_aux=has_aux)

    def jit(
        self, fn: Callable, donate_argnums: Sequence[int] = (), static_argnums: Sequence[int] = ()
    ) -> Callable:
        """No compilation here: the returned function calls `fn`."""

        @functools.wraps(fn)
        def run(*args, **kwargs):
            return fn(*args, **kwargs)

        return run

    def compute_output_spec(self, fn: Callable, *specs):
        def concrete(leaf):
            if isinstance(leaf, TensorSpec):
                return np.zeros(_shape(leaf.shape), dtype=_np(leaf.dtype))
            return leaf

        def spec(leaf):
            if self.is_tensor(leaf):
                leaf = strip(leaf)
                return TensorSpec(
                    tuple(int(d) for d in np.shape(leaf)), standardize_dtype(leaf.dtype)
                )
            return leaf

        args = tree.map_structure(concrete, specs)
        with core.not_recording():  # closures may hold boxes: read them, record nothing
            out = fn(*args)
        return tree.map_structure(spec, out)

    # ----------------------------------------------------------------- devices
    def devices(self, device_type: str | None = None) -> list[str]:
        if device_type is None or device_type.lower() == "cpu":
            return ["cpu:0"]
        return []

    # ------------------------------------------------------------------- top-k
    def top_k(self, x: Any, k: int) -> tuple[Any, np.ndarray]:
        """Indices from a stable sort of the plain values; the values gathered from `x`.

        The gather is `take_along_axis` (a recorded `getitem`), so the tape sends the
        gradient of the values to the selected positions with no rule of its own.
        """
        plain = np.asarray(strip(x))
        n = plain.shape[-1]
        # A stable ascending sort of the reversed axis, read backwards, is descending
        # with ties in increasing index order (as jax.lax.top_k orders them).
        ascending = np.argsort(plain[..., ::-1], axis=-1, kind="stable")
        indices = (n - 1 - ascending[..., ::-1][..., : int(k)]).astype(np.int32)
        return P.take_along_axis(x if type(x) is Box else plain, indices, axis=-1), indices

    # ------------------------------------------------- convolution and pooling
    # im2col on the tape: pad, extract patches, one matmul (see convolution.py).
    conv = staticmethod(convolution.conv)
    conv_transpose = staticmethod(convolution.conv_transpose)
    max_pool = staticmethod(convolution.max_pool)
    avg_pool = staticmethod(convolution.avg_pool)
