"""Keras 3's formats: `.weights.h5` (the `layers/<name>/vars/<i>` layout) and `.keras` archives.

Where each object's variables go is decided exactly as Keras 3's `saving_lib` decides
it, so that files move between kerasish and Keras 3:

- an object's own variables go to `<path>/vars/0`, `<path>/vars/1`, ... (`vars` at
  the root for the model itself), written by its `save_own_variables(store)`: a
  layer's trainable variables, then its non-trainable ones, in creation order;
- a Sequential or Functional model's `layers` come first, under `layers/`;
- then every attribute not inherited from the base `Layer`, in sorted order (private
  names last), under the attribute's name: a sublayer at `dense1/`, the optimizer at
  `optimizer/`;
- objects inside a list, tuple or dict are named by their snake-cased class name,
  numbered within the container (`layers/dense`, `layers/dense_1`, ...): names of
  layers are not used, since they change from one instance of a model to another;
- an object reached twice (a shared layer) is saved once, where it was first reached.

Every `Layer` gets a `vars` group, empty when it has no variables, as in Keras.
Metrics and losses hold no saved state, as in Keras.
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import warnings
import zipfile

import numpy as np

import kerasish.backend as kb
from kerasish.saving.file_utils import WeightsFileError, atomic_write, h5py_module, open_h5
from kerasish.saving.loading import (
    LoadReport,
    StagedAssignments,
    WeightMismatchError,
    check_values,
    read_array,
    reading,
)
from kerasish.saving.serialization import (
    CustomObjectScope,
    ObjectSharingScope,
    SafeModeScope,
    serialize_keras_object,
)
from kerasish.utils import naming

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
VARS_FILENAME = "model.weights.h5"
# The Keras version whose formats these are, written where Keras writes its own
# version, so that Keras reads kerasish's files as files of that version.
KERAS_VERSION = "3.0.0"


# ------------------------------------------------------------- the walk
def obj_type(obj) -> str | None:
    """Keras's kind of saveable object ("Layer", "Sequential", ...), or None for anything else.

    Layers (models included) are walked into; the other kinds are leaves.
    """
    from kerasish.layers.layer import Layer
    from kerasish.losses.loss import Loss
    from kerasish.metrics.metric import Metric
    from kerasish.models.functional import Functional
    from kerasish.models.sequential import Sequential
    from kerasish.ops.operation import Operation
    from kerasish.optimizers.base_optimizer import Optimizer

    if isinstance(obj, Sequential):
        return "Sequential"
    if isinstance(obj, Functional):
        return "Functional"
    if isinstance(obj, Metric):  # before Layer: a metric is never walked as a layer
        return "Metric"
    if isinstance(obj, Layer):
        return "Layer"
    if isinstance(obj, Optimizer):
        return "Optimizer"
    if isinstance(obj, Loss):
        return "Loss"
    if isinstance(obj, Operation):
        # Keras's operations are saveable objects too (with no state): they count when
        # the objects of a container are numbered.
        return "Operation"
    return None


@functools.cache
def _base_layer_attributes() -> frozenset:
    from kerasish.layers.layer import Layer

    # A named probe: an unnamed Layer would take an automatic name ("layer") from the user.
    return frozenset(dir(Layer(name="saving_attribute_probe")))


def _skiplist(kind: str) -> frozenset:
    base = _base_layer_attributes()
    if kind == "Functional":
        return base | {"operations", "_operations"}
    if kind == "Sequential":
        # kerasish's Sequential keeps its InputLayer and its stack itself (Keras keeps
        # them in attributes of the base Layer, which are skipped the same way).
        return base | {"_functional", "_input_layer", "_stack", "_graph_nodes", "_output_tensor"}
    return base


def _name_key(name: str) -> str:
    # Private attributes are visited last.
    return "~" + name if name.startswith("_") else name


def _children(obj, kind: str):
    """(attribute name, value) pairs to visit below `obj`, in Keras's order."""
    if kind in ("Sequential", "Functional"):
        yield "layers", obj.layers
    skip = _skiplist(kind)
    for name in sorted(dir(obj), key=_name_key):
        if name.startswith("__") or name in skip:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                child = getattr(obj, name)
        except Exception:
            continue  # a property that cannot be read now holds nothing to save
        yield name, child


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def walk_saveables(root):
    """(path, object, kind) for every saveable reachable from `root`, each once, in Keras's order.

    Layers are walked into; optimizers, metrics, losses and operations are leaves
    (their state, if any, is their own variables).
    """
    visited: set[int] = set()
    stack = [("", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in visited:
            continue
        visited.add(id(obj))
        kind = obj_type(obj)
        yield path, obj, kind
        if kind not in ("Layer", "Sequential", "Functional"):
            continue
        found = []
        for name, child in _children(obj, kind):
            if obj_type(child) is not None:
                found.append((_join(path, name), child))
            elif isinstance(child, (list, tuple, dict, set)):
                found.extend(_container_children(child, _join(path, name)))
        # Depth first, in order: push in reverse so that the first child is visited first.
        stack.extend(reversed(found))


def _container_children(container, path: str):
    items = list(container.values()) if isinstance(container, dict) else list(container)
    used: dict[str, int] = {}
    for item in items:
        if obj_type(item) is None:
            continue
        name = naming.to_snake_case(type(item).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        yield _join(path, name), item


# ------------------------------------------------------- stores (h5 groups)
def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "numpy") and callable(value.numpy):
        return np.asarray(value.numpy())
    if kb.get().is_tensor(value):
        return np.asarray(kb.get().to_numpy(value))
    return np.asarray(value)


class H5WriteEntry:
    """The `vars` group of one object, for its `save_own_variables(store)`: `store["0"] = value`."""

    def __init__(self, h5file, path: str):
        self.path = _vars_path(path)
        self.group = h5file.create_group(self.path)

    def __setitem__(self, key: str, value) -> None:
        self.group.create_dataset(str(key), data=_to_numpy(value))

    def __getitem__(self, key: str):
        return np.asarray(self.group[key][()])

    def keys(self):
        return list(self.group.keys())

    def __len__(self) -> int:
        return len(self.group)

    def __contains__(self, key) -> bool:
        return key in self.group


class H5ReadEntry:
    """The `vars` group of one object in a file being loaded; empty if the file has none.

    `where` names the group and the file, for error messages.
    """

    def __init__(self, h5file, path: str, filepath: str):
        self.path = _vars_path(path)
        self.filepath = filepath
        self.group = None
        self._keys: list[str] = []
        with reading(filepath, f"group {self.path!r}"):
            candidates = [self.path]
            if "_layer_checkpoint_dependencies" in h5file:
                # Files written by Keras 2.13 name the `layers` container this way.
                candidates.append(self.path.replace("layers", "_layer_checkpoint_dependencies"))
            for candidate in candidates:
                found = h5file.get(candidate)
                if found is not None and hasattr(found, "keys"):
                    self.path, self.group = candidate, found
                    self._keys = list(found.keys())
                    break

    @property
    def found(self) -> bool:
        return self.group is not None

    @property
    def where(self) -> str:
        return f"{self.path!r} in {self.filepath!r}"

    def keys(self) -> list[str]:
        return list(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._keys:
            raise WeightMismatchError(f"{self.where} has no weight {key!r} (it holds {self._keys}).")
        return read_array(self.group, key, self.filepath)


# ---------------------------------------- default save/load of a layer's variables
def layer_variables(layer) -> list:
    """A layer's own variables in saving order: trainable ones, then the others (as Keras)."""
    own = list(layer._variables)
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def save_layer_variables(layer, store) -> None:
    """`Layer.save_own_variables`: each own variable under "0", "1", ..."""
    for i, variable in enumerate(layer_variables(layer)):
        store[str(i)] = variable.numpy()


def load_layer_variables(layer, store) -> None:
    """`Layer.load_own_variables`: checks the count and shapes, then assigns."""
    variables = layer_variables(layer)
    where = getattr(store, "where", "the store")
    keys = list(store.keys())
    # With the right count, read "0", "1", ... in order; otherwise read what is there,
    # for the error message.
    values = [store[str(i)] for i in range(len(keys))] if len(keys) == len(variables) else [store[k] for k in keys]
    owner = f"Layer {layer.name!r}"
    if not variables and values and not layer.built:
        owner += " (not built, so it has no weights yet: build the model, e.g. call it on data, before loading)"
    check_values(owner, variables, values, where)
    for variable, value in zip(variables, values):
        variable.assign(value)


def _optimizer_base_count(optimizer) -> int:
    # The variables an optimizer has before `build`: "iteration", and "learning_rate"
    # unless the rate is a schedule; they come first, in Keras as in kerasish.
    return sum(1 for v in optimizer.variables[:2] if v.name in ("iteration", "learning_rate"))


def load_optimizer_state(optimizer, values: list, where: str, staged: StagedAssignments) -> str | None:
    """Stages `values` into the optimizer's variables; returns a note when only part could be used.

    A file written before the optimizer was built holds only its first variables
    (iteration, learning rate): those are loaded, and the other (fresh) slots kept.

    Raises:
        WeightMismatchError: if the values do not fit the optimizer.
    """
    variables = optimizer.variables
    base = _optimizer_base_count(optimizer)
    if len(values) != len(variables) and optimizer.built and len(values) == base and base < len(variables):
        check_values(f"Optimizer {optimizer.name!r}", variables[:base], values, where)
        staged.stage(lambda: [v.assign(x) for v, x in zip(variables[:base], values)])
        return "the saved optimizer was never built: its iteration and learning rate were loaded, its slots kept"
    check_values(f"Optimizer {optimizer.name!r}", variables, values, where)
    staged.stage(lambda: [v.assign(x) for v, x in zip(variables, values)])
    return None


# ------------------------------------------------------------- saving
def save_state(model, h5file) -> None:
    """Writes the variables of `model` and everything it holds into an open h5py file."""
    for path, obj, _kind in walk_saveables(model):
        save = getattr(obj, "save_own_variables", None)
        if callable(save):
            save(H5WriteEntry(h5file, path))


def save_weights_only(model, filepath: str, overwrite: bool = True) -> None:
    """Writes `model`'s variables (and its optimizer's) to a `.weights.h5` file, atomically."""
    h5py = h5py_module()
    with atomic_write(filepath, overwrite) as temp:
        with h5py.File(temp, "w") as f:
            save_state(model, f)


def json_default(value):
    """`json.dumps`'s fallback for configs: NumPy scalars and arrays as plain values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"Cannot write {value!r} (of type {type(value).__name__}) into a model config: configs hold "
        "plain values (numbers, strings, lists, dicts). Make `get_config()` return plain values."
    )


def config_json(model) -> str:
    """The model's config as Keras's `config.json` holds it (with build and compile configs)."""
    with ObjectSharingScope():
        config = serialize_keras_object(model)
    return json.dumps(config, default=json_default)


def save_model(model, filepath: str, overwrite: bool = True) -> None:
    """Writes a `.keras` archive: `metadata.json`, `config.json`, `model.weights.h5`, atomically."""
    h5py = h5py_module()
    if not model.built:
        warnings.warn(
            f"You are saving model {model.name!r}, which has not yet been built. It might not contain "
            "any weights yet. Consider building the model first by calling it on some data.",
            stacklevel=3,
        )
    from kerasish import __version__

    metadata = json.dumps(
        {
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "kerasish_version": __version__,
        }
    )
    config = config_json(model)
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        save_state(model, f)
    with atomic_write(filepath, overwrite) as temp:
        with zipfile.ZipFile(temp, "w") as zf:
            zf.writestr(METADATA_FILENAME, metadata)
            zf.writestr(CONFIG_FILENAME, config)
            zf.writestr(VARS_FILENAME, weights.getvalue())


# ------------------------------------------------------------- loading
def _vars_groups(h5file, filepath: str) -> list[str]:
    """Paths of every non-empty `vars` group in the file."""
    found = []

    def visit(name, item):
        if (name == "vars" or name.endswith("/vars")) and hasattr(item, "keys") and len(item):
            found.append(name)

    with reading(filepath, "the list of its groups"):
        h5file.visititems(visit)
    return found


def load_state(
    model,
    h5file,
    filepath: str,
    skip_mismatch: bool = False,
    by_name: bool = False,
    optimizer_mismatch: str = "raise",
) -> LoadReport:
    """Loads every saveable of `model` from an open h5py file in Keras 3's layout, all or nothing.

    Args:
        skip_mismatch: leave objects whose weights do not fit (count or shape) unchanged
            instead of raising.
        by_name: leave objects with no entry in the file unchanged instead of raising
            (the entries are matched by their path in the file).
        optimizer_mismatch: "raise" (as for layers) or "warn" (Keras's behaviour when a
            whole model is loaded: the optimizer keeps its fresh state).

    Returns:
        A LoadReport. Nothing is assigned unless everything checked out.
    """
    report = LoadReport(filepath=filepath, format="keras3")
    staged = StagedAssignments()
    consumed: set[str] = set()
    for path, obj, kind in walk_saveables(model):
        if kind == "Optimizer":
            _load_optimizer_entry(obj, H5ReadEntry(h5file, path, filepath), report, staged, consumed,
                                  skip_mismatch, optimizer_mismatch)
            continue
        load = getattr(obj, "load_own_variables", None)
        if kind not in ("Layer", "Sequential", "Functional") or not callable(load):
            continue
        entry = H5ReadEntry(h5file, path, filepath)
        if entry.found:
            consumed.add(entry.path)
        if not layer_variables(obj) and not len(entry):
            continue
        if by_name and not entry.found:
            report.skipped.append((entry.path, f"layer {obj.name!r}: no entry {entry.path!r} in the file"))
            continue
        try:
            staged.stage(lambda obj=obj, entry=entry: obj.load_own_variables(entry))
        except WeightsFileError:
            raise
        except ValueError as e:
            if not skip_mismatch:
                raise
            report.skipped.append((entry.path, str(e)))
            continue
        report.loaded.append(entry.path)
    report.unused = [p for p in _vars_groups(h5file, filepath) if p not in consumed]
    staged.apply()
    return report


def _load_optimizer_entry(optimizer, entry, report, staged, consumed, skip_mismatch, optimizer_mismatch):
    if entry.found:
        consumed.add(entry.path)
    if not len(entry):
        if optimizer.variables:
            report.skipped.append((entry.path, f"optimizer {optimizer.name!r}: no optimizer state in the file"))
        return
    values = [entry[str(i)] for i in range(len(entry))]
    try:
        note = load_optimizer_state(optimizer, values, entry.where, staged)
    except WeightMismatchError as e:
        if optimizer_mismatch == "warn":
            warnings.warn(
                f"Skipping variable loading for optimizer {optimizer.name!r}: {e} The optimizer starts "
                "from a fresh state.",
                stacklevel=4,
            )
            report.skipped.append((entry.path, str(e)))
            return
        if not skip_mismatch:
            raise WeightMismatchError(
                f"{e} (Load the weights before `compile()`, or pass `skip_mismatch=True` to leave the "
                "optimizer's state as it is.)"
            ) from None
        report.skipped.append((entry.path, str(e)))
        return
    report.loaded.append(entry.path)
    if note:
        report.skipped.append((entry.path, note))


def load_weights_from_h5(model, h5file, filepath: str, skip_mismatch=False, by_name=False) -> LoadReport:
    return load_state(model, h5file, filepath, skip_mismatch=skip_mismatch, by_name=by_name)


def open_archive(filepath: str) -> zipfile.ZipFile:
    """The archive, after checking every member's checksum (a damaged archive is refused whole)."""
    try:
        archive = zipfile.ZipFile(filepath, "r")
    except (zipfile.BadZipFile, OSError) as e:
        raise WeightsFileError(f"Could not read {filepath!r} as a .keras archive (a zip file): {e}") from e
    try:
        damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        damaged = f"? ({e})"
    if damaged is not None:
        archive.close()
        raise WeightsFileError(
            f"The .keras archive {filepath!r} is damaged: member {damaged} fails its checksum "
            "(truncated or corrupt file?)."
        )
    return archive


def read_archive_member(archive: zipfile.ZipFile, name: str, filepath: str) -> bytes:
    if name not in archive.namelist():
        raise WeightsFileError(
            f"{filepath!r} is a zip file but not a .keras archive: it has no {name!r} "
            f"(it holds {archive.namelist()})."
        )
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise WeightsFileError(f"Could not read {name!r} from {filepath!r}: the archive is damaged ({e}).") from e


def load_weights_from_archive(model, filepath: str, skip_mismatch=False, by_name=False) -> LoadReport:
    """Loads the weights stored in a `.keras` archive into `model`."""
    with open_archive(filepath) as archive:
        data = read_archive_member(archive, VARS_FILENAME, filepath)
    with open_h5(io.BytesIO(data), f"{filepath}/{VARS_FILENAME}") as f:
        return load_state(model, f, f"{filepath}/{VARS_FILENAME}", skip_mismatch=skip_mismatch, by_name=by_name)


def load_model(filepath: str, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """A model from a `.keras` archive: rebuilt from `config.json`, then its weights loaded."""
    from kerasish import layers

    with open_archive(filepath) as archive:
        raw_config = read_archive_member(archive, CONFIG_FILENAME, filepath)
        data = read_archive_member(archive, VARS_FILENAME, filepath)
    try:
        config = json.loads(raw_config)
    except ValueError as e:
        raise WeightsFileError(f"The config.json of {filepath!r} is not valid JSON ({e}).") from e
    if not isinstance(config, dict):
        raise WeightsFileError(f"The config.json of {filepath!r} does not describe a model. Received: {config!r}")
    if not compile:
        config["compile_config"] = None
    model = rebuild_model(config, filepath, lambda: layers.deserialize(config, custom_objects=custom_objects),
                          custom_objects, safe_mode)
    with open_h5(io.BytesIO(data), f"{filepath}/{VARS_FILENAME}") as f:
        load_state(model, f, f"{filepath}/{VARS_FILENAME}", optimizer_mismatch="warn")
    return model


def rebuild_model(config, filepath: str, deserialize, custom_objects, safe_mode: bool):
    """Runs `deserialize()` under the loading scopes; names the file in its errors."""
    try:
        with ObjectSharingScope(), CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
            return deserialize()
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"Could not rebuild the model saved in {filepath!r} from its config: {e}") from e
