"""BackupAndRestore: back up the training state during `fit`, and resume from it after a crash."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import warnings

import numpy as np

from kerasish.callbacks.callback import Callback
from kerasish.saving.file_utils import atomic_write

_METADATA = "training_metadata.json"
_PREV_METADATA = "_training_metadata.json"
_WEIGHTS_PATTERN = re.compile(r"^backup-(\d+)\.weights\.h5$")
# Temporary files `atomic_write` leaves behind when a process is killed during a save.
_TEMP_PATTERN = re.compile(r"^\.(backup-\d+\.weights\.h5|_?training_metadata\.json)\.[0-9a-f]+\.tmp$")
_FORMAT_VERSION = 1


class BackupAndRestore(Callback):
    """Backs up the training state during `fit`, so that an interrupted `fit` can resume.

    At the end of every epoch (or every `save_freq` batches) the callback writes to
    `backup_dir` the model's weights with the optimizer's state (a `.weights.h5` file),
    and a small JSON file with the training state: the epoch to resume at, the states of
    the model's seed generators (which a weights file leaves out, as Keras's does; they
    make Dropout go on drawing the same masks) and of Python's `random` and NumPy's
    global generator (which `fit` shuffles with). When `fit` starts again with this callback after an
    interruption (the same process or a new one, with the same model, compile and fit
    arguments), all of that is restored and training resumes at the saved epoch, so
    that it ends where an uninterrupted run would have. When `fit` completes, the backup
    is deleted (unless `delete_checkpoint=False`).

    Every file is written to a temporary name and renamed into place, and the JSON
    file, written last, names the weights file it belongs to: a process killed at any
    moment leaves a backup that loads (the previous one, if it was killed mid-save).

    A backup made mid-epoch (integer `save_freq`) resumes at the start of that epoch
    with the weights of the backup, as in Keras; the epoch's batches then come in the
    same order as before the interruption.

    Example:

    >>> import numpy as np
    >>> import kerasish as keras
    >>> class InterruptingCallback(keras.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 4:
    ...             raise RuntimeError("Interrupting!")
    >>> import tempfile
    >>> callback = keras.callbacks.BackupAndRestore(backup_dir=tempfile.mkdtemp())
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    >>> model.compile(keras.optimizers.SGD(), loss="mse")
    >>> x, y = np.arange(100).reshape(5, 20) / 100, np.zeros(5)
    >>> try:
    ...     model.fit(x, y, epochs=10, batch_size=1, verbose=0,
    ...               callbacks=[callback, InterruptingCallback()])
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=10, batch_size=1, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"])  # epochs 4 to 9: the first run got to the end of epoch 3
    6

    Args:
        backup_dir: the folder for the backup. Use it for nothing else (no other
            callback, no other training run).
        save_freq: "epoch" (back up at the end of every epoch) or an integer N (back up
            every N training batches; only then does the training loop report every
            batch).
        double_checkpoint: also keep the previous backup, and fall back to it when the
            latest cannot be loaded (a damaged file): twice the disk space, more safety.
        delete_checkpoint: delete the backup when `fit` completes.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) or save_freq <= 0
        ):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._training_metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._prev_training_metadata_path = os.path.join(self.backup_dir, _PREV_METADATA)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._save_count = 0
        self._epoch_rng_state: dict | None = None
        if save_freq == "epoch":
            # Nothing to do per batch: fall back to the base hook, so that the training
            # loop does not fetch logs from the device every step on this callback's account.
            self.on_train_batch_end = Callback.on_train_batch_end.__get__(self)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._save_count = 0
        self._load_model()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch
        self._last_batch_seen = 0
        if self.save_freq != "epoch":
            # A mid-epoch backup resumes at the start of this epoch: with these draws.
            self._epoch_rng_state = _rng_state()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=self._last_batch_seen,
                             rng_state=self._epoch_rng_state or _rng_state())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model(epoch=self._current_epoch, batch=0, rng_state=_rng_state())

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            self._remove_files(keep=())
            with contextlib.suppress(OSError):  # not empty: files that are not ours stay
                os.rmdir(self.backup_dir)

    # ---------------------------------------------------------------- saving
    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts batches (also when `steps_per_execution` skips indices); true every `save_freq`."""
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch: int, batch: int, rng_state: dict) -> None:
        """Writes the weights, then the metadata naming them (the commit point), then tidies up."""
        os.makedirs(self.backup_dir, exist_ok=True)
        self._save_count += 1
        weights_name = f"backup-{self._save_count:06d}.weights.h5"
        self.model.save_weights(os.path.join(self.backup_dir, weights_name), overwrite=True)
        metadata = {
            "format_version": _FORMAT_VERSION,
            "epoch": int(epoch),
            "batch": int(batch),
            "weights": weights_name,
            "save_count": self._save_count,
            "model_state": [
                {"path": v.path, "dtype": str(value.dtype), "shape": list(value.shape), "value": value.tolist()}
                for v, value in ((v, np.asarray(v.numpy())) for v in _unsaved_variables(self.model))
            ],
            **rng_state,
        }
        keep = {weights_name}
        if self.double_checkpoint:
            previous = _read_metadata(self._training_metadata_path, missing_ok=True)
            if previous is not None:
                _write_text(self._prev_training_metadata_path, json.dumps(previous))
                keep.add(previous["weights"])
        _write_text(self._training_metadata_path, json.dumps(metadata))
        self._remove_files(keep=keep, keep_metadata=True)

    def _remove_files(self, keep, keep_metadata: bool = False) -> None:
        """Removes this callback's files in `backup_dir`, but for the weights files in `keep`."""
        try:
            names = os.listdir(self.backup_dir)
        except FileNotFoundError:
            return
        for name in names:
            ours = bool(_WEIGHTS_PATTERN.match(name) or _TEMP_PATTERN.match(name))
            if name in (_METADATA, _PREV_METADATA):
                ours = not keep_metadata
            if ours and name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.backup_dir, name))

    # --------------------------------------------------------------- restoring
    def _load_model(self) -> None:
        """Restores the latest backup (or, if it cannot be loaded, the previous one), if any."""
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                f"`fit()`. Model {self.model} is unbuilt. You can build it beforehand by calling it "
                "on a batch of data."
            )
        candidates = [p for p in (self._training_metadata_path, self._prev_training_metadata_path)
                      if os.path.exists(p)]
        if not candidates:
            return
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            # The optimizer's variables must exist before its state can be loaded.
            optimizer.build(self.model.trainable_variables)
        errors = []
        for path in candidates:
            try:
                metadata = _read_metadata(path)
                state = _model_state(self.model, metadata)
                # All or nothing: a file that does not load leaves the model unchanged.
                self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
            except (OSError, ValueError, KeyError, TypeError) as e:
                errors.append(f"{path}: {e}")
                continue
            if errors:
                warnings.warn(
                    f"BackupAndRestore: the latest backup could not be loaded ({errors[0]}); "
                    f"resuming from the previous one ({path}).",
                    stacklevel=3,
                )
            for variable, value in state:
                variable.assign(value)
            _set_rng_state(metadata)
            self._save_count = int(metadata.get("save_count", 0))
            self._current_epoch = int(metadata["epoch"])
            # The trainer starts its epoch loop here (Keras's `model._initial_epoch`).
            self.model._initial_epoch = int(metadata["epoch"])
            return
        raise ValueError(
            f"BackupAndRestore: no backup in {self.backup_dir!r} could be loaded: " + "; ".join(errors)
        )


