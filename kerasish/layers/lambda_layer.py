"""Lambda: wraps a function of tensors as a layer."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

import numpy as np

from kerasish import ops
from kerasish.layers.layer import Layer, is_shape, map_shapes
from kerasish.ops.symbolic import KerasTensor, compute_output_spec
from kerasish.saving import serialization


def _is_anonymous(fn) -> bool:
    """Whether `fn` cannot be found again by its module and name (a lambda or a local function)."""
    name = getattr(fn, "__name__", "")
    return name == "<lambda>" or "<locals>" in getattr(fn, "__qualname__", "")


def _lookup_function(name: str, module: str | None, custom_objects: dict | None):
    """A function by name: custom objects, then the registry, then kerasish's own modules."""
    found = serialization.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if module and (module == "kerasish" or module.startswith("kerasish.")):
        # Only kerasish's own modules are imported: a config never names code to load.
        try:
            found = vars(importlib.import_module(module)).get(name)
        except ImportError:
            found = None
    elif module and (module == "builtins" or module.startswith("keras")):
        # Keras writes its own functions (ops, activations) with these modules.
        from kerasish import activations

        found = getattr(ops, name, None) or getattr(activations, name, None)
    if found is not None and callable(found):
        return found
    raise ValueError(
        f"Lambda: could not find the function {name!r} (module {module!r}) to rebuild the layer. Register it "
        "with `kerasish.saving.register_keras_serializable()` or pass it in `custom_objects`."
    )


def _load_lambda_bytecode(code, defaults=None, closure=None):
    """A function from Keras's `__lambda__` form (`python_utils.func_dump`): base64 of marshalled code.

    This runs code from the file, so it is only called when the user turned safe mode
    off. The bytecode is Python-version specific, as in Keras. Its globals are a small
    namespace (`keras`/`ops`/`np` names point at kerasish and NumPy), not a module's.
    """
    import base64
    import binascii
    import builtins
    import marshal
    import types

    try:
        raw = base64.b64decode(code.encode("ascii"), validate=False)
        compiled = marshal.loads(raw)
    except (AttributeError, UnicodeEncodeError, binascii.Error, ValueError, EOFError, TypeError) as e:
        raise ValueError(
            "Could not decode a lambda's bytecode from the config (it must come from the same Python "
            f"version that wrote it): {e}"
        ) from e
    if not isinstance(compiled, types.CodeType):
        raise ValueError(f"A lambda's bytecode decoded to {type(compiled).__name__}, not a code object.")
    import kerasish

    namespace = {"__builtins__": builtins, "keras": kerasish, "ops": kerasish.ops, "np": np}
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    if len(cells or ()) != len(compiled.co_freevars):
        raise ValueError(
            f"A lambda's config has {len(cells or ())} closure values; its code needs {len(compiled.co_freevars)}."
        )
    return types.FunctionType(compiled, namespace, compiled.co_name,
                              tuple(defaults) if defaults is not None else None, cells)


