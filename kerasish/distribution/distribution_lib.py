"""Keras 3's distribution API: device meshes, tensor layouts, data and model parallelism.

A `DeviceMesh` arranges devices in a named grid; a `TensorLayout` says, per tensor
dimension, which mesh axis splits it (or None: whole on every device). A distribution
decides the layout of every variable (when the variable is created) and of every batch
of input data (in the trainer); the backend places the values and its compiler lays
out everything in between. Nothing here touches a device: that is the backend's
distribution section (`kerasish.backend.Backend.distribute_*`).
"""

from __future__ import annotations

import collections.abc
import contextlib
import math
import os
import random
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import kerasish.backend as kb

DEFAULT_BATCH_DIM_NAME = "batch"

#: Environment variables `initialize` reads, Keras's names first; kerasish's
#: KERASISH_-prefixed names are accepted as well and win when both are set.
_ENV_PREFIXES = ("KERASISH_DISTRIBUTION_", "KERAS_DISTRIBUTION_")

_current: Distribution | None = None


# -------------------------------------------------------------- devices
def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of the active backend, as names such as "gpu:0".

    In a multi-process setting these are the devices of every process.

    Args:
        device_type: "cpu", "gpu" or "tpu". By default the backend's default
            platform: its accelerators when it has some, else its CPUs.

    Returns:
        A list of device names.
    """
    if device_type is not None and not isinstance(device_type, str):
        raise ValueError(
            f"Argument `device_type` must be a string such as 'cpu' or 'gpu', or None. "
            f"Received: device_type={device_type!r}"
        )
    return kb.get().devices(device_type.lower() if device_type else None)


def _device_name(device: Any) -> str:
    """A device as a name "type:id"; accepts names and device objects such as `jax.Device`."""
    if isinstance(device, str):
        name = device.strip().lower()
        return name if ":" in name else f"{name}:0"
    platform, index = getattr(device, "platform", None), getattr(device, "id", None)
    if isinstance(platform, str) and isinstance(index, (int, np.integer)):
        return f"{platform.lower()}:{int(index)}"
    raise ValueError(
        f"Expected a device name such as 'gpu:0' (see `list_devices()`) or a device object. "
        f"Received: {device!r} of type {type(device).__name__}"
    )


def _check_devices(names: list[str]) -> None:
    backend = kb.get()
    known: dict[str, list[str]] = {}
    for name in names:
        kind = name.split(":")[0]
        if kind not in known:
            known[kind] = backend.devices(kind)
        if name not in known[kind]:
            everything = backend.devices(None)
            raise ValueError(
                f"Device {name!r} is not a device of the {backend.name!r} backend, which has "
                f"{len(everything)}: {', '.join(everything)}. Received: devices={names}"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Each device may appear once in a mesh. Repeated: {repeated}. Received: devices={names}")


class DeviceMesh:
    """A grid of devices with named axes, the devices a distribution computes on.

    Args:
        shape: the mesh's shape, e.g. `(8,)` for data parallelism only, or `(2, 4)`
            for 2-way data and 4-way model parallelism.
        axis_names: one name per mesh axis, e.g. `("batch", "model")`.
        devices: the devices (names such as "gpu:0", or device objects), as many as
            the shape holds; by default all of `list_devices()`.

    Example:

    >>> import kerasish as keras
    >>> mesh = keras.distribution.DeviceMesh((1,), ["batch"], devices=["cpu:0"])
    >>> mesh.shape, mesh.axis_names
    ((1,), ('batch',))
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str], devices: Sequence[Any] | None = None):
        if not shape or not axis_names:
            raise ValueError(
                f"Shape and axis_names cannot be empty. Received: shape={shape}, axis_names={axis_names}"
            )
        if isinstance(axis_names, str):
            raise ValueError(
                f"Argument `axis_names` must be a list of strings, one per mesh axis. "
                f"Received: axis_names={axis_names!r}"
            )
        shape = tuple(shape)
        axis_names = tuple(axis_names)
        if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape):
            raise ValueError(f"Argument `shape` must hold positive integers. Received: shape={shape}")
        if len(shape) != len(axis_names):
            raise ValueError(
                f"Shape and axis_names should have same size. Received: shape={shape}, axis_names={axis_names}"
            )
        if not all(isinstance(n, str) and n for n in axis_names) or len(set(axis_names)) != len(axis_names):
            raise ValueError(
                f"Argument `axis_names` must be distinct, non-empty strings. Received: axis_names={axis_names}"
            )
        names = [_device_name(d) for d in (list_devices() if devices is None else np.asarray(devices, dtype=object).flat)]
        size = math.prod(shape)
        if size != len(names):
            if devices is None:
                backend = kb.get()
                raise ValueError(
                    f"A mesh of shape {shape} needs {size} devices, but the {backend.name!r} backend "
                    f"has {len(names)}: {', '.join(names)}. Received: shape={shape}"
                )
            raise ValueError(
                f"A mesh of shape {shape} needs {size} devices. Received {len(names)}: devices={names}"
            )
        _check_devices(names)
        self._shape = tuple(int(d) for d in shape)
        self._axis_names = axis_names
        self._devices = np.array(names, dtype=object).reshape(self._shape)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def axis_names(self) -> tuple[str, ...]:
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        """The device names, in an array of the mesh's shape."""
        return self._devices

    def axis_size(self, axis_name: str) -> int:
        """How many devices the mesh axis `axis_name` has."""
        return self._shape[self._axis_names.index(axis_name)]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DeviceMesh)
            and self._axis_names == other._axis_names
            and np.array_equal(self._devices, other._devices)
        )

    def __hash__(self) -> int:
        return hash((self._shape, self._axis_names, tuple(self._devices.flat)))

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor is split over a `DeviceMesh`.

    Args:
        axes: one entry per tensor dimension: the name of the mesh axis that splits
            the dimension, or None to keep it whole on every device.
        device_mesh: the mesh; may be set later (a `LayoutMap` sets its own).

    Example:

    >>> import kerasish as keras
    >>> mesh = keras.distribution.DeviceMesh((1,), ["model"], devices=["cpu:0"])
    >>> keras.distribution.TensorLayout((None, "model"), mesh).axes
    (None, 'model')
    """

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None):
        if isinstance(axes, str):
            raise ValueError(
                f"Argument `axes` must be a tuple with one entry (a mesh axis name or None) per "
                f"tensor dimension. Received: axes={axes!r}"
            )
        self._axes = tuple(axes)
        for axis in self._axes:
            if axis is not None and not isinstance(axis, str):
                raise ValueError(
                    f"Each entry of `axes` must be a mesh axis name or None. Received: axes={self._axes}"
                )
        named = [a for a in self._axes if a is not None]
        if len(set(named)) != len(named):
            raise ValueError(
                f"A mesh axis can split only one dimension of a tensor. Received: axes={self._axes}"
            )
        if device_mesh is not None and not isinstance(device_mesh, DeviceMesh):
            raise ValueError(
                f"Argument `device_mesh` must be a DeviceMesh. Received: device_mesh={device_mesh!r}"
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self) -> tuple[str | None, ...]:
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override device mesh value. Existing value is {self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self) -> None:
        if self._device_mesh is None:
            return
        unknown = sorted(set(self._axes) - {None} - set(self._device_mesh.axis_names))
        if unknown:
            raise ValueError(
                f"Invalid axis names for Layout: {unknown}. Valid axis names: "
                f"{list(self._device_mesh.axis_names)}. Received: axes={self._axes}"
            )

    def _check_shape(self, shape: Sequence[int], what: str) -> None:
        """Raises unless a tensor of `shape` can take this layout (what: names it in the error)."""
        shape = tuple(shape)
        if len(shape) != len(self._axes):
            raise ValueError(
                f"{what} has shape {shape} ({len(shape)} dimensions) but its layout has "
                f"{len(self._axes)} entries. Received: axes={self._axes}"
            )
        for dim, (size, axis) in enumerate(zip(shape, self._axes)):
            if axis is None or self._device_mesh is None:
                continue
            parts = self._device_mesh.axis_size(axis)
            if size % parts:
                raise ValueError(
                    f"{what} has shape {shape}: dimension {dim} ({size}) is split over the mesh "
                    f"axis {axis!r} of {parts} devices, so it must be a multiple of {parts}. "
                    f"Received: axes={self._axes}"
                )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TensorLayout)
            and self._axes == other._axes
            and self._device_mesh == other._device_mesh
        )

    def __hash__(self) -> int:
        return hash((self._axes, self._device_mesh))

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


# -------------------------------------------------------- distributions
class Distribution:
    """How variables and data are laid out over a `DeviceMesh` (base class).

    Args:
        device_mesh: the devices.
        batch_dim_name: the mesh axis that splits the batch dimension of the data.
        auto_shard_dataset: with several processes, whether the data every process
            is given is the whole global data, of which each keeps its part (True), or
            each process's own part already (False).
    """

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: str | None = None, auto_shard_dataset: bool = True):
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(
                f"Expected `device_mesh` to be a DeviceMesh. Received: device_mesh={device_mesh!r} "
                f"(of type {type(device_mesh).__name__})"
            )
        self._device_mesh = device_mesh
        if batch_dim_name is None:
            batch_dim_name = device_mesh.axis_names[0]
        if batch_dim_name not in device_mesh.axis_names:
            raise ValueError(
                f"Argument `batch_dim_name` must be an axis of the device mesh, one of "
                f"{list(device_mesh.axis_names)}. Received: batch_dim_name={batch_dim_name!r}"
            )
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = bool(auto_shard_dataset)
        backend = kb.get()
        self._num_process = backend.num_processes()
        self._process_id = backend.process_id()
        self._is_multi_process = self._num_process > 1

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str:
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        """The layout of a batch of input data: split along its first dimension."""
        axes: list[str | None] = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """The layout of a variable (by default replicated: whole on every device)."""
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout of an intermediate tensor named `path`, or None to let the compiler choose."""
        return None

    @contextlib.contextmanager
    def scope(self) -> Iterator[Distribution]:
        """Makes this the current distribution inside a `with` block."""
        original = distribution()
        set_distribution(self)
        try:
            yield self
        finally:
            set_distribution(original)

    def distribute_dataset(self, dataset: Any) -> Any:
        """Keras shards a `tf.data.Dataset` here; kerasish has no tf.data and shards each batch
        as it is placed (see `auto_shard_dataset`), so the dataset is returned unchanged."""
        return dataset

    # ------------------------------------------------------- kerasish's own
    def _distribute_data(self, batch: Any, dtype: str | None, batch_axis: int = 0) -> Any:
        """One input array (host) as a backend tensor laid out along the batch dimension.

        Args:
            batch: a host array whose dimension `batch_axis` is the batch.
            dtype: the tensor's dtype (None: inferred as `convert_to_tensor` does).
            batch_axis: 1 for fused steps, whose batches are stacked on a new first axis.
        """
        shape = tuple(np.shape(batch))
        if len(shape) <= batch_axis:
            raise ValueError(
                f"Input data must have a batch dimension to be split over the mesh axis "
                f"{self._batch_dim_name!r}. Received: an array of shape {shape}"
            )
        layout = self.get_data_layout(shape[batch_axis:])
        if batch_axis:
            layout = TensorLayout((None,) * batch_axis + layout.axes, layout.device_mesh)
        parts = self._device_mesh.axis_size(self._batch_dim_name)
        global_batch = not self._is_multi_process or self._auto_shard_dataset
        size = shape[batch_axis]
        if not global_batch:
            # This process is given its own share of the batch shards.
            parts = max(parts // self._num_process, 1)
        if size % parts:
            raise ValueError(
                f"{type(self).__name__} splits every batch over the {parts} devices of the mesh "
                f"axis {self._batch_dim_name!r}, so the batch size must be a multiple of {parts}. "
                f"Received: a batch of {size} samples. With in-memory data the last batch of an "
                f"epoch holds what is left over: choose batch_size and the number of samples as "
                f"multiples of {parts}, or pass steps_per_epoch to leave the remainder out."
            )
        return kb.get().distribute_data_input(
            batch, layout, self._batch_dim_name, dtype=dtype, global_batch=global_batch
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


class DataParallel(Distribution):
    """Data parallelism: variables whole on every device, each batch split across them.

    Give either a `device_mesh` or a list of `devices` (not both); by default every
    device of `list_devices()` forms a 1-D mesh with the axis "batch". With a mesh of
    several axes, the first splits the batch (and a warning says so).

    Args:
        device_mesh: a `DeviceMesh`, normally 1-D.
        devices: devices for a 1-D mesh.
        auto_shard_dataset: with several processes, whether each process is given the
            whole data and keeps its part of each batch (True), or its own part (False).

    Example:

    >>> import kerasish as keras
    >>> keras.distribution.DataParallel(devices=["cpu:0"]).batch_dim_name
    'batch'
    """

    def __init__(self, device_mesh: DeviceMesh | None = None, devices: Sequence[Any] | None = None,
                 auto_shard_dataset: bool = True):
        if device_mesh is not None and devices is not None:
            raise ValueError(
                "DataParallel takes either `device_mesh` or `devices`, not both. "
                f"Received: device_mesh={device_mesh}, devices={devices}"
            )
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    f"Expected `device_mesh` to be a DeviceMesh. Received: device_mesh={device_mesh!r} "
                    f"(of type {type(device_mesh).__name__})"
                )
            if len(device_mesh.shape) != 1:
                warnings.warn(
                    f"Expected a 1-D mesh for DataParallel, but received a mesh of shape "
                    f"{device_mesh.shape}. The first axis ({device_mesh.axis_names[0]!r}) will be "
                    "used for data-parallel sharding.",
                    stacklevel=2,
                )
        else:
            names = [_device_name(d) for d in (list_devices() if devices is None else list(np.asarray(devices, dtype=object).flat))]
            device_mesh = DeviceMesh((len(names),), [DEFAULT_BATCH_DIM_NAME], names)
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)


