"""The abstract backend interface: the small set of primitives every backend implements."""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TensorSpec:
    """A shape and a dtype: what `compute_output_spec` takes and returns.

    Shapes handed to a backend are fully known (no `None`); kerasish resolves unknown
    dimensions itself (see `kerasish.ops.symbolic.compute_output_spec`). It is a leaf
    for `kerasish.backend.tree` (not a tuple).
    """

    shape: tuple
    dtype: str


class Backend(abc.ABC):
    """What a backend implements so that all of kerasish runs on it.

    Conventions every method follows:

    - A "tensor" is the backend's own array type (`np.ndarray` for NumPy, `jax.Array`
      for JAX, or a traced value while differentiating or compiling). Methods accept
      tensors, NumPy arrays and Python scalars wherever a tensor is expected.
    - Dtypes cross the interface as standard strings ("float32", "int32", "bool", ...;
      see `kerasish.backend.dtypes`). `dtype=None` means: infer as NumPy would, with
      Python floats becoming `floatx()` when no tensor fixes the type.
    - `axis` is an int, a tuple of ints, or None (all axes), as in NumPy.
    - Binary operations broadcast as NumPy does.
    - Random functions are stateless: `seed` is a uint32 tensor of shape (2,) and the
      same seed gives the same draw.
    - Every differentiable primitive must be differentiable through `value_and_grad`;
      the ones marked "no gradient" return integer or boolean results, or are
      piecewise constant, and have zero gradient.

    Capabilities are attributes, so that callers test for a feature, never for a name.
    Composite operations (softmax, crossentropies, ...) live in `kerasish.ops`; a
    backend may provide a faster one by listing it in `overrides`.
    """

    #: Registered name, e.g. "jax".
    name: str = ""
    #: Whether `jit` compiles (False: it returns the function unchanged).
    supports_jit: bool = False
    #: Whether `value_and_grad` works.
    supports_gradient: bool = True
    #: Composite ops this backend implements itself: {"softmax": fn, ...}. Each fn takes
    #: the same arguments as the `kerasish.ops` function of that name.
    overrides: dict[str, Callable] = {}

    # ------------------------------------------------------------------ arrays
    @abc.abstractmethod
    def convert_to_tensor(self, x: Any, dtype: str | None = None) -> Any:
        """Returns `x` (array-like, scalar or tensor) as a tensor, cast to `dtype` if given."""

    @abc.abstractmethod
    def is_tensor(self, x: Any) -> bool:
        """Whether `x` is this backend's tensor type (including traced values)."""

    @abc.abstractmethod
    def to_numpy(self, x: Any) -> Any:
        """Returns a host `np.ndarray` with the value of `x` (waits for the device)."""

    @abc.abstractmethod
    def shape(self, x: Any) -> tuple:
        """Static shape of `x` as a tuple of ints."""

    @abc.abstractmethod
    def dtype(self, x: Any) -> str:
        """Standard dtype name of `x`."""

    @abc.abstractmethod
    def cast(self, x: Any, dtype: str) -> Any:
        """`x` converted to `dtype`. Differentiable between floating dtypes."""

    @abc.abstractmethod
    def zeros(self, shape: Sequence[int], dtype: str) -> Any: ...

    @abc.abstractmethod
    def ones(self, shape: Sequence[int], dtype: str) -> Any: ...

    @abc.abstractmethod
    def full(self, shape: Sequence[int], fill_value: Any, dtype: str) -> Any: ...

    @abc.abstractmethod
    def arange(self, start: Any, stop: Any = None, step: Any = 1, dtype: str | None = None) -> Any: ...

    @abc.abstractmethod
    def eye(self, n: int, m: int | None = None, dtype: str = "float32") -> Any: ...

    # ------------------------------------------------------ elementwise: unary
    # Differentiable.
    @abc.abstractmethod
    def negative(self, x): ...

    @abc.abstractmethod
    def exp(self, x): ...

    @abc.abstractmethod
    def log(self, x): ...

    @abc.abstractmethod
    def log1p(self, x): ...

    @abc.abstractmethod
    def expm1(self, x): ...

    @abc.abstractmethod
    def sqrt(self, x): ...

    @abc.abstractmethod
    def tanh(self, x): ...

    @abc.abstractmethod
    def sigmoid(self, x):
        """1 / (1 + exp(-x)), computed without overflow for large |x|."""

    @abc.abstractmethod
    def sin(self, x): ...

    @abc.abstractmethod
    def cos(self, x): ...

    @abc.abstractmethod
    def abs(self, x):
        """Gradient sign(x) (0 at 0)."""

    @abc.abstractmethod
    def erf(self, x):
        """The Gauss error function, to float32 accuracy at least."""

    # No gradient.
    @abc.abstractmethod
    def sign(self, x): ...

    @abc.abstractmethod
    def floor(self, x): ...

    @abc.abstractmethod
    def ceil(self, x): ...

    @abc.abstractmethod
    def round(self, x):
        """Round half to even, as NumPy."""

    @abc.abstractmethod
    def isnan(self, x): ...

    @abc.abstractmethod
    def isinf(self, x): ...

    @abc.abstractmethod
    def isfinite(self, x): ...

    @abc.abstractmethod
    def logical_not(self, x): ...

    # ----------------------------------------------------- elementwise: binary
    # Differentiable (gradients are summed back to each operand's shape).
    @abc.abstractmethod
    def add(self, x, y): ...

    @abc.abstractmethod
    def subtract(self, x, y): ...

    @abc.abstractmethod
    def multiply(self, x, y): ...

    @abc.abstractmethod
    def divide(self, x, y):
        """True division; integer inputs give floatx."""

    @abc.abstractmethod
    def power(self, x, y): ...

    @abc.abstractmethod
    def maximum(self, x, y):
        """Where x == y the gradient is split evenly between x and y (as JAX does)."""

    @abc.abstractmethod
    def minimum(self, x, y):
        """Where x == y the gradient is split evenly between x and y (as JAX does)."""

    @abc.abstractmethod
    def where(self, condition, x, y):
        """Elementwise choice; differentiable in x and y."""

    # No gradient.
    @abc.abstractmethod
    def floor_divide(self, x, y): ...

    @abc.abstractmethod
    def mod(self, x, y): ...

    @abc.abstractmethod
    def equal(self, x, y): ...

    @abc.abstractmethod
    def not_equal(self, x, y): ...

    @abc.abstractmethod
    def less(self, x, y): ...

    @abc.abstractmethod
    def less_equal(self, x, y): ...

    @abc.abstractmethod
    def greater(self, x, y): ...

    @abc.abstractmethod
    def greater_equal(self, x, y): ...

    @abc.abstractmethod
    def logical_and(self, x, y): ...

    @abc.abstractmethod
    def logical_or(self, x, y): ...

    # -------------------------------------------------------------- reductions
    @abc.abstractmethod
    def sum(self, x, axis=None, keepdims: bool = False): ...

    @abc.abstractmethod
    def max(self, x, axis=None, keepdims: bool = False):
        """Gradient split evenly among tied maxima (as JAX does)."""

    @abc.abstractmethod
    def min(self, x, axis=None, keepdims: bool = False):
        """Gradient split evenly among tied minima (as JAX does)."""

    @abc.abstractmethod
    def cumsum(self, x, axis: int = 0): ...

    # No gradient.
    @abc.abstractmethod
    def argmax(self, x, axis: int | None = None, keepdims: bool = False): ...

    @abc.abstractmethod
    def argmin(self, x, axis: int | None = None, keepdims: bool = False): ...

    @abc.abstractmethod
    def any(self, x, axis=None, keepdims: bool = False): ...

    @abc.abstractmethod
    def all(self, x, axis=None, keepdims: bool = False): ...

    # ------------------------------------------------------------------ shapes
    @abc.abstractmethod
    def reshape(self, x, shape: Sequence[int]):
        """One entry of `shape` may be -1."""

    @abc.abstractmethod
    def transpose(self, x, axes: Sequence[int] | None = None): ...

    @abc.abstractmethod
    def broadcast_to(self, x, shape: Sequence[int]): ...

    @abc.abstractmethod
    def concatenate(self, xs: Sequence[Any], axis: int = 0): ...

    @abc.abstractmethod
    def getitem(self, x, key):
        """`x[key]` with a static key: ints, slices, None, Ellipsis, or one integer array."""

    @abc.abstractmethod
    def take(self, x, indices, axis: int | None = None):
        """Gather along `axis` (flattened when None); differentiable in x."""

    @abc.abstractmethod
    def take_along_axis(self, x, indices, axis: int):
        """As `np.take_along_axis`; differentiable in x."""

    @abc.abstractmethod
    def pad(self, x, pad_width: Sequence[tuple[int, int]], constant_values: float = 0):
        """Constant padding; `pad_width` has one (before, after) pair per axis."""

    @abc.abstractmethod
    def flip(self, x, axis=None): ...

    # ------------------------------------------------------------ linear algebra
    @abc.abstractmethod
    def matmul(self, x, y):
        """As `np.matmul`, batch dimensions broadcast."""

    @abc.abstractmethod
    def einsum(self, subscripts: str, *operands):
        """As `np.einsum` with explicit output (`->`); differentiable in every operand."""

    # ------------------------------------------------------------------- misc
    @abc.abstractmethod
    def one_hot(self, indices, num_classes: int, dtype: str = "float32"):
        """A new last axis; out-of-range indices give all zeros. No gradient."""

    @abc.abstractmethod
    def stop_gradient(self, x): ...

    # ------------------------------------------------------------------ random
    @abc.abstractmethod
    def random_normal(self, shape, seed, mean=0.0, stddev=1.0, dtype="float32"): ...

    @abc.abstractmethod
    def random_uniform(self, shape, seed, minval=0.0, maxval=1.0, dtype="float32"): ...

    @abc.abstractmethod
    def random_truncated_normal(self, shape, seed, mean=0.0, stddev=1.0, dtype="float32"):
        """Normal draws restricted to two standard deviations around the mean."""

    @abc.abstractmethod
    def random_randint(self, shape, seed, minval, maxval, dtype="int32"):
        """Integers in [minval, maxval)."""

    @abc.abstractmethod
    def random_categorical(self, logits, num_samples: int, seed, dtype="int32"):
        """`num_samples` class indices per row of the 2-D `logits`."""

    @abc.abstractmethod
    def random_permutation(self, n: int, seed):
        """A permutation of `arange(n)` as an int32 tensor."""

    # ------------------------------------------------------------ control flow
    @abc.abstractmethod
    def scan(self, f: Callable, init, xs=None, length: int | None = None, reverse: bool = False):
        """`lax.scan` semantics: `f(carry, x) -> (carry, y)`; returns `(carry, stacked ys)`.

        `init`, `xs` and the results may be nested lists/tuples/dicts of tensors; `xs`
        is sliced along its leading axis. Differentiable.
        """

    @abc.abstractmethod
    def cond(self, pred, true_fn: Callable, false_fn: Callable):
        """Calls one of the two zero-argument functions, chosen by the scalar `pred`."""

    @abc.abstractmethod
    def fori_loop(self, lower: int, upper: int, body_fun: Callable, init_val):
        """`body_fun(i, val) -> val` for i in [lower, upper)."""

    # -------------------------------------------------------------- transforms
    @abc.abstractmethod
    def value_and_grad(self, fn: Callable, has_aux: bool = False) -> Callable:
        """Returns `g(*args)` giving `(value, grads)`, or `((value, aux), grads)`.

        The gradient is taken with respect to the first positional argument, which may
        be a tensor or a nested list/tuple/dict of floating tensors; `grads` has the same
        structure. `value` must be a scalar. Other arguments are held constant.
        """

    @abc.abstractmethod
    def jit(self, fn: Callable, donate_argnums: Sequence[int] = (), static_argnums: Sequence[int] = ()) -> Callable:
        """A compiled version of `fn` (or `fn` itself where compilation is not supported).

        Compilation happens once per input structure, shape and dtype. Buffers of the
        donated arguments may be reused for the outputs: callers must not use them after
        the call.
        """

    @abc.abstractmethod
    def compute_output_spec(self, fn: Callable, *specs):
        """Runs `fn` abstractly on `TensorSpec`s (fully known shapes), returning the
        structure of `fn`'s outputs with every tensor replaced by a `TensorSpec`.

        `specs` may be nested lists/tuples/dicts of TensorSpecs; other leaves are passed
        to `fn` unchanged.
        """

    # ----------------------------------------------------------------- devices
    @abc.abstractmethod
    def devices(self, device_type: str | None = None) -> list[str]:
        """Device names such as "cpu:0" or "gpu:1", optionally of one type only."""

    # --------------------------------------------------------------- profiling
    #: Whether `start_trace`/`stop_trace` record a profiler trace (TensorBoard's profile tab).
    supports_profiling: bool = False

    def start_trace(self, log_dir: str) -> None:
        """Starts recording a profiler trace into `log_dir` (backends that can)."""
        raise RuntimeError(
            f"The {self.name!r} backend has no profiler (supports_profiling is False); "
            "profile on a backend that has one, such as JAX."
        )

    def stop_trace(self) -> None:
        """Stops the trace started by `start_trace` and writes it."""
        raise RuntimeError(f"The {self.name!r} backend has no profiler (supports_profiling is False).")

    def __repr__(self) -> str:
        return f"<kerasish backend {self.name!r}>"

    # ------------------------------------------------------------------- top-k
    @abc.abstractmethod
    def top_k(self, x, k: int):
        """The `k` largest entries along the last axis, and where they are.

        Returns `(values, indices)`, each of shape `x.shape[:-1] + (k,)`, from the
        largest down; among equal values the lower index comes first. `indices`
        are int32. `1 <= k <= x.shape[-1]` (callers check). Differentiable in `x`
        through `values`: the gradient goes to the selected positions.
        """

    # ------------------------------------------------- convolution and pooling
    # N-d (1-D, 2-D, 3-D), always channels-last: `x` is (batch, *spatial, channels).
    # `strides`, `dilation_rate`, `pool_size` and `output_padding` are tuples with one
    # entry per spatial axis; `kerasish.ops` normalizes arguments and moves channels.
    # "same" padding is TF's: output size ceil(size / stride), the total padding split
    # evenly with the odd element after (`kerasish.backend.conv_utils` computes it).
    @abc.abstractmethod
    def conv(self, x, kernel, strides, padding, dilation_rate, groups: int = 1):
        """Cross-correlation of `x` with `kernel` of shape `(*window, in // groups, out)`.

        `padding` is "valid", "same" or one (before, after) pair per spatial axis.
        Input channel `c` belongs to group `c // (in // groups)` and output channel `f`
        to group `f // (out // groups)`. Differentiable in `x` and `kernel`.
        """

    @abc.abstractmethod
    def conv_transpose(self, x, kernel, strides, padding: str, output_padding, dilation_rate):
        """The transpose (input gradient) of `conv`, with `kernel` of shape `(*window, out, in)`.

        Equal to a stride-1 convolution, with the spatially flipped kernel, of `x`
        dilated by `strides` and padded as `conv_utils.conv_transpose_padding` says
        (Keras's output sizes; an `output_padding` entry of None picks the default).
        Differentiable in `x` and `kernel`.
        """

    @abc.abstractmethod
    def max_pool(self, x, pool_size, strides, padding: str):
        """The maximum of each window ("valid" or "same"; padding never wins).

        The gradient of a window goes to its first maximal element in row-major window
        order (XLA's select_and_scatter), so that every backend agrees on ties.
        """

    @abc.abstractmethod
    def avg_pool(self, x, pool_size, strides, padding: str):
        """The mean of each window; with "same", of its real (not padding) elements only."""

    # ======================================================================
    # Distribution: processes, meshes and layouts (for `kerasish.distribution`)
    # ======================================================================
    # A layout crosses this interface as a `kerasish.distribution.TensorLayout`, read
    # only through these attributes (a backend imports nothing from kerasish.distribution):
    #
    #   layout.axes                    one entry per tensor dimension: the name of the
    #                                  mesh axis that dimension is split over, or None
    #                                  (the dimension is whole on every device);
    #   layout.device_mesh.shape       the mesh's shape, e.g. (2, 4);
    #   layout.device_mesh.axis_names  one name per mesh axis, e.g. ("batch", "model");
    #   layout.device_mesh.devices     a NumPy array of device names ("gpu:3", as
    #                                  `devices()` lists them) in the mesh's shape.
    #
    # `kerasish.distribution` has already checked that every device exists and that each
    # split dimension divides evenly. The defaults below are those of a backend with one
    # device in one process, where every layout is that device and nothing moves.

    #: Whether tensors can be laid out over several devices and processes.
    supports_distribution: bool = False

    def num_processes(self) -> int:
        """How many processes take part in the computation (1 unless initialized)."""
        return 1

    def process_id(self) -> int:
        """This process's index, in `[0, num_processes())`."""
        return 0

    def initialize_distributed(
        self, coordinator_address: str | None, num_processes: int | None, process_id: int | None
    ) -> None:
        """Joins this process to a cluster of processes that compute together.

        Args:
            coordinator_address: "host:port" of process 0, which coordinates.
            num_processes: how many processes the cluster has.
            process_id: this process's index in the cluster.
        """
        if num_processes not in (None, 1) or process_id not in (None, 0):
            raise ValueError(
                f"The {self.name!r} backend runs in a single process and cannot join a cluster. "
                f"Received: num_processes={num_processes}, process_id={process_id}"
            )

    def broadcast_from_first_process(self, value: Any) -> Any:
        """`value` (a host NumPy array) as process 0 has it, on every process."""
        return value

    def distribute_variable(self, value: Any, layout: Any) -> Any:
        """A variable's value laid out as `layout` says; called outside compiled code."""
        return self.distribute_tensor(value, layout)

    def distribute_tensor(self, value: Any, layout: Any) -> Any:
        """`value` laid out as `layout` says.

        Outside compiled code the value moves; inside it (while tracing) this is a
        constraint that the compiler follows.
        """
        self._check_one_device_layout(layout)
        return value

    def distribute_data_input(
        self,
        batch: Any,
        layout: Any,
        batch_dim_name: str,
        dtype: str | None = None,
        global_batch: bool = False,
    ) -> Any:
        """A batch of input data (a host array) as a tensor laid out as `layout` says.

        Args:
            batch: with `global_batch=False` (Keras's contract), this process's part of the
                global batch: the samples its devices hold, in order; the global batch is
                made of the parts of all processes. With `global_batch=True`, the whole
                batch, the same on every process, of which each process keeps its part.
                In one process the two are the same.
            layout: the layout of the global batch.
            batch_dim_name: the mesh axis the batch dimension is split over.
            dtype: converted as `convert_to_tensor` converts (None: inferred).
            global_batch: see `batch`.
        """
        self._check_one_device_layout(layout)
        return self.convert_to_tensor(batch, dtype)

    def _check_one_device_layout(self, layout: Any) -> None:
        mesh = getattr(layout, "device_mesh", None)
        if mesh is not None and math.prod(mesh.shape) > 1:
            raise ValueError(
                f"The {self.name!r} backend has one device ({', '.join(self.devices())}) and cannot "
                f"lay a tensor out over {math.prod(mesh.shape)} devices. Received: a layout over "
                f"the devices {[str(d) for d in mesh.devices.flat]}"
            )