def _serialize_value(value):
    """Config form of `arguments` and `mask` values: arrays as Keras writes them."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if ops.is_tensor(value):
        array = ops.convert_to_numpy(value)
        return {"class_name": "__tensor__", "config": {"value": array.tolist(), "dtype": str(array.dtype)}}
    if isinstance(value, dict):
        return {k: _serialize_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_value(v) for v in value]
    return serialization.serialize_keras_object(value)


def _deserialize_value(config, custom_objects=None):
    if isinstance(config, dict) and config.get("class_name") in ("__numpy__", "__tensor__"):
        array = np.asarray(config["config"]["value"], dtype=config["config"]["dtype"])
        return array if config["class_name"] == "__numpy__" else ops.convert_to_tensor(array)
    if isinstance(config, dict) and "class_name" not in config:
        return {k: _deserialize_value(v, custom_objects) for k, v in config.items()}
    if isinstance(config, list):
        return [_deserialize_value(v, custom_objects) for v in config]
    if isinstance(config, dict):
        return serialization.deserialize_keras_object(config, custom_objects=custom_objects)
    return config


class Lambda(Layer):
    """Wraps a function of tensors as a layer: `Lambda(lambda x: x ** 2)`.

    Lambda layers suit simple expressions and quick experiments; a `Layer` subclass
    is easier to save and inspect. A Lambda whose function is a named, module-level
    function is saved by name (register it with
    `kerasish.saving.register_keras_serializable()` when it lives outside kerasish);
    one holding a Python lambda or a local function cannot be saved: Keras saves those
    as Python bytecode, which kerasish does not write, so `get_config` raises. A Keras
    Lambda saved as bytecode loads only with `safe_mode=False` (or after
    `kerasish.config.enable_unsafe_deserialization()`), since loading it runs code from the file.

    >>> import numpy as np
    >>> import kerasish as keras
    >>> layer = keras.layers.Lambda(lambda x: x ** 2)
    >>> keras.ops.convert_to_numpy(layer(np.array([[1.0, 2.0]], "float32"))).tolist()
    [[1.0, 4.0]]

    Args:
        function: the function; it takes the input as first argument, and may take
            `mask` and `training` keyword arguments.
        output_shape: the output shape: None to infer it by running the function
            abstractly; a tuple without the batch axis (which is taken from the input);
            or a function of the full input shape.
        mask: None (no output mask), a function `(inputs, mask) -> mask`, or a tensor
            used as the output mask whatever the input.
        arguments: a dict of keyword arguments passed to the function.

    Input shape:
        Whatever `function` takes.

    Output shape:
        As given by `output_shape`, or as the function returns.
    """

    def __init__(self, function: Callable, output_shape=None, mask=None, arguments: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: argument `function` must be callable. Received: function={function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: argument `arguments` must be a dict or None. Received: arguments={arguments!r}")
        if output_shape is not None and not callable(output_shape):
            if not isinstance(output_shape, (tuple, list)):
                raise TypeError(
                    "Lambda: argument `output_shape` must be None, a tuple (without the batch axis) or a function "
                    f"of the input shape. Received: output_shape={output_shape!r}"
                )
            output_shape = map_shapes(tuple, output_shape)
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            specs = map_shapes(lambda s: KerasTensor(s, self.compute_dtype), input_shape)
            try:
                out = compute_output_spec(self.call, specs)
            except Exception as e:
                raise NotImplementedError(
                    f"Lambda layer {self.name!r}: could not infer the output shape of its function ({e}). "
                    "Pass the `output_shape` argument."
                ) from e
            return _shapes_of(out)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0] if is_shape(input_shape) else _first_shape(input_shape)[0]
        return map_shapes(lambda s: (batch, *s), self._output_shape)

    def compute_output_spec(self, inputs, mask=None, training=None):
        if self._output_shape is None:
            return compute_output_spec(self.call, inputs, mask=mask, training=training)
        shapes = self.compute_output_shape(_shapes_of(inputs))
        return map_shapes(lambda s: KerasTensor(s, self.compute_dtype), shapes)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def _serialize_function(self, fn, what: str):
        if _is_anonymous(fn):
            raise ValueError(
                f"Lambda layer {self.name!r}: its `{what}` ({getattr(fn, '__qualname__', fn)!r}) is a Python "
                "lambda or a local function, which can only be saved as Python bytecode. kerasish does not "
                "serialize bytecode, because loading it could run arbitrary code. Use a named module-level "
                "function (registered with `kerasish.saving.register_keras_serializable()`), or write a "
                "`Layer` subclass with its own `get_config()`."
            )
        if not (inspect.isfunction(fn) or inspect.isbuiltin(fn)):
            if hasattr(fn, "get_config"):
                return serialization.serialize_keras_object(fn)
            raise ValueError(
                f"Lambda layer {self.name!r}: its `{what}` ({fn!r}) is neither a named function nor an object "
                "with `get_config()`, so it cannot be saved. Use a named module-level function."
            )
        name = serialization.get_registered_name(fn)
        return {"module": getattr(fn, "__module__", None), "class_name": "function", "config": name,
                "registered_name": name}

    def get_config(self):
        config = {"function": self._serialize_function(self.function, "function")}
        if self._output_shape is not None:
            config["output_shape"] = (self._serialize_function(self._output_shape, "output_shape")
                                      if callable(self._output_shape) else self._output_shape)
        if self.mask is not None:
            config["mask"] = self._serialize_function(self.mask, "mask") if callable(self.mask) else _serialize_value(self.mask)
        config["arguments"] = _serialize_value(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)

        def function_from(value, what):
            if isinstance(value, dict) and value.get("class_name") == "__lambda__":
                if serialization.in_safe_mode() is not False:
                    raise serialization.unsafe_config_error(f"a `Lambda` layer whose `{what}` is a Python lambda")
                # Safe mode is off: the user trusts the file (Keras's `func_load`).
                inner = value.get("config") or {}
                return _load_lambda_bytecode(inner.get("code"), inner.get("defaults"), inner.get("closure"))
            if isinstance(value, dict) and value.get("class_name") == "function":
                return _lookup_function(value["config"], value.get("module"), custom_objects)
            if isinstance(value, str):
                return _lookup_function(value, None, custom_objects)
            if isinstance(value, dict) and value.get("class_name") not in (None, "__numpy__", "__tensor__"):
                return serialization.deserialize_keras_object(value, custom_objects=custom_objects)
            return None

        config["function"] = function_from(config["function"], "function") or config["function"]
        if "output_shape" in config:
            shape = config["output_shape"]
            found = function_from(shape, "output_shape")
            config["output_shape"] = found if found is not None else _tuples(shape)
        if "mask" in config:
            mask = config["mask"]
            found = function_from(mask, "mask")
            config["mask"] = found if found is not None else _deserialize_value(mask, custom_objects)
        if "arguments" in config:
            config["arguments"] = _deserialize_value(config["arguments"], custom_objects)
        return super().from_config(config)


def _shapes_of(structure):
    if isinstance(structure, KerasTensor):
        return structure.shape
    if isinstance(structure, dict):
        return {k: _shapes_of(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_shapes_of(v) for v in structure)
    return structure


def _first_shape(shapes):
    if is_shape(shapes):
        return shapes
    values = list(shapes.values()) if isinstance(shapes, dict) else list(shapes)
    return _first_shape(values[0])


def _tuples(shape):
    """A JSON output shape (lists) back to tuples."""
    if isinstance(shape, list) and is_shape(shape):
        return tuple(shape)
    if isinstance(shape, list):
        return [_tuples(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _tuples(v) for k, v in shape.items()}
    return shape