class ModelParallel(Distribution):
    """Model (and data) parallelism: variables split as a `LayoutMap` says.

    Variables whose path matches a key of the layout map take its layout; the others
    are whole on every device. Each batch is split along `batch_dim_name`, and the
    compiler lays out the activations in between.

    Args:
        layout_map: a `LayoutMap`, whose mesh is the distribution's.
        batch_dim_name: the mesh axis that splits the batch; by default the first.
        auto_shard_dataset: as for `DataParallel`.

    Example:

    >>> import kerasish as keras
    >>> mesh = keras.distribution.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    >>> layout_map = keras.distribution.LayoutMap(mesh)
    >>> layout_map["dense.*kernel"] = (None, "model")
    >>> keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch").batch_dim_name
    'batch'
    """

    def __init__(self, *, layout_map: LayoutMap | None = None, batch_dim_name: str | None = None,
                 auto_shard_dataset: bool = True, **kwargs: Any):
        device_mesh = kwargs.pop("device_mesh", None)
        if kwargs:
            raise ValueError(
                f"ModelParallel takes `layout_map`, `batch_dim_name` and `auto_shard_dataset`. "
                f"Received unexpected arguments: {sorted(kwargs)}"
            )
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                f"Argument `layout_map` must be a `LayoutMap` instance. Received: layout_map={layout_map!r}"
            )
        if device_mesh is not None and device_mesh != layout_map.device_mesh:
            # Keras once took the mesh here; now it is the layout map's.
            raise ValueError(
                f"ModelParallel uses the mesh of its layout map ({layout_map.device_mesh}); "
                f"received a different device_mesh={device_mesh}"
            )
        super().__init__(layout_map.device_mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def layout_map(self) -> LayoutMap:
        return self._layout_map

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return super().get_variable_layout(variable)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """A dict from regular expressions to `TensorLayout`s, looked up by variable path.

    A lookup (`layout_map[path]`) returns the layout stored under `path` itself, else
    the layout of the one key that `re.search` finds in `path`, else None; a path
    matched by several keys is an error. A tuple of axis names stored as a value
    becomes a `TensorLayout` on the map's mesh.

    Args:
        device_mesh: the mesh of every layout in the map.

    Example:

    >>> import kerasish as keras
    >>> mesh = keras.distribution.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    >>> layout_map = keras.distribution.LayoutMap(mesh)
    >>> layout_map["dense.*kernel"] = (None, "model")
    >>> layout_map["dense_1/kernel"].axes
    (None, 'model')
    >>> layout_map["conv2d/kernel"] is None
    True
    """

    def __init__(self, device_mesh: DeviceMesh):
        if not isinstance(device_mesh, DeviceMesh):
            raise ValueError(
                f"Expected `device_mesh` to be a DeviceMesh. Received: device_mesh={device_mesh!r} "
                f"(of type {type(device_mesh).__name__})"
            )
        self._layout_map: dict[str, TensorLayout] = {}
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [k for k in self._layout_map if re.search(k, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matching}. Please make "
                "sure each tensor/variable path only matches at most one layout specification key "
                "in the LayoutMap."
            )
        return self._layout_map[matching[0]] if matching else None

    def __setitem__(self, key: str, layout: TensorLayout | Sequence[str | None]) -> None:
        if not isinstance(key, str):
            raise ValueError(f"LayoutMap keys are strings (regular expressions). Received: key={key!r}")
        try:
            re.compile(key)
        except re.error as e:
            raise ValueError(f"LayoutMap key {key!r} is not a valid regular expression: {e}") from e
        if key in self._layout_map:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"A LayoutMap value must be a TensorLayout or a tuple of axis names. "
                f"Received: {layout!r} of type {type(layout).__name__}"
            )
        if layout.device_mesh is None:
            layout.device_mesh = self._device_mesh
        elif layout.device_mesh != self._device_mesh:
            raise ValueError(
                f"The layout for {key!r} is on another mesh ({layout.device_mesh}) than the "
                f"LayoutMap's ({self._device_mesh})."
            )
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        del self._layout_map[key]

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh


# ------------------------------------------------------- current state
def distribution() -> Distribution | None:
    """The current distribution (set by `set_distribution` or a `scope()`), or None."""
    return _current


def set_distribution(value: Distribution | None) -> None:
    """Makes `value` the current distribution for the whole process (None: no distribution).

    Variables created afterwards are laid out by it and `fit`/`evaluate`/`predict`
    split their batches by it.
    """
    global _current
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(
            f"Expected a Distribution (DataParallel, ModelParallel) or None. Received: {value!r} "
            f"of type {type(value).__name__}"
        )
    _current = value


def distribute_tensor(tensor: Any, layout: TensorLayout) -> Any:
    """`tensor` laid out as `layout` says (inside compiled code: a constraint on its layout).

    Args:
        tensor: a backend tensor.
        layout: a `TensorLayout` with a device mesh.
    """
    from kerasish.ops.symbolic import KerasTensor

    if isinstance(tensor, KerasTensor):
        # Symbolic tensors only describe shapes while a Functional model is built.
        return tensor
    if not isinstance(layout, TensorLayout) or layout.device_mesh is None:
        raise ValueError(f"Expected a TensorLayout with a device mesh. Received: layout={layout!r}")
    layout._check_shape(kb.get().shape(tensor), "The tensor")
    return kb.get().distribute_tensor(tensor, layout)


