"""Keras 2's `.h5` layout: weights by layer (`layer_names`, `weight_names`), and whole models.

A weights file (or the `model_weights` group of a model file) holds:

- attributes `layer_names` (the model's layers, in `model.layers` order), `backend`
  and `keras_version`;
- one group per layer, named after it, with attribute `weight_names` and one
  dataset per weight, named `<layer>/<weight>:0` (so `dense/dense/kernel:0`);
  a layer's weights are its trainable weights, then its non-trainable ones;
- a group `top_level_model_weights` for weights the model owns directly (as Keras 3
  writes it; Keras 2 readers ignore it, since it is not in `layer_names`).

A model file adds root attributes `model_config` and `training_config` (JSON), and
the optimizer's state under `optimizer_weights`.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

import kerasish.backend as kb
from kerasish.saving import compile_config as compile_config_lib
from kerasish.saving.file_utils import WeightsFileError, atomic_write, h5py_module
from kerasish.saving.loading import (
    LoadReport,
    StagedAssignments,
    WeightMismatchError,
    check_values,
    read_array,
    reading,
)
from kerasish.saving.saving_lib import (
    KERAS_VERSION,
    json_default,
    load_optimizer_state,
    rebuild_model,
)
from kerasish.saving.serialization import ObjectSharingScope, serialize_keras_object

# An HDF5 object header holds at most this many bytes of attributes; longer name
# lists are split over `name0`, `name1`, ... as Keras does.
HDF5_OBJECT_HEADER_LIMIT = 64512
TOP_LEVEL_GROUP = "top_level_model_weights"


# ------------------------------------------------------------- attributes
def save_attributes_to_hdf5_group(group, name: str, data: list) -> None:
    """Stores a list of byte strings as attribute `name`, chunked if too large for one header."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(
            f"These names are longer than {HDF5_OBJECT_HEADER_LIMIT} bytes and cannot be stored in an "
            f"HDF5 attribute: {too_long}"
        )
    array = np.asarray(data)
    chunks = 1
    split = np.array_split(array, chunks)
    while any(x.nbytes > HDF5_OBJECT_HEADER_LIMIT for x in split):
        chunks += 1
        split = np.array_split(array, chunks)
    if chunks > 1:
        for i, chunk in enumerate(split):
            group.attrs[f"{name}{i}"] = chunk
    else:
        group.attrs[name] = data


def load_attributes_from_hdf5_group(group, name: str) -> list[str]:
    """The list stored by `save_attributes_to_hdf5_group` (chunked or not), as strings."""

    def decode(values):
        return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]

    if name in group.attrs:
        return decode(group.attrs[name])
    data, i = [], 0
    while f"{name}{i}" in group.attrs:
        data.extend(decode(group.attrs[f"{name}{i}"]))
        i += 1
    return data


# ----------------------------------------------------------------- saving
def legacy_weights(layer) -> list:
    """A layer's weights in the legacy order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _own_weights(model) -> list:
    own = list(model._variables)
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def _weight_names(weights) -> list[bytes]:
    names, used = [], set()
    for w in weights:
        base = getattr(w, "path", None) or w.name
        name, n = f"{base}:0", 0
        while name in used:  # two weights with one path (same-named layers): keep both
            n += 1
            name = f"{base}_{n}:0"
        used.add(name)
        names.append(name.encode("utf8"))
    return names


def save_subset_weights_to_hdf5_group(group, weights) -> None:
    names = _weight_names(weights)
    save_attributes_to_hdf5_group(group, "weight_names", names)
    for name, w in zip(names, weights):
        group.create_dataset(name.decode("utf8"), data=np.asarray(w.numpy()))


def save_weights_to_hdf5_group(f, model) -> None:
    """Writes the weights of `model.layers` (and the model's own) into an open HDF5 group."""
    layers = list(model.layers)
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"Model {model.name!r} has several layers named {duplicates}; the .h5 layout stores weights "
            "by layer name, so names must be unique. Rename the layers, or save to `.weights.h5`."
        )
    save_attributes_to_hdf5_group(f, "layer_names", [n.encode("utf8") for n in names])
    f.attrs["backend"] = kb.get().name.encode("utf8")
    f.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    # Sorted by name, as Keras writes them.
    for layer in sorted(layers, key=lambda layer: layer.name):
        save_subset_weights_to_hdf5_group(f.create_group(layer.name), legacy_weights(layer))
    save_subset_weights_to_hdf5_group(f.create_group(TOP_LEVEL_GROUP), _own_weights(model))


