"""Objects to and from Keras-format config dicts, and the registry of custom objects.

Configs are written the way Keras 3's `serialize_keras_object` writes them
(`module`, `class_name`, `config`, `registered_name`, plus `build_config` and
`compile_config` where an object has them), so that Keras 3 can read what kerasish
writes. Reading resolves classes from kerasish's own tables, the registry and
`custom_objects` only: the `module` a config names is never imported, so a file
cannot make kerasish run code it does not already have.
"""

from __future__ import annotations

import difflib
import inspect
import threading
from collections.abc import Callable

_CUSTOM_OBJECTS: dict[str, object] = {}
_CUSTOM_NAMES: dict[object, str] = {}

# Scopes (custom objects, safe mode, object sharing) are per thread, as Keras's are.
_scope = threading.local()

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
# Classes whose first public Keras name is top-level ("keras.Sequential"), which is
# the module Keras's serializer writes for them.
_KERAS_TOP_LEVEL = frozenset({"Sequential", "Model", "Layer", "Optimizer", "Metric", "Loss"})
# Keras exports no public name for Functional, so it writes the class's source module
# and its registered name; Keras 3 finds it again only under that module.
_KERAS_PRIVATE = {"Functional": "keras.src.models.functional"}


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
    """The name `obj` is saved under: `package>Name` if registered, else its own name."""
    return _CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_custom_objects() -> dict:
    """The global registry of custom objects ("package>name" -> object); editable, as in Keras."""
    return _CUSTOM_OBJECTS


class CustomObjectScope:
    """Within this scope, configs may name the given custom objects (as `custom_objects` would).

    >>> with CustomObjectScope({"MyLayer": MyLayer}):  # doctest: +SKIP
    ...     model = kerasish.models.load_model("m.keras")
    """

    def __init__(self, *custom_objects: dict | None):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self):
        stack = getattr(_scope, "custom_objects", None)
        if stack is None:
            stack = _scope.custom_objects = []
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope.custom_objects.pop()


custom_object_scope = CustomObjectScope


def _scoped_custom_objects() -> dict:
    merged: dict = {}
    for objects in getattr(_scope, "custom_objects", None) or ():
        merged.update(objects)
    return merged


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects: dict | None = None):
    """The object `name` refers to: in `custom_objects`, the scope, the registry, then `module_objects`."""
    if not isinstance(name, str):
        return None
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    scoped = _scoped_custom_objects()
    if name in scoped:
        return scoped[name]
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


# ----------------------------------------------------------------- safe mode
class SafeModeScope:
    """Sets whether loading may run code stored in a file (a lambda's bytecode) within it.

    `safe_mode=True` (the default everywhere) refuses such configs; False allows them
    for files the user trusts.
    """

    def __init__(self, safe_mode: bool | None = True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.previous = getattr(_scope, "safe_mode", None)
        if self.safe_mode is not None:
            _scope.safe_mode = bool(self.safe_mode)
        return self

    def __exit__(self, *exc):
        _scope.safe_mode = self.previous


def in_safe_mode() -> bool | None:
    """The safe-mode flag in force: the innermost `SafeModeScope`'s, else None (which means safe)."""
    if _UNSAFE_GLOBALLY:
        return False
    return getattr(_scope, "safe_mode", None)


_UNSAFE_GLOBALLY = False


def enable_unsafe_deserialization() -> None:
    """Allows, for the rest of the process, configs that carry code (Keras's switch of that name)."""
    global _UNSAFE_GLOBALLY
    _UNSAFE_GLOBALLY = True


def unsafe_config_error(what: str) -> ValueError:
    """The error for a config that would run stored code while in safe mode."""
    return ValueError(
        f"Requested the deserialization of {what}, which carries code from the file. Running it "
        "could execute arbitrary code, so it is refused in safe mode. If you trust the source of "
        "the file, pass `safe_mode=False` to the loading function, or call "
        "`kerasish.config.enable_unsafe_deserialization()`."
    )



# ------------------------------------------------------------ object sharing
class ObjectSharingScope:
    """Within this scope, an object serialized twice (a layer shared by two nested models)
    is marked with `shared_object_id`, and deserialized once and reused."""

    def __enter__(self):
        self.previous = getattr(_scope, "sharing", None)
        _scope.sharing = {"configs": {}, "objects": {}}
        return self

    def __exit__(self, *exc):
        _scope.sharing = self.previous


def _record_serialized(obj, config: dict) -> None:
    sharing = getattr(_scope, "sharing", None)
    if sharing is None:
        return
    seen = sharing["configs"].get(id(obj))
    if seen is None:
        # Keep the object alive so that its id cannot be reused by a new object.
        sharing["configs"][id(obj)] = (obj, config)
        return
    config["shared_object_id"] = id(obj)
    seen[1]["shared_object_id"] = id(obj)


def _shared_object(config: dict):
    sharing = getattr(_scope, "sharing", None)
    if sharing is None or "shared_object_id" not in config:
        return None
    return sharing["objects"].get(config["shared_object_id"])


def _record_deserialized(obj, config: dict) -> None:
    sharing = getattr(_scope, "sharing", None)
    if sharing is not None and "shared_object_id" in config:
        sharing["objects"][config["shared_object_id"]] = obj


# ------------------------------------------------------------- serializing
def _keras_module(cls) -> str:
    module = cls.__module__
    for prefix, keras_module in sorted(_KERAS_MODULES.items(), key=lambda kv: -len(kv[0])):
        if module.startswith(prefix):
            if cls.__name__ in _KERAS_PRIVATE:
                return _KERAS_PRIVATE[cls.__name__]
            if cls.__name__ in _KERAS_TOP_LEVEL:
                return "keras"
            return keras_module
    return module


def _is_builtin(cls) -> bool:
    return any(cls.__module__.startswith(prefix) for prefix in _KERAS_MODULES)


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
        if registered is None and _is_builtin(cls):
            module = _keras_module(cls)
            registered = cls.__name__ if cls.__name__ in _KERAS_PRIVATE else None
        else:
            # A custom class: Keras writes its module and its (registered) name.
            module = None if cls.__module__ == "__main__" else cls.__module__
            registered = registered or cls.__name__
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}")
        serialized = {
            "module": module,
            "class_name": cls.__name__,
            "config": serialize_keras_object(config),
            "registered_name": registered,
        }
        _add_build_and_compile_config(obj, serialized)
        _record_serialized(obj, serialized)
        return serialized
    raise TypeError(f"Cannot serialize {obj!r}: it has no `get_config` method.")