def variable_layout(variable: Any, current: Distribution) -> TensorLayout:
    """The layout `current` gives `variable`, checked against its shape."""
    layout = current.get_variable_layout(variable)
    if not isinstance(layout, TensorLayout):
        raise ValueError(
            f"{type(current).__name__}.get_variable_layout must return a TensorLayout. "
            f"Received: {layout!r} for variable {variable.path!r}"
        )
    layout._check_shape(variable.shape, f"Variable {variable.path!r}")
    return layout


# ------------------------------------------------------- several processes
def _from_environment(name: str) -> str | None:
    for prefix in _ENV_PREFIXES:
        value = os.environ.get(prefix + name)
        if value not in (None, ""):
            return value
    return None


def _as_int(value: Any, argument: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError(
                f"Expected an integer for `{argument}` (or the environment variable "
                f"KERAS_DISTRIBUTION_{argument.upper()}). Received: {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"Expected an integer for `{argument}`. Received: {argument}={value!r}")
    return int(value)


def initialize(job_addresses: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Joins this process to a multi-process (multi-host) computation.

    Call it once in every process, before anything else uses the backend. Arguments
    left as None are read from the environment variables KERAS_DISTRIBUTION_JOB_ADDRESSES,
    KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID (or the same
    names with KERASISH_ in place of KERAS_). Afterwards `list_devices()` lists the
    devices of every process, and every process has the same global random seed (process
    0's), so that replicated variables start equal; call `keras.utils.set_random_seed`
    after `initialize` to choose it.

    Args:
        job_addresses: "host:port" of every process, comma-separated, or only that of
            process 0 (the coordinator), which is all the JAX backend needs.
        num_processes: how many processes take part.
        process_id: this process's index, from 0 (the coordinator) to num_processes - 1.
    """
    if job_addresses is None:
        job_addresses = _from_environment("JOB_ADDRESSES")
    if num_processes is None:
        num_processes = _from_environment("NUM_PROCESSES")
    if process_id is None:
        process_id = _from_environment("PROCESS_ID")
    num_processes = _as_int(num_processes, "num_processes")
    process_id = _as_int(process_id, "process_id")
    if num_processes is not None and num_processes < 1:
        raise ValueError(f"Argument `num_processes` must be a positive integer. Received: num_processes={num_processes}")
    if process_id is not None and (process_id < 0 or (num_processes is not None and process_id >= num_processes)):
        raise ValueError(
            f"Argument `process_id` must be in [0, num_processes). Received: process_id={process_id}, "
            f"num_processes={num_processes}"
        )
    coordinator = None
    if job_addresses is not None:
        if not isinstance(job_addresses, str) or not job_addresses.strip():
            raise ValueError(
                f"Argument `job_addresses` must be a string of comma-separated 'host:port' "
                f"addresses. Received: job_addresses={job_addresses!r}"
            )
        addresses = [a.strip() for a in job_addresses.split(",") if a.strip()]
        if len(addresses) > 1 and num_processes is not None and len(addresses) != num_processes:
            raise ValueError(
                f"The provided job_addresses {addresses} has {len(addresses)} jobs, but "
                f"num_processes is {num_processes}"
            )
        coordinator = addresses[0]
    backend = kb.get()
    backend.initialize_distributed(coordinator, num_processes, process_id)
    if backend.num_processes() > 1:
        # Replicated variables are initialized in every process; they must start equal.
        seed = backend.broadcast_from_first_process(np.array(random.getrandbits(32), dtype="uint32"))
        from kerasish.utils.rng_utils import set_random_seed

        set_random_seed(int(seed))


def keep_layouts(values: list, variables: Sequence[Any]) -> list:
    """New values of `variables` (inside a compiled step) constrained to their layouts."""
    backend = kb.get()
    return [
        value if variable._layout is None else backend.distribute_tensor(value, variable._layout)
        for value, variable in zip(values, variables)
    ]


def check_predict() -> None:
    """Raises if `predict` cannot give each process its outputs under the current distribution."""
    current = _current
    if current is not None and current._is_multi_process and not current._auto_shard_dataset:
        raise ValueError(
            f"predict over {current._num_process} processes needs auto_shard_dataset=True (every "
            "process given the whole data, and given back all of the outputs); with each process "
            f"given its own part, its outputs are not gathered back to it. Received: {current!r} "
            "with auto_shard_dataset=False"
        )
