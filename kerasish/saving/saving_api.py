"""The public saving functions: save_model, load_model, save_weights, load_weights.

Saving picks the format from the file name, as Keras does (`.keras`, `.weights.h5`,
`.h5`). Loading looks at the file's content instead: a zip archive is a `.keras`
model, an HDF5 file holds Keras 3's layout (a `vars` group at its root) or Keras 2's
(a `layer_names` attribute, at the root or in `model_weights`), whatever its name.
"""

from __future__ import annotations

import os

from kerasish.saving import legacy_h5_format, saving_lib
from kerasish.saving.file_utils import WeightsFileError, check_readable, open_h5, sniff
from kerasish.saving.loading import LoadReport, reading


def save_model(model, filepath: str | os.PathLike, overwrite: bool = True, zipped: bool | None = None, **kwargs) -> None:
    """Saves a model: `.keras` (Keras 3's zip archive) or `.h5` (Keras 2's legacy HDF5 file).

    Args:
        model: the model.
        filepath: a path ending in `.keras`, `.h5` or `.hdf5`.
        overwrite: replace an existing file (otherwise raise `FileExistsError`).
        zipped: only the zipped `.keras` archive is supported (True or None).
        include_optimizer: (`.h5` only) save the optimizer's state too (default True).

    The file is written next to its destination and renamed into place, so an
    interrupted save leaves any previous file intact.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    kwargs.pop("save_format", None)  # deprecated in Keras 3: the extension decides
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {sorted(kwargs)}")
    if zipped is False:
        raise ValueError("Saving a model as an unzipped folder (`zipped=False`) is not supported.")
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        saving_lib.save_model(model, path, overwrite)
    elif path.endswith((".h5", ".hdf5")):
        legacy_h5_format.save_model_to_hdf5(model, path, overwrite, include_optimizer)
    else:
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for the "
            f"native Keras format (recommended) or a `.h5` extension. Received: filepath={path}"
        )


def load_model(filepath: str | os.PathLike, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True):
    """Loads a model saved with `model.save()` (a `.keras` archive or a legacy `.h5` file).

    Args:
        filepath: the file; its format is recognised from its content.
        custom_objects: classes and functions the config names, by name (for custom
            layers not registered with `register_keras_serializable`).
        compile: compile the model as it was saved (optimizer with its state, loss,
            metrics), if it was compiled.
        safe_mode: refuse configs that carry code (a `lambda`'s bytecode). Pass False
            only for files you trust.

    Returns:
        The model, with its weights (and, if compiled, its optimizer state).

    Raises:
        ValueError: for a file that is not a saved model (or is damaged), or a config
            naming a class that cannot be found (the message names it).
    """
    path = check_readable(filepath)
    kind = sniff(path)
    if kind == "zip":
        return saving_lib.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if kind == "hdf5":
        with open_h5(path, path, what="a model") as f:
            if "model_config" not in f.attrs:
                raise WeightsFileError(
                    f"{path!r} is an HDF5 file without a model config (`model_config` attribute): it holds "
                    "weights only. Build the model in code and call `model.load_weights(filepath)`."
                )
            return legacy_h5_format.load_model_from_hdf5(
                f, path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
            )
    raise WeightsFileError(
        f"File format not supported: {path!r} is neither a `.keras` archive (a zip file) nor an HDF5 "
        "(`.h5`) file."
    )


def save_weights(model, filepath: str | os.PathLike, overwrite: bool = True, max_shard_size: float | None = None) -> None:
    """Saves the model's weights: `.weights.h5` in Keras 3's layout, `.h5` in Keras 2's.

    With Keras 3's layout, a compiled model's optimizer state is saved too (under
    `optimizer/vars`), as Keras does.
    """
    if max_shard_size is not None:
        raise ValueError(f"Sharded weights files are not supported. Received: max_shard_size={max_shard_size}")
    path = os.fspath(filepath)
    if path.endswith(".weights.h5"):
        saving_lib.save_weights_only(model, path, overwrite)
    elif path.endswith((".h5", ".hdf5")):
        legacy_h5_format.save_weights(model, path, overwrite)
    else:
        raise ValueError(
            "The filename must end in `.weights.h5` (Keras 3's layout) or `.h5` (Keras 2's layout). "
            f"Received: filepath={path}"
        )


def load_weights(
    model, filepath: str | os.PathLike, skip_mismatch: bool = False, by_name: bool = False, **kwargs
) -> LoadReport:
    """Loads weights saved by `save_weights` (either layout) or `save` into `model`, all or nothing.

    Args:
        model: the model (built).
        filepath: a `.weights.h5`, `.h5` or `.keras` file; the layout is recognised from
            its content, not its name.
        skip_mismatch: leave layers whose saved weights do not fit (number or shapes)
            unchanged, instead of raising. A layer is loaded whole or not at all (Keras
            2's loader would load the weights of a layer that do fit).
        by_name: match layers by name (Keras 2's layout) or by their path in the file
            (Keras 3's layout, where layers are named by class) instead of requiring
            every layer to have its entry; unmatched layers are left unchanged.

    Returns:
        A `LoadReport` of what was loaded, skipped (and why) and left unused.

    Raises:
        ValueError: naming the first layer and weight (expected and found shapes)
            that does not fit, or what is wrong with the file. Nothing is changed then.
    """
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {sorted(kwargs)}")
    path = check_readable(filepath)
    kind = sniff(path)
    if kind == "zip":
        return saving_lib.load_weights_from_archive(model, path, skip_mismatch=skip_mismatch, by_name=by_name)
    if kind != "hdf5":
        raise WeightsFileError(
            f"File format not supported: {path!r} is neither an HDF5 file (`.weights.h5`, `.h5`) nor a "
            "`.keras` archive."
        )
    with open_h5(path, path) as f:
        layout, group = _weights_layout(f, path)
        if layout == "keras2":
            return legacy_h5_format.load_weights_from_hdf5_group(
                group, model, path, skip_mismatch=skip_mismatch, by_name=by_name
            )
        return saving_lib.load_weights_from_h5(model, f, path, skip_mismatch=skip_mismatch, by_name=by_name)


def _weights_layout(f, path: str):
    """("keras2", group) or ("keras3", file) for an open HDF5 file of weights."""
    with reading(path, "its root group"):
        if "layer_names" in f.attrs:
            return "keras2", f
        if "model_weights" in f and "layer_names" in f["model_weights"].attrs:
            return "keras2", f["model_weights"]
        if "vars" in f or "layers" in f or "_layer_checkpoint_dependencies" in f:
            return "keras3", f
        contents = sorted(f.keys())
    raise WeightsFileError(
        f"{path!r} is an HDF5 file but holds no Keras weights: expected Keras 3's layout (a `vars` group "
        "at the root, `layers/<name>/vars/<i>`) or Keras 2's (a `layer_names` attribute). It holds "
        f"{contents or 'nothing'}."
    )