def _add_build_and_compile_config(obj, config: dict) -> None:
    get_build_config = getattr(obj, "get_build_config", None)
    if callable(get_build_config):
        build_config = get_build_config()
        if build_config is not None:
            config["build_config"] = serialize_keras_object(dict(build_config))
    get_compile_config = getattr(obj, "get_compile_config", None)
    if callable(get_compile_config):
        compile_config = get_compile_config()
        if compile_config is not None:
            config["compile_config"] = compile_config


# ----------------------------------------------------------- deserializing
def unknown_name_error(kind: str, name: str, known) -> ValueError:
    """A ValueError for an unknown string name, with a "did you mean" suggestion."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    # A long table of names drowns the message; list it only when it is short.
    listing = f" Known {kind}s: {', '.join(known)}." if len(known) <= 20 else ""
    return ValueError(
        f"Unknown {kind}: {name!r}.{hint}{listing} A custom one can be passed as an object, or "
        "registered with `kerasish.saving.register_keras_serializable()`, or given by name in "
        f"`custom_objects` (for example `custom_objects={{{name!r}: {name}}}`)."
    )


def _registered_by_suffix(name: str, custom_objects: dict | None):
    # Keras writes a registered function (and legacy files a registered class) under
    # its bare name ("my_loss"), and finds it among the registered "package>my_loss".
    # Two packages may register the same name: then the name alone decides nothing.
    for objects in (custom_objects or {}, _scoped_custom_objects(), _CUSTOM_OBJECTS):
        matches = {key: obj for key, obj in objects.items() if isinstance(key, str) and key.endswith(">" + name)}
        if len(matches) > 1:
            raise ValueError(
                f"The config names {name!r}, which several registered objects could be: "
                f"{sorted(matches)}. Pass the one meant in `custom_objects={{{name!r}: ...}}`."
            )
        if matches:
            return next(iter(matches.values()))
    return None


def deserialize_keras_object(
    config,
    module_objects: dict | None = None,
    custom_objects: dict | None = None,
    kind: str = "object",
    safe_mode: bool | None = None,
):
    """Rebuilds an object from `serialize_keras_object`'s output (or a bare class name).

    Classes are looked up by name in `custom_objects`, the custom-object scope, the
    registry and `module_objects`; the config's `module` is accepted in any of Keras's
    spellings (`keras.layers`, `keras.src.layers.core.dense`, `keras.engine...`) and
    never imported. A `build_config` builds the new object and a `compile_config`
    compiles it, as Keras does.
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            obj = _registered_by_suffix(config, custom_objects)
        if obj is None:
            raise unknown_name_error(kind, config, (module_objects or {}).keys())
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {kind}: expected a dict with 'class_name'. Received: {config!r}")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if inner is None:
        inner = {}
    if class_name == "__lambda__":
        safe = safe_mode if safe_mode is not None else in_safe_mode()
        if safe is None or safe:
            raise unsafe_config_error("a `lambda` object")
        raise ValueError(
            "This config holds a `lambda` (Python bytecode) outside a `Lambda` layer, which kerasish cannot "
            "load yet. Replace it with a named function registered with `register_keras_serializable()`."
        )
    if class_name == "function":
        return deserialize_keras_object(inner, module_objects, custom_objects, kind, safe_mode)
    shared = _shared_object(config)
    if shared is not None:
        return shared
    registered = config.get("registered_name")
    cls = None
    if registered:
        cls = get_registered_object(registered, custom_objects)
    if cls is None:
        cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        cls = _registered_by_suffix(class_name, custom_objects)
    if cls is None:
        raise unknown_name_error(kind, class_name, (module_objects or {}).keys())
    with CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
        obj = cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
        build_config = config.get("build_config")
        if build_config and not getattr(obj, "built", True) and hasattr(obj, "build_from_config"):
            obj.build_from_config(build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(obj, "compile_from_config"):
            obj.compile_from_config(compile_config)
    _record_deserialized(obj, config)
    return obj
