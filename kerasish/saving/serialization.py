"""Objects to and from Keras-format config dicts, and the registry of custom objects."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable

_CUSTOM_OBJECTS: dict[str, object] = {}
_CUSTOM_NAMES: dict[object, str] = {}

# Where Keras 3 says a class lives, by the kerasish package that defines it.
_KERAS_MODULES = {
    "kerasish.layers": "keras.layers",
    "kerasish.models": "keras.models",
    "kerasish.initializers": "keras.initializers",
    "kerasish.regularizers": "keras.regularizers",
    "kerasish.constraints": "keras.constraints",
    "kerasish.optimizers.schedules": "keras.optimizers.schedules",
    "kerasish.optimizers": "keras.optimizers",
    "kerasish.losses": "keras.losses",
    "kerasish.metrics": "keras.metrics",
}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Registers a class or function under "package>name" so configs can name it."""

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj!r}: a registered class needs a `get_config` method.")
        _CUSTOM_OBJECTS[registered] = obj
        _CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj) -> str:
    return _CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects: dict | None = None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def _keras_module(cls) -> str:
    module = cls.__module__
    for prefix, keras_module in sorted(_KERAS_MODULES.items(), key=lambda kv: -len(kv[0])):
        if module.startswith(prefix):
            return keras_module
    return module


def serialize_keras_object(obj):
    """A JSON-able description of `obj`, in the format Keras 3 writes."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if inspect.isfunction(obj):
        if obj in _CUSTOM_NAMES:
            return {
                "module": obj.__module__,
                "class_name": "function",
                "config": _CUSTOM_NAMES[obj],
                "registered_name": "function",
            }
        return obj.__name__
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = _CUSTOM_NAMES.get(cls)
        return {
            "module": _keras_module(cls) if registered is None else cls.__module__,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": registered,
        }
    raise TypeError(f"Cannot serialize {obj!r}: it has no `get_config` method.")


def unknown_name_error(kind: str, name: str, known) -> ValueError:
    """A ValueError for an unknown string name, with a "did you mean" suggestion."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(
        f"Unknown {kind}: {name!r}.{hint} Known {kind}s: {', '.join(sorted(known))}. "
        "A custom one can be passed as an object, or registered with "
        "`kerasish.saving.register_keras_serializable()` or given in `custom_objects`."
    )


def deserialize_keras_object(config, module_objects: dict | None = None, custom_objects: dict | None = None, kind: str = "object"):
    """Rebuilds an object from `serialize_keras_object`'s output (or a bare class name)."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            raise unknown_name_error(kind, config, (module_objects or {}).keys())
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {kind}: expected a dict with 'class_name'. Received: {config!r}")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        return deserialize_keras_object(inner, module_objects, custom_objects, kind)
    registered = config.get("registered_name")
    cls = None
    if registered:
        cls = get_registered_object(registered, custom_objects)
    if cls is None:
        cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise unknown_name_error(kind, class_name, (module_objects or {}).keys())
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)
