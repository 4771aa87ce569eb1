"""Which backend is active: the registry over entry points, selection and switching.

The backend is looked up each time code runs (`get()`), never fixed at import time, so
`set_backend` and `use_backend` switch everything at once. See README.md here.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import threading
from collections.abc import Iterator
from importlib import metadata

from kerasish.backend.base import Backend, TensorSpec
from kerasish.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from kerasish.backend.dtypes import standardize_dtype

__all__ = [
    "Backend",
    "TensorSpec",
    "available_backends",
    "backend",
    "epsilon",
    "floatx",
    "get",
    "image_data_format",
    "register_backend",
    "set_backend",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
    "use_backend",
]

ENTRY_POINT_GROUP = "kerasish.backends"

_registry: dict[str, object] = {}  # name -> Backend subclass, or entry point not yet loaded
_instances: dict[str, Backend] = {}
_discovered = False
_state = threading.local()
_default_name: str | None = None


@contextlib.contextmanager
def _global_rng_untouched():
    """Keeps NumPy's and Python's global random state as they were across a backend import.

    Importing JAX draws from NumPy's global generator; without this, the first model built
    in a process would shuffle differently from the next one after the same
    `set_random_seed`.
    """
    import random

    import numpy as np

    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        _registry.setdefault(ep.name, ep)
    _discovered = True


def register_backend(name: str, backend_class: type[Backend]) -> None:
    """Registers a backend class under `name` (entry points do this for installed ones)."""
    if not (isinstance(backend_class, type) and issubclass(backend_class, Backend)):
        raise TypeError(
            f"register_backend expects a subclass of kerasish.backend.Backend. Received: {backend_class!r}"
        )
    _registry[name] = backend_class
    _instances.pop(name, None)


def available_backends() -> list[str]:
    """Names of the registered backends, sorted."""
    _discover()
    return sorted(_registry)


def _instance(name: str) -> Backend:
    _discover()
    if name in _instances:
        return _instances[name]
    if name not in _registry:
        raise ValueError(
            f"Unknown backend {name!r}. Registered backends: {', '.join(available_backends()) or 'none'}. "
            f"A backend is registered through the entry-point group {ENTRY_POINT_GROUP!r}."
        )
    entry = _registry[name]
    with _global_rng_untouched():
        cls = entry.load() if isinstance(entry, metadata.EntryPoint) else entry
        instance = cls()
    if not isinstance(instance, Backend):
        raise TypeError(f"Backend {name!r} is not a kerasish.backend.Backend: {instance!r}")
    instance.name = instance.name or name
    _instances[name] = instance
    return instance


def config_dir() -> str:
    """The folder of `kerasish.json` and the dataset cache: $KERASISH_HOME or ~/.kerasish."""
    return os.environ.get("KERASISH_HOME") or os.path.join(os.path.expanduser("~"), ".kerasish")


def _read_config_file() -> dict:
    path = os.path.join(config_dir(), "kerasish.json")
    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"Could not read the kerasish config file {path}: {e}") from e
    if not isinstance(config, dict):
        raise ValueError(f"The kerasish config file {path} must hold a JSON object. Received: {config!r}")
    return config


def _choose_default() -> str:
    name = os.environ.get("KERASISH_BACKEND")
    config = _read_config_file()
    if "floatx" in config:
        set_floatx(config["floatx"])
    if "epsilon" in config:
        set_epsilon(config["epsilon"])
    if "image_data_format" in config:
        set_image_data_format(config["image_data_format"])
    if not name:
        name = config.get("backend")
    if name:
        return name
    try:
        with _global_rng_untouched():
            importlib.import_module("jax")
        return "jax"
    except ImportError:
        return "numpy"


def backend() -> str:
    """The name of the active backend, as `keras.backend.backend()` returns it."""
    return get().name


def get() -> Backend:
    """The active backend object."""
    current = getattr(_state, "stack", None)
    if current:
        return current[-1]
    global _default_name
    if _default_name is None:
        _default_name = _choose_default()
    return _instance(_default_name)


def set_backend(name: str) -> Backend:
    """Makes `name` the active backend for the whole process (and returns it)."""
    global _default_name
    instance = _instance(name)
    _default_name = name
    return instance


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """Runs the block with `name` as the active backend (in this thread)."""
    instance = _instance(name)
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    stack.append(instance)
    try:
        yield instance
    finally:
        stack.pop()