def _unsaved_variables(model) -> list:
    """The model's variables that its weights file leaves out, as Keras's does: the states
    of its seed generators (Dropout's, ...), which decide the rest of the run's draws."""
    saved = {id(v) for layer in model._flatten_layers() for v in layer._variables}
    return [v for v in model.variables if id(v) not in saved]


def _model_state(model, metadata: dict) -> list:
    """Pairs (variable, value) of the backup's `model_state`, checked against the model."""
    variables = _unsaved_variables(model)
    saved = metadata.get("model_state", [])
    if len(saved) != len(variables):
        raise ValueError(
            f"The backup holds {len(saved)} seed-generator states, the model has {len(variables)}: "
            "is it the model that was backed up?"
        )
    pairs = []
    for variable, entry in zip(variables, saved):
        value = np.asarray(entry["value"], dtype=entry["dtype"]).reshape(entry["shape"])
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"The backup's state {entry['path']!r} has shape {value.shape}; the model's "
                f"{variable.path!r} has shape {tuple(variable.shape)}."
            )
        pairs.append((variable, value))
    return pairs


def _rng_state() -> dict:
    """The state of Python's `random` and NumPy's global generator, as JSON-ready values."""
    version, internal, gauss_next = random.getstate()
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    return {
        "python_random_state": [version, list(internal), gauss_next],
        "numpy_random_state": {
            "kind": kind,
            "keys": [int(k) for k in keys],
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
    }


def _set_rng_state(metadata: dict) -> None:
    python_state = metadata.get("python_random_state")
    if python_state is not None:
        version, internal, gauss_next = python_state
        random.setstate((version, tuple(internal), gauss_next))
    numpy_state = metadata.get("numpy_random_state")
    if numpy_state is not None:
        np.random.set_state((
            numpy_state["kind"],
            np.asarray(numpy_state["keys"], dtype=np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        ))


def _read_metadata(path: str, missing_ok: bool = False) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            metadata = json.load(f)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise
    except json.JSONDecodeError as e:
        raise ValueError(f"{path!r} is not a readable backup's metadata: {e}") from e
    if not isinstance(metadata, dict) or not isinstance(metadata.get("weights"), str) or "epoch" not in metadata:
        raise ValueError(f"{path!r} is not a backup's metadata (no `weights` and `epoch` entries).")
    if os.path.basename(metadata["weights"]) != metadata["weights"]:
        raise ValueError(f"{path!r} names a weights file outside the backup folder: {metadata['weights']!r}")
    return metadata


def _write_text(path: str, text: str) -> None:
    """Writes `text` to `path` atomically (temporary file, fsync, rename)."""
    with atomic_write(path, overwrite=True) as temp:
        with open(temp, "w", encoding="utf-8") as f:
            f.write(text)
