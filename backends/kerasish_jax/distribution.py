"""Distribution on JAX: kerasish layouts as jax.sharding meshes and NamedShardings.

A `kerasish.distribution.TensorLayout` becomes a `NamedSharding` over a `Mesh` of
`jax.Device`s; values are placed with `jax.device_put` (or, for a mesh that spans
processes, assembled from each process's part), and inside compiled code a layout is a
`with_sharding_constraint` that XLA's partitioner follows. The functions here are the
`JaxBackend` methods of the distribution section of `kerasish.backend.Backend`.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from kerasish_jax._conversion import jax_dtype


# ------------------------------------------------------------------ devices
def _device_name(device: jax.Device) -> str:
    return f"{device.platform}:{device.id}"


def _find_device(name: str) -> jax.Device:
    platform = name.split(":")[0]
    for device in jax.devices(platform):
        if _device_name(device) == name:
            return device
    raise ValueError(
        f"No JAX device is named {name!r}. The {platform} devices are: "
        f"{', '.join(_device_name(d) for d in jax.devices(platform))}"
    )


@functools.lru_cache(maxsize=64)
def _mesh(shape: tuple, axis_names: tuple, device_names: tuple) -> Mesh:
    # Cached so that every layout over the same kerasish mesh shares one Mesh, and
    # shardings built from it compare equal (jit caches compiled code on them).
    devices = np.array([_find_device(name) for name in device_names], dtype=object)
    return Mesh(devices.reshape(shape), axis_names)


def sharding(layout: Any) -> NamedSharding:
    """The `NamedSharding` for a kerasish `TensorLayout` (or a JAX sharding, unchanged)."""
    if isinstance(layout, jax.sharding.Sharding):
        return layout
    mesh = layout.device_mesh
    if mesh is None:
        raise ValueError(
            f"A TensorLayout needs a device mesh before anything can be laid out with it. "
            f"Received: {layout!r}"
        )
    jax_mesh = _mesh(
        tuple(int(d) for d in mesh.shape),
        tuple(mesh.axis_names),
        tuple(str(d) for d in np.asarray(mesh.devices).flat),
    )
    return NamedSharding(jax_mesh, PartitionSpec(*layout.axes))


# ---------------------------------------------------------------- processes
def initialize_distributed(
    coordinator_address: str | None, num_processes: int | None, process_id: int | None
) -> None:
    try:
        jax.distributed.initialize(
            coordinator_address=coordinator_address, num_processes=num_processes, process_id=process_id
        )
    except RuntimeError as e:
        raise RuntimeError(
            f"jax.distributed.initialize failed: {str(e).rstrip('.')}. kerasish.distribution.initialize() must run "
            "once per process, before anything uses the JAX backend (listing devices, creating "
            "variables or models)."
        ) from e


def num_processes() -> int:
    return jax.process_count()


def process_id() -> int:
    return jax.process_index()


def broadcast_from_first_process(value: Any) -> Any:
    if jax.process_count() == 1:
        return value
    return np.asarray(multihost_utils.broadcast_one_to_all(np.asarray(value)))


def gather_to_host(x: jax.Array) -> np.ndarray:
    """The whole value of an array whose shards live in several processes.

    A collective: every process must call it, as they all run the same program.
    """
    if x.is_fully_replicated:
        # Every process holds all of it; no communication is needed.
        return np.asarray(x.addressable_data(0))
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))


# ------------------------------------------------------------------ layouts
def _is_traced(value: Any) -> bool:
    return isinstance(value, jax.core.Tracer)


def distribute_tensor(value: Any, layout: Any) -> Any:
    target = sharding(layout)
    if _is_traced(value):
        return jax.lax.with_sharding_constraint(value, target)
    if isinstance(value, jax.Array):
        if value.sharding.is_equivalent_to(target, value.ndim):
            return value
        if value.is_fully_addressable and not target.is_fully_addressable:
            # A process-local value becoming a global one: each process supplies the
            # parts its devices hold (every process has the same value).
            value = np.asarray(value)
        else:
            return jax.device_put(value, target)
    value = np.asarray(value)
    if target.is_fully_addressable:
        return jax.device_put(value, target)
    return jax.make_array_from_callback(value.shape, target, lambda index: value[index])


def distribute_variable(value: Any, layout: Any) -> Any:
    return distribute_tensor(value, layout)


def distribute_data_input(
    batch: Any, layout: Any, batch_dim_name: str, dtype: str | None = None, global_batch: bool = False
) -> jax.Array:
    # Converted on the host, so that the batch goes straight from host memory to each
    # device instead of through the default device first.
    host = np.asarray(batch)
    host = np.asarray(host, dtype=jax_dtype(dtype if dtype is not None else host.dtype))
    target = sharding(layout)
    if global_batch or target.is_fully_addressable:
        # One process holds every part, or every process has the whole batch.
        if target.is_fully_addressable:
            return jax.device_put(host, target)
        return jax.make_array_from_callback(host.shape, target, lambda index: host[index])
    return jax.make_array_from_process_local_data(target, host)
