"""A model's `compile()` arguments, to and from Keras's `compile_config` and legacy `training_config`."""

from __future__ import annotations

import inspect
import warnings

import kerasish.backend as kb
from kerasish.saving.serialization import get_registered_name, serialize_keras_object

# The keys of Keras 3's compile config, in the order Keras records them.
_COMPILE_KEYS = (
    "optimizer",
    "loss",
    "loss_weights",
    "metrics",
    "weighted_metrics",
    "run_eagerly",
    "steps_per_execution",
    "jit_compile",
)


def compile_args(model) -> dict | None:
    """The arguments `model` was compiled with (the optimizer as the object), or None."""
    if not getattr(model, "compiled", False):
        return None
    compile_loss = getattr(model, "_compile_loss", None)
    compile_metrics = getattr(model, "_compile_metrics", None)
    return {
        "optimizer": model.optimizer,
        "loss": getattr(compile_loss, "_loss", None),
        "loss_weights": getattr(compile_loss, "_loss_weights", None),
        "metrics": getattr(compile_metrics, "_user_metrics", None),
        "weighted_metrics": getattr(compile_metrics, "_user_weighted_metrics", None),
        "run_eagerly": bool(model.run_eagerly),
        "steps_per_execution": model.steps_per_execution,
        "jit_compile": bool(model._jit_compile),
    }


def _serialize_compile_value(value):
    # Keras's serializer writes a plain function as a "function" config whose module is
    # "builtins" (it looks the function's class up, not the function), and reads it
    # back by name among its built-in and registered functions.
    if inspect.isfunction(value):
        return {"module": "builtins", "class_name": "function", "config": value.__name__, "registered_name": "function"}
    if isinstance(value, (list, tuple)):
        return [_serialize_compile_value(v) for v in value]
    if isinstance(value, dict) and not hasattr(value, "get_config"):
        return {k: _serialize_compile_value(v) for k, v in value.items()}
    return serialize_keras_object(value)


def get_compile_config(model) -> dict | None:
    """Keras 3's `compile_config`: the compile arguments, serialized (None if not compiled)."""
    args = compile_args(model)
    if args is None:
        return None
    return {key: _serialize_compile_value(args[key]) for key in _COMPILE_KEYS}


def _deserialize_nested(config, deserialize):
    # Names ("mse", "accuracy") stay names: compile resolves them itself, and
    # "accuracy" must stay a name so that compile can pick its variant.
    if config is None or isinstance(config, (str, bool, int, float)):
        return config
    if isinstance(config, dict) and "class_name" in config:
        return deserialize(config)
    if isinstance(config, dict):
        return {k: _deserialize_nested(v, deserialize) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [_deserialize_nested(v, deserialize) for v in config]
    raise ValueError(f"Could not read a compile argument from the saved config. Received: {config!r}")


def _compile_kwargs(config: dict) -> dict:
    from kerasish import losses, metrics, optimizers

    kwargs = {}
    optimizer = config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer)
    if optimizer is not None:
        kwargs["optimizer"] = optimizer
    kwargs["loss"] = _deserialize_nested(config.get("loss"), losses.deserialize)
    kwargs["loss_weights"] = config.get("loss_weights")
    kwargs["metrics"] = _deserialize_nested(config.get("metrics"), metrics.deserialize)
    kwargs["weighted_metrics"] = _deserialize_nested(config.get("weighted_metrics"), metrics.deserialize)
    for key in ("run_eagerly", "steps_per_execution"):
        if config.get(key) is not None:
            kwargs[key] = config[key]
    jit_compile = config.get("jit_compile")
    if jit_compile is not None:
        # A model saved where steps compile may be loaded on a backend that does not
        # compile: there "auto" is what the saved True meant.
        kwargs["jit_compile"] = jit_compile if (not jit_compile or kb.get().supports_jit) else "auto"
    return kwargs


def _compile_is_overridden(model) -> bool:
    from kerasish.trainers.trainer import Trainer

    return type(model).compile is not Trainer.compile


def compile_from_config(model, config: dict) -> None:
    """Compiles `model` from a `compile_config`, and builds its optimizer when the model is built."""
    if _compile_is_overridden(model):
        warnings.warn(
            f"`compile()` was not called as part of loading model {model.name!r} because the model's "
            "`compile()` method is custom. Subclassed models that override `compile()` should also "
            "override `get_compile_config()` and `compile_from_config(config)`; alternatively, call "
            "`compile()` manually after loading.",
            stacklevel=2,
        )
        return
    model.compile(**_compile_kwargs(config))
    if model.optimizer is not None and model.built and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


# ---------------------------------------------------------- legacy .h5 files
def training_config(model) -> dict | None:
    """The legacy `training_config` attribute of a .h5 model file (None if not compiled).

    As Keras writes it: the compile arguments without the optimizer (functions by name),
    and the optimizer under `optimizer_config` as `{"class_name", "config"}`.
    """
    args = compile_args(model)
    if args is None or args["optimizer"] is None:
        return None
    config = {k: serialize_keras_object(v) for k, v in args.items() if k != "optimizer"}
    optimizer = args["optimizer"]
    config["optimizer_config"] = {
        "class_name": get_registered_name(type(optimizer)),
        "config": optimizer.get_config(),
    }
    return config


def compile_args_from_training_config(config: dict) -> dict:
    """`compile()` keyword arguments from a legacy `training_config`."""
    optimizer_config = config.get("optimizer_config")
    if not isinstance(optimizer_config, dict) or "class_name" not in optimizer_config:
        raise ValueError(
            "The file's `training_config` has no valid `optimizer_config` (a dict with 'class_name'). "
            f"Received: {optimizer_config!r}"
        )
    return _compile_kwargs({**config, "optimizer": optimizer_config})