def save_weights(model, filepath: str, overwrite: bool = True) -> None:
    """Writes `model`'s weights to a `.h5` file in Keras 2's layout, atomically."""
    h5py = h5py_module()
    with atomic_write(filepath, overwrite) as temp:
        with h5py.File(temp, "w") as f:
            save_weights_to_hdf5_group(f, model)


def save_model_to_hdf5(model, filepath: str, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Writes a whole model to a legacy `.h5` file: config, training config, weights, optimizer state."""
    h5py = h5py_module()
    with ObjectSharingScope():  # a layer shared with a nested model is marked, and rebuilt once
        serialized = serialize_keras_object(model)
    model_config = {"class_name": serialized["class_name"], "config": serialized["config"]}
    # Keras's legacy files hold only the two keys above (and cannot reload subclassed
    # models). The registered name finds a custom model class without ambiguity, and the
    # build config builds it before its weights load; Keras's reader ignores both.
    for key in ("registered_name", "build_config"):
        if serialized.get(key):
            model_config[key] = serialized[key]
    training_config = compile_config_lib.training_config(model) if include_optimizer else None
    with atomic_write(filepath, overwrite) as temp:
        with h5py.File(temp, "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION
            f.attrs["backend"] = kb.get().name
            f.attrs["model_config"] = json.dumps(model_config, default=json_default).encode("utf8")
            if training_config is not None:
                f.attrs["training_config"] = json.dumps(training_config, default=json_default).encode("utf8")
            save_weights_to_hdf5_group(f.create_group("model_weights"), model)
            optimizer = getattr(model, "optimizer", None)
            if include_optimizer and optimizer is not None and optimizer.variables:
                group = f.create_group("optimizer_weights")
                save_subset_weights_to_hdf5_group(group, optimizer.variables)


# ---------------------------------------------------------------- loading
def _read_group(f, name: str, filepath: str):
    with reading(filepath, f"group {name!r}"):
        if name not in f:
            raise WeightsFileError(
                f"{filepath!r} lists layer {name!r} in `layer_names` but has no group for it: the file is "
                "incomplete or corrupt."
            )
        return f[name]


def _read_subset(group, filepath: str) -> list[np.ndarray]:
    with reading(filepath, f"the weight names of {group.name!r}"):
        names = load_attributes_from_hdf5_group(group, "weight_names")
        present = set(group.keys())
    values = []
    for name in names:
        if name.split("/")[0] not in present:
            raise WeightsFileError(
                f"{filepath!r}: group {group.name!r} lists weight {name!r} in `weight_names` but has no "
                "dataset for it: the file is incomplete or corrupt."
            )
        values.append(read_array(group, name, filepath))
    return values


def _stage(variables, values, staged: StagedAssignments) -> None:
    staged.stage(lambda: [v.assign(x) for v, x in zip(variables, values)])


def _try_layer(owner, variables, values, where, staged, skip_mismatch, report, entry) -> None:
    try:
        check_values(owner, variables, values, where)
    except WeightMismatchError as e:
        if not skip_mismatch:
            raise
        report.skipped.append((entry, str(e)))
        return
    _stage(variables, values, staged)
    report.loaded.append(entry)


def load_weights_from_hdf5_group(f, model, filepath: str, skip_mismatch: bool = False,
                                 by_name: bool = False) -> LoadReport:
    """Loads Keras 2-layout weights from an open HDF5 group into `model`, all or nothing.

    By default layers are matched in order (the layers with weights of the model, to
    the layers with weights of the file); with `by_name`, by name, and layers found on
    one side only are left alone (and reported).
    """
    report = LoadReport(filepath=filepath, format="keras2")
    staged = StagedAssignments()
    with reading(filepath, "`layer_names`"):
        layer_names = load_attributes_from_hdf5_group(f, "layer_names")
    saved = {}
    for name in layer_names:
        values = _read_subset(_read_group(f, name, filepath), filepath)
        if values:
            saved[name] = values
    layers = [layer for layer in model.layers if legacy_weights(layer)]

    if by_name:
        by_layer_name = {layer.name: layer for layer in layers}
        for name, values in saved.items():
            layer = by_layer_name.get(name)
            if layer is None:
                report.unused.append(name)
                continue
            _try_layer(f"Layer {layer.name!r}", legacy_weights(layer), values,
                       f"layer {name!r} in {filepath!r}", staged, skip_mismatch, report, name)
        for layer in layers:
            if layer.name not in saved:
                report.skipped.append((layer.name, f"no layer named {layer.name!r} in the file"))
    else:
        if len(saved) != len(layers):
            raise WeightMismatchError(
                f"Layer count mismatch when loading weights from {filepath!r}: the model has "
                f"{len(layers)} layers with weights {[layer.name for layer in layers]}, the file "
                f"{len(saved)} {list(saved)}. Pass `by_name=True` to load the layers whose names match."
            )
        for k, (layer, (name, values)) in enumerate(zip(layers, saved.items())):
            _try_layer(f"Layer #{k} (named {layer.name!r} in the model, {name!r} in the file)",
                       legacy_weights(layer), values, f"{filepath!r}", staged, skip_mismatch, report, name)

    if TOP_LEVEL_GROUP in f:
        values = _read_subset(_read_group(f, TOP_LEVEL_GROUP, filepath), filepath)
        own = _own_weights(model)
        if values or own:
            _try_layer(f"Model {model.name!r} (its own weights)", own, values,
                       f"{TOP_LEVEL_GROUP!r} in {filepath!r}", staged, skip_mismatch, report, TOP_LEVEL_GROUP)
    staged.apply()
    return report


def _from_keras2_config(config):
    """Keras 2's layer configs as Keras 3 reads them (`saving_utils.model_from_config`).

    Keras 2 writes a built layer's `axis` as a list (`BatchNormalization`: `"axis": [3]`);
    a one-element list becomes its int, in the model's config and its layers', nested
    models' included.
    """
    if isinstance(config, list):
        return [_from_keras2_config(c) for c in config]
    if not (isinstance(config, dict) and "class_name" in config and isinstance(config.get("config"), dict)):
        return config
    inner = dict(config["config"])
    axis = inner.get("axis")
    if isinstance(axis, list) and len(axis) == 1 and isinstance(axis[0], int):
        inner["axis"] = axis[0]
    if isinstance(inner.get("layers"), list):
        inner["layers"] = _from_keras2_config(inner["layers"])
    return {**config, "config": inner}


def load_model_from_hdf5(f, filepath: str, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """A model from an open legacy `.h5` model file (one with a `model_config` attribute)."""
    from kerasish import layers

    def read_json_attribute(name):
        raw = f.attrs.get(name)
        if raw is None:
            return None
        if hasattr(raw, "decode"):
            raw = raw.decode("utf-8")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise WeightsFileError(f"Attribute {name!r} of {filepath!r} is not valid JSON ({e}).") from e

    model_config = read_json_attribute("model_config")
    if not isinstance(model_config, dict) or "class_name" not in model_config:
        raise WeightsFileError(
            f"No model config found in {filepath!r} (its `model_config` attribute is missing or is not a "
            "dict with 'class_name'). A weights-only file is loaded with `model.load_weights`."
        )
    model_config = _from_keras2_config(model_config)
    model = rebuild_model(model_config, filepath, lambda: layers.deserialize(model_config, custom_objects),
                          custom_objects, safe_mode)
    if "model_weights" not in f:
        raise WeightsFileError(f"{filepath!r} has a model config but no `model_weights` group.")
    load_weights_from_hdf5_group(f["model_weights"], model, filepath)
    training_config = read_json_attribute("training_config") if compile else None
    if training_config is None:
        return model
    model.compile(**compile_config_lib.compile_args_from_training_config(training_config))
    if model.built and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    if "optimizer_weights" in f:
        staged = StagedAssignments()
        values = _read_subset(_read_group(f, "optimizer_weights", filepath), filepath)
        try:
            load_optimizer_state(model.optimizer, values, f"'optimizer_weights' in {filepath!r}", staged)
        except WeightMismatchError as e:
            warnings.warn(
                f"Could not restore the optimizer's state: {e} The model starts with a fresh optimizer.",
                stacklevel=3,
            )
            return model
        staged.apply()
    return model
