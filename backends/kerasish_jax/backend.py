"""`JaxBackend`: every primitive of `kerasish.backend.Backend` written with jax.numpy and jax.lax."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerasish.backend import Backend, TensorSpec, floatx, standardize_dtype, tree
from kerasish_jax import convolution, distribution
from kerasish_jax._conversion import (
    PYTHON_SCALARS,
    ArrayLike,
    convert,
    float_tensor,
    jax_dtype,
    normalize_axis,
    operand,
    static_key,
    tensor,
)
from kerasish_jax.overrides import OVERRIDES

# JAX warns when it compiles a function whose donated input buffers match no output.
# That is not an error (the buffer is simply not reused) and it happens for ordinary
# train steps (an argument donated but not returned), so the `jit` wrapper silences
# exactly this message.
_UNUSED_DONATION_MESSAGE = "Some donated buffers were not usable"


# --------------------------------------------------------------- abs gradient
@jax.custom_jvp
def _abs_float(x: jax.Array) -> jax.Array:
    return jnp.abs(x)


@_abs_float.defjvp
def _abs_float_jvp(primals, tangents):
    # jnp.abs has gradient 1 at 0; the contract (and the NumPy backend) says sign(0) = 0.
    (x,), (t,) = primals, tangents
    return jnp.abs(x), jnp.sign(x) * t


# ---------------------------------------------------------------------- random
def _key(seed: ArrayLike) -> jax.Array:
    """The seed as a JAX PRNG key: a uint32 pair is used directly as a raw key."""
    seed = tensor(seed)
    if jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
        return seed
    if seed.dtype != jnp.uint32:
        seed = seed.astype(jnp.uint32)
    return seed


class JaxBackend(Backend):
    """The JAX implementation of the kerasish backend interface.

    Tensors are `jax.Array`s. Without `jax_enable_x64`, 64-bit dtypes are narrowed to
    32-bit ones (float64 -> float32, int64 -> int32) before JAX sees them.
    """

    name = "jax"
    supports_jit = True
    supports_gradient = True
    overrides: dict[str, Callable] = OVERRIDES

    # ------------------------------------------------------------------ arrays
    def convert_to_tensor(self, x: ArrayLike, dtype: str | None = None) -> jax.Array:
        return convert(x, dtype)

    def is_tensor(self, x: Any) -> bool:
        # Tracers are instances of jax.Array too.
        return isinstance(x, jax.Array)

    def to_numpy(self, x: ArrayLike) -> np.ndarray:
        if not getattr(x, "is_fully_addressable", True):
            # Parts of it live in other processes (a multi-process distribution).
            return distribution.gather_to_host(x)
        return np.asarray(x)

    def shape(self, x: ArrayLike) -> tuple:
        if hasattr(x, "shape"):
            return tuple(x.shape)
        return np.shape(x)

    def dtype(self, x: ArrayLike) -> str:
        if isinstance(x, jax.Array):
            return standardize_dtype(x.dtype)
        return standardize_dtype(tensor(x).dtype)

    def cast(self, x: ArrayLike, dtype: str) -> jax.Array:
        return convert(x, dtype)

    def zeros(self, shape: Sequence[int], dtype: str) -> jax.Array:
        return jnp.zeros(shape, dtype=jax_dtype(dtype))

    def ones(self, shape: Sequence[int], dtype: str) -> jax.Array:
        return jnp.ones(shape, dtype=jax_dtype(dtype))

    def full(self, shape: Sequence[int], fill_value: ArrayLike, dtype: str | None) -> jax.Array:
        if dtype is None:
            target = tensor(fill_value).dtype
        else:
            target = jax_dtype(dtype)
        return jnp.full(shape, fill_value, dtype=target)

    def arange(
        self,
        start: ArrayLike,
        stop: ArrayLike = None,
        step: ArrayLike = 1,
        dtype: str | None = None,
    ) -> jax.Array:
        if dtype is not None:
            target = jax_dtype(dtype)
        else:
            bounds = [v for v in (start, stop, step) if v is not None]
            if all(isinstance(v, PYTHON_SCALARS) for v in bounds):
                is_float = any(isinstance(v, float) for v in bounds)
                target = jax_dtype(floatx() if is_float else "int32")
            else:
                target = jnp.result_type(*[operand(v) for v in bounds])
        return jnp.arange(start, stop, step, dtype=target)

    def eye(self, n: int, m: int | None = None, dtype: str = "float32") -> jax.Array:
        return jnp.eye(n, m, dtype=jax_dtype(dtype))

    # ------------------------------------------------------ elementwise: unary
    def negative(self, x: ArrayLike) -> jax.Array:
        return jnp.negative(tensor(x))

    def exp(self, x: ArrayLike) -> jax.Array:
        return jnp.exp(float_tensor(x))

    def log(self, x: ArrayLike) -> jax.Array:
        return jnp.log(float_tensor(x))

    def log1p(self, x: ArrayLike) -> jax.Array:
        return jnp.log1p(float_tensor(x))

    def expm1(self, x: ArrayLike) -> jax.Array:
        return jnp.expm1(float_tensor(x))

    def sqrt(self, x: ArrayLike) -> jax.Array:
        return jnp.sqrt(float_tensor(x))

    def tanh(self, x: ArrayLike) -> jax.Array:
        return jnp.tanh(float_tensor(x))

    def sigmoid(self, x: ArrayLike) -> jax.Array:
        return jax.nn.sigmoid(float_tensor(x))

    def sin(self, x: ArrayLike) -> jax.Array:
        return jnp.sin(float_tensor(x))

    def cos(self, x: ArrayLike) -> jax.Array:
        return jnp.cos(float_tensor(x))

    def abs(self, x: ArrayLike) -> jax.Array:
        x = tensor(x)
        if jnp.issubdtype(x.dtype, jnp.floating):
            return _abs_float(x)
        return jnp.abs(x)

    def erf(self, x: ArrayLike) -> jax.Array:
        return jax.scipy.special.erf(float_tensor(x))

    def sign(self, x: ArrayLike) -> jax.Array:
        return jnp.sign(tensor(x))

    def floor(self, x: ArrayLike) -> jax.Array:
        return jnp.floor(tensor(x))

    def ceil(self, x: ArrayLike) -> jax.Array:
        return jnp.ceil(tensor(x))

    def round(self, x: ArrayLike) -> jax.Array:
        # jnp.round rounds half to even, as NumPy (lax.round would round away from 0).
        return jnp.round(tensor(x))

    def isnan(self, x: ArrayLike) -> jax.Array:
        return jnp.isnan(tensor(x))

    def isinf(self, x: ArrayLike) -> jax.Array:
        return jnp.isinf(tensor(x))

    def isfinite(self, x: ArrayLike) -> jax.Array:
        return jnp.isfinite(tensor(x))

    def logical_not(self, x: ArrayLike) -> jax.Array:
        return jnp.logical_not(tensor(x))

    # ----------------------------------------------------- elementwise: binary
    def add(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.add(operand(x), operand(y))

    def subtract(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.subtract(operand(x), operand(y))

    def multiply(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.multiply(operand(x), operand(y))

    def divide(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        x, y = operand(x), operand(y)
        if not any(
            isinstance(v, jax.Array) and jnp.issubdtype(v.dtype, jnp.inexact) for v in (x, y)
        ):
            # No floating tensor fixes the result type: floatx, where jnp would
            # choose float32 (or float64 with x64).
            x, y = convert(x, floatx()), convert(y, floatx())
        return jnp.true_divide(x, y)

    def power(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.power(operand(x), operand(y))

    def maximum(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        # lax.max's gradient already splits 0.5/0.5 between tied operands.
        return jnp.maximum(operand(x), operand(y))

    def minimum(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.minimum(operand(x), operand(y))

    def where(self, condition: ArrayLike, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.where(operand(condition), operand(x), operand(y))

    def floor_divide(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.floor_divide(operand(x), operand(y))

    def mod(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.mod(operand(x), operand(y))

    def equal(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.equal(operand(x), operand(y))

    def not_equal(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.not_equal(operand(x), operand(y))

    def less(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.less(operand(x), operand(y))

    def less_equal(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.less_equal(operand(x), operand(y))

    def greater(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.greater(operand(x), operand(y))

    def greater_equal(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.greater_equal(operand(x), operand(y))

    def logical_and(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.logical_and(operand(x), operand(y))

    def logical_or(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.logical_or(operand(x), operand(y))

    # -------------------------------------------------------------- reductions
    def sum(self, x: ArrayLike, axis: Any = None, keepdims: bool = False) -> jax.Array:
        return jnp.sum(tensor(x), axis=normalize_axis(axis), keepdims=keepdims)

    def max(self, x: ArrayLike, axis: Any = None, keepdims: bool = False) -> jax.Array:
        # reduce_max's gradient is already shared evenly among tied maxima.
        return jnp.max(tensor(x), axis=normalize_axis(axis), keepdims=keepdims)

    def min(self, x: ArrayLike, axis: Any = None, keepdims: bool = False) -> jax.Array:
        return jnp.min(tensor(x), axis=normalize_axis(axis), keepdims=keepdims)

    def cumsum(self, x: ArrayLike, axis: int = 0) -> jax.Array:
        return jnp.cumsum(tensor(x), axis=axis)

    def argmax(self, x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> jax.Array:
        return jnp.argmax(tensor(x), axis=axis, keepdims=keepdims)

    def argmin(self, x: ArrayLike, axis: int | None = None, keepdims: bool = False) -> jax.Array:
        return jnp.argmin(tensor(x), axis=axis, keepdims=keepdims)

    def any(self, x: ArrayLike, axis: Any = None, keepdims: bool = False) -> jax.Array:
        return jnp.any(tensor(x), axis=normalize_axis(axis), keepdims=keepdims)

    def all(self, x: ArrayLike, axis: Any = None, keepdims: bool = False) -> jax.Array:
        return jnp.all(tensor(x), axis=normalize_axis(axis), keepdims=keepdims)

    # ------------------------------------------------------------------ shapes
    def reshape(self, x: ArrayLike, shape: Sequence[int]) -> jax.Array:
        return jnp.reshape(tensor(x), tuple(shape))

    def transpose(self, x: ArrayLike, axes: Sequence[int] | None = None) -> jax.Array:
        return jnp.transpose(tensor(x), None if axes is None else tuple(axes))

    def broadcast_to(self, x: ArrayLike, shape: Sequence[int]) -> jax.Array:
        return jnp.broadcast_to(tensor(x), tuple(shape))

    def concatenate(self, xs: Sequence[ArrayLike], axis: int = 0) -> jax.Array:
        return jnp.concatenate([tensor(x) for x in xs], axis=axis)

    def getitem(self, x: ArrayLike, key: Any) -> jax.Array:
        return tensor(x)[static_key(key)]

    def take(self, x: ArrayLike, indices: ArrayLike, axis: int | None = None) -> jax.Array:
        return jnp.take(tensor(x), tensor(indices), axis=axis)

    def take_along_axis(self, x: ArrayLike, indices: ArrayLike, axis: int) -> jax.Array:
        return jnp.take_along_axis(tensor(x), tensor(indices), axis=axis)

    def pad(
        self, x: ArrayLike, pad_width: Sequence[tuple[int, int]], constant_values: float = 0
    ) -> jax.Array:
        pad_width = [tuple(pair) for pair in pad_width]
        return jnp.pad(tensor(x), pad_width, mode="constant", constant_values=constant_values)

    def flip(self, x: ArrayLike, axis: Any = None) -> jax.Array:
        return jnp.flip(tensor(x), axis=normalize_axis(axis))

    # ---------------------------------------------------------- linear algebra
    def matmul(self, x: ArrayLike, y: ArrayLike) -> jax.Array:
        return jnp.matmul(tensor(x), tensor(y))

    def einsum(self, subscripts: str, *operands: ArrayLike) -> jax.Array:
        return jnp.einsum(subscripts, *[tensor(o) for o in operands])

    # -------------------------------------------------------------------- misc
    def one_hot(self, indices: ArrayLike, num_classes: int, dtype: str = "float32") -> jax.Array:
        # jax.nn.one_hot compares against arange(num_classes), so an index outside
        # [0, num_classes) (negative ones included) matches no class: a row of zeros.
        return jax.nn.one_hot(tensor(indices), num_classes, dtype=jax_dtype(dtype))

    def stop_gradient(self, x: ArrayLike) -> jax.Array:
        return jax.lax.stop_gradient(tensor(x))

    # ------------------------------------------------------------------ random
    # The seed is used directly as a legacy raw key (as Keras 3's JAX backend does), so
    # a kerasish seed draws what the same key draws in JAX.
    def random_normal(
        self,
        shape: Sequence[int],
        seed: ArrayLike,
        mean: Any = 0.0,
        stddev: Any = 1.0,
        dtype: str = "float32",
    ) -> jax.Array:
        target = jax_dtype(dtype)
        draw = jax.random.normal(_key(seed), tuple(shape), dtype=target)
        return (draw * stddev + mean).astype(target)

    def random_uniform(
        self,
        shape: Sequence[int],
        seed: ArrayLike,
        minval: Any = 0.0,
        maxval: Any = 1.0,
        dtype: str = "float32",
    ) -> jax.Array:
        target = jax_dtype(dtype)
        return jax.random.uniform(
            _key(seed), tuple(shape), dtype=target, minval=minval, maxval=maxval
        )

    def random_truncated_normal(
        self,
        shape: Sequence[int],
        seed: ArrayLike,
        mean: Any = 0.0,
        stddev: Any = 1.0,
        dtype: str = "float32",
    ) -> jax.Array:
        target = jax_dtype(dtype)
        draw = jax.random.truncated_normal(_key(seed), -2.0, 2.0, tuple(shape), dtype=target)
        return (draw * stddev + mean).astype(target)

    def random_randint(
        self, shape: Sequence[int], seed: ArrayLike, minval: Any, maxval: Any, dtype: str = "int32"
    ) -> jax.Array:
        target = jax_dtype(dtype)
        return jax.random.randint(_key(seed), tuple(shape), minval, maxval, dtype=target)

    def random_categorical(
        self, logits: ArrayLike, num_samples: int, seed: ArrayLike, dtype: str = "int32"
    ) -> jax.Array:
        logits = float_tensor(logits)
        if logits.ndim != 2:
            raise ValueError(
                f"`logits` must be a 2-D tensor (batch, classes). Received: logits.shape={logits.shape}"
            )
        # A trailing axis of 1 lets one draw of shape (batch, num_samples) sample
        # every row num_samples times (as Keras 3 does).
        samples = jax.random.categorical(
            _key(seed), logits[..., None], axis=1, shape=(logits.shape[0], int(num_samples))
        )
        return samples.astype(jax_dtype(dtype))

    def random_permutation(self, n: int, seed: ArrayLike) -> jax.Array:
        return jax.random.permutation(_key(seed), int(n)).astype(jnp.int32)

    # ------------------------------------------------------------ control flow
    def scan(
        self,
        f: Callable,
        init: Any,
        xs: Any = None,
        length: int | None = None,
        reverse: bool = False,
    ) -> tuple[Any, Any]:
        return jax.lax.scan(f, init, xs, length=length, reverse=reverse)

    def cond(self, pred: ArrayLike, true_fn: Callable, false_fn: Callable) -> Any:
        pred = tensor(pred)
        # lax.cond refuses float predicates; callers expect NumPy's truthiness.
        if pred.dtype != jnp.bool_:
            pred = pred != 0
        return jax.lax.cond(pred, true_fn, false_fn)

    def fori_loop(self, lower: int, upper: int, body_fun: Callable, init_val: Any) -> Any:
        return jax.lax.fori_loop(lower, upper, body_fun, init_val)

    # -------------------------------------------------------------- transforms
    def value_and_grad(self, fn: Callable, has_aux: bool = False) -> Callable:
        return jax.value_and_grad(fn, argnums=0, has_aux=has_aux)

    def jit(
        self, fn: Callable, donate_argnums: Sequence[int] = (), static_argnums: Sequence[int] = ()
    ) -> Callable:
        donate_argnums = tuple(donate_argnums)
        compiled = jax.jit(fn, donate_argnums=donate_argnums, static_argnums=tuple(static_argnums))
        if not donate_argnums:
            return compiled

        # Donation is kept on every platform (CPU reuses donated buffers too); only the
        # warning about a donated buffer that no output could reuse is silenced, since
        # with warnings as errors it would abort the call that compiles. The filter is
        # applied per call (about 2 us) because the warning comes from whichever call
        # compiles, and catch_warnings restores the caller's filters afterwards. Like any
        # catch_warnings, it is not thread-safe before Python 3.14: a thread calling a
        # donating function concurrently with one changing warning filters may race.
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message=_UNUSED_DONATION_MESSAGE, category=UserWarning
                )
                return compiled(*args, **kwargs)

        call.lower = compiled.lower  # type: ignore[attr-defined]
        return call

    def compute_output_spec(self, fn: Callable, *specs: Any) -> Any:
        flat = tree.flatten(list(specs))
        is_spec = [isinstance(leaf, TensorSpec) for leaf in flat]
        abstract = [
            jax.ShapeDtypeStruct(tuple(leaf.shape), jax_dtype(leaf.dtype))
            for leaf, spec in zip(flat, is_spec)
            if spec
        ]

        # Only TensorSpec leaves become traced arguments; the others are closed over,
        # so that fn sees them as the static Python values they are.
        def concrete(*arrays: Any) -> Any:
            arrays_iter = iter(arrays)
            leaves = [next(arrays_iter) if spec else leaf for leaf, spec in zip(flat, is_spec)]
            return fn(*tree.pack_sequence_as(list(specs), leaves))

        out = jax.eval_shape(concrete, *abstract)
        return jax.tree_util.tree_map(
            lambda s: TensorSpec(tuple(int(d) for d in s.shape), standardize_dtype(s.dtype)), out
        )

    # ----------------------------------------------------------------- devices
    def devices(self, device_type: str | None = None) -> list[str]:
        if device_type is None:
            found = jax.devices()
        else:
            platform = device_type.lower()
            # JAX names CUDA and ROCm devices "gpu".
            platform = {"cuda": "gpu", "rocm": "gpu"}.get(platform, platform)
            try:
                found = jax.devices(platform)
            except RuntimeError:  # no backend for that platform in this process
                return []
        return [f"{d.platform}:{d.id}" for d in found]

    # ------------------------------------------------------------------- top-k
    def top_k(self, x: ArrayLike, k: int) -> tuple[jax.Array, jax.Array]:
        # lax.top_k is stable (ties keep the lower index first) and differentiable.
        values, indices = jax.lax.top_k(tensor(x), int(k))
        return values, indices.astype(jnp.int32)

    # ------------------------------------------------- convolution and pooling
    # One lax call each (conv_general_dilated, conv_transpose, reduce_window).
    conv = staticmethod(convolution.conv)
    conv_transpose = staticmethod(convolution.conv_transpose)
    max_pool = staticmethod(convolution.max_pool)
    avg_pool = staticmethod(convolution.avg_pool)

    # --------------------------------------------------------------- profiling
    supports_profiling = True

    def start_trace(self, log_dir: str) -> None:
        jax.profiler.start_trace(log_dir)

    def stop_trace(self) -> None:
        jax.profiler.stop_trace()

    # ------------------------------------------------------------ distribution
    supports_distribution = True
    initialize_distributed = staticmethod(distribution.initialize_distributed)
    num_processes = staticmethod(distribution.num_processes)
    process_id = staticmethod(distribution.process_id)
    broadcast_from_first_process = staticmethod(distribution.broadcast_from_first_process)
    distribute_variable = staticmethod(distribution.distribute_variable)
    distribute_tensor = staticmethod(distribution.distribute_tensor)
    distribute_data_input = staticmethod(distribution.distribute_data_input)
