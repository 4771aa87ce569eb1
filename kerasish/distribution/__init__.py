"""`keras.distribution`: data and model parallelism over the active backend's devices."""

from __future__ import annotations

from kerasish.distribution.distribution_lib import (
    DataParallel,
    DeviceMesh,
    Distribution,
    LayoutMap,
    ModelParallel,
    TensorLayout,
    distribute_tensor,
    distribution,
    initialize,
    list_devices,
    set_distribution,
)

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "initialize",
    "list_devices",
    "set_distribution",
]
