"""ModelCheckpoint and BackupAndRestore, on every backend: what is saved when, and resuming a
training run (in the same process, and in a new one after SIGKILL) to the same final weights."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kerasish as keras
from kerasish import callbacks, layers
from kerasish.callbacks.callback_list import CallbackList


def _data(n=64, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(d, classes)), axis=1).astype("int32")
    return x, y


def _model(seed=3, dropout=0.0, optimizer="sgd"):
    keras.utils.set_random_seed(seed)
    stack = [keras.Input((4,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(3, activation="softmax"))
    model = keras.Sequential(stack)
    opt = keras.optimizers.Adam(0.01) if optimizer == "adam" else keras.optimizers.SGD(0.05)
    # Eager steps: quicker than a compilation for a model this small.
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    return model


def _scripted(name, values):
    """Writes `values[epoch]` into the epoch's logs under `name`, before the callbacks after it run."""
    return callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.__setitem__(name, values[epoch]))


class _Snapshots(callbacks.Callback):
    """Records the weights at the end of every epoch (and, with `batches`, every batch)."""

    def __init__(self, batches=False):
        super().__init__()
        self.epochs = []
        self.weights = []
        self.batch_weights = {}
        if not batches:
            self.on_train_batch_end = callbacks.Callback.on_train_batch_end.__get__(self)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self.epochs.append(epoch)

    def on_train_batch_end(self, batch, logs=None):
        self.batch_weights[(self._epoch, batch)] = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_array_equal(a, b)


def _differ(a, b):
    return any(not np.array_equal(u, v) for u, v in zip(a, b))


# ------------------------------------------------------------ ModelCheckpoint
@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_save_best_only_never_overwrites_a_better_model(backend, tmp_path, suffix):
    # The scripted "score" improves at epochs 0, 1 and 3 and gets worse at 2, 4 and 5: the
    # file must end with the weights of epoch 3 (a worse epoch saving over it would fail).
    scores = [0.5, 0.3, 0.4, 0.2, 0.6, 0.25]
    x, y = _data()
    model = _model()
    path = tmp_path / f"best{suffix}"
    checkpoint = callbacks.ModelCheckpoint(path, monitor="score", mode="min", save_best_only=True,
                                           save_weights_only=suffix == ".weights.h5")
    snaps = _Snapshots()
    saved_after = []
    watch = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: saved_after.append(path.read_bytes()))
    model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[_scripted("score", scores), snaps, checkpoint, watch])

    best_epoch = int(np.argmin(scores))
    assert best_epoch == 3 and checkpoint.best == pytest.approx(0.2)
    assert all(_differ(snaps.weights[best_epoch], w) for i, w in enumerate(snaps.weights) if i != best_epoch)
    if suffix == ".keras":
        saved = keras.models.load_model(path).get_weights()
    else:
        fresh = _model(seed=99)
        fresh.load_weights(path)
        saved = fresh.get_weights()
    _assert_weights_equal(saved, snaps.weights[best_epoch])
    # Written at epochs 0, 1, 3 only: unchanged after the worse epochs 2, 4, 5 (as bytes for
    # the weights file; a .keras archive carries no timestamps that change either).
    assert saved_after[2] == saved_after[1] and saved_after[4] == saved_after[3] == saved_after[5]
    assert saved_after[1] != saved_after[0] and saved_after[3] != saved_after[2]


def test_initial_value_threshold_must_be_beaten_before_the_first_save(backend, tmp_path):
    x, y = _data()
    model = _model()
    path = tmp_path / "best.weights.h5"
    checkpoint = callbacks.ModelCheckpoint(path, monitor="score", mode="max", save_best_only=True,
                                           save_weights_only=True, initial_value_threshold=0.7)
    snaps = _Snapshots()
    model.fit(x, y, epochs=4, batch_size=32, verbose=0,
              callbacks=[_scripted("score", [0.5, 0.6, 0.8, 0.75]), snaps, checkpoint])
    fresh = _model(seed=99)
    fresh.load_weights(path)
    _assert_weights_equal(fresh.get_weights(), snaps.weights[2])


def test_filepath_is_formatted_with_the_1_based_epoch_and_the_logs(backend, tmp_path):
    x, y = _data()
    model = _model()
    pattern = str(tmp_path / "sub" / "w.{epoch:02d}-{loss:.4f}.weights.h5")
    snaps = _Snapshots()
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[
        snaps, callbacks.ModelCheckpoint(pattern, monitor="loss", save_weights_only=True)])
    expected = [f"w.{e + 1:02d}-{loss:.4f}.weights.h5" for e, loss in enumerate(history.history["loss"])]
    assert sorted(os.listdir(tmp_path / "sub")) == sorted(expected)
    for name, weights in zip(expected, snaps.weights):
        fresh = _model(seed=99)
        fresh.load_weights(tmp_path / "sub" / name)
        _assert_weights_equal(fresh.get_weights(), weights)
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            callbacks.ModelCheckpoint(str(tmp_path / "{nothing}.keras"))])


def test_weights_only_and_whole_model_files(backend, tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[
        callbacks.ModelCheckpoint(tmp_path / "m.keras", monitor="loss"),
        callbacks.ModelCheckpoint(tmp_path / "m.h5", monitor="loss"),
        callbacks.ModelCheckpoint(tmp_path / "m.weights.h5", monitor="loss", save_weights_only=True),
    ])
    for name in ("m.keras", "m.h5"):
        loaded = keras.models.load_model(tmp_path / name)
        _assert_weights_equal(loaded.get_weights(), model.get_weights())
        np.testing.assert_allclose(loaded.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="weights only"):
        keras.models.load_model(tmp_path / "m.weights.h5")
    fresh = _model(seed=99)
    fresh.load_weights(tmp_path / "m.weights.h5")
    _assert_weights_equal(fresh.get_weights(), model.get_weights())
    # Keras's checks of the name against `save_weights_only`, and of `save_freq`.
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        callbacks.ModelCheckpoint(tmp_path / "m.weights")
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_freq="batch")


def test_save_freq_in_batches_saves_every_n_batches(backend, tmp_path):
    x, y = _data(n=96)  # 6 batches of 16 per epoch
    model = _model()
    snaps = _Snapshots(batches=True)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.h5"), save_weights_only=True,
                                           save_freq=4)
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=[snaps, checkpoint])
    # Every 4 batches across epochs: global batches 4 and 8 and 12 = (epoch 1, batch 4),
    # (epoch 2, batch 2), (epoch 2, batch 6), 1-based as Keras fills them in.
    assert sorted(os.listdir(tmp_path)) == ["e1-b4.weights.h5", "e2-b2.weights.h5", "e2-b6.weights.h5"]
    for name, key in [("e1-b4.weights.h5", (0, 3)), ("e2-b2.weights.h5", (1, 1)), ("e2-b6.weights.h5", (1, 5))]:
        fresh = _model(seed=99)
        fresh.load_weights(tmp_path / name)
        _assert_weights_equal(fresh.get_weights(), snaps.batch_weights[key])


def test_only_batch_level_saving_asks_for_every_batch(backend, tmp_path):
    per_epoch = [callbacks.ModelCheckpoint(tmp_path / "a.keras"), callbacks.BackupAndRestore(tmp_path / "b")]
    assert not CallbackList(per_epoch).needs_batch_logs
    assert CallbackList([callbacks.ModelCheckpoint(tmp_path / "a.keras", save_freq=3)]).needs_batch_logs
    assert CallbackList([callbacks.BackupAndRestore(tmp_path / "b", save_freq=3)]).needs_batch_logs


def test_missing_monitor_warns_naming_the_available_logs_and_still_saves(backend, tmp_path):
    x, y = _data()
    model = _model()
    path = tmp_path / "m.weights.h5"
    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True, save_weights_only=True)
    with pytest.warns(UserWarning, match=r"Can save best model only with val_accuracy available\. "
                                         r"Available metrics are: .*accuracy.*loss"):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[checkpoint])
    assert path.exists()  # as Keras: without the monitored value, it saves


# ----------------------------------------------------------- BackupAndRestore
class _Interrupt(callbacks.Callback):
    """Raises in the middle of epoch `epoch` (after `batch` batches of it have trained)."""

    def __init__(self, epoch, batch=2):
        super().__init__()
        self.epoch, self.batch, self._current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._current == self.epoch and batch == self.batch:
            raise RuntimeError("interrupted")


def _fit_kwargs():
    x, y = _data(n=80)
    return dict(x=x, y=y, epochs=6, batch_size=16, shuffle=True, verbose=0)


def test_backup_and_restore_resumes_to_the_uninterrupted_run(backend, tmp_path):
    reference = _model(dropout=0.5, optimizer="adam")
    reference.fit(**_fit_kwargs())
    expected = reference.get_weights()

    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    model = _model(dropout=0.5, optimizer="adam")
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(**_fit_kwargs(), callbacks=[backup, _Interrupt(epoch=3)])
    metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert metadata["epoch"] == 3
    assert _differ(model.get_weights(), expected)

    # A new model (other initial weights, other dropout seed), and the global generators
    # moved on: everything the rest of the run depends on must come from the backup.
    model = _model(seed=42, dropout=0.5, optimizer="adam")
    random.random()
    np.random.rand(5)
    snaps = _Snapshots()
    history = model.fit(**_fit_kwargs(), callbacks=[backup, snaps])
    assert snaps.epochs == [3, 4, 5] and len(history.history["loss"]) == 3
    _assert_weights_equal(model.get_weights(), expected)
    opt_state = [np.asarray(v.value) for v in model.optimizer.variables]
    ref_state = [np.asarray(v.value) for v in reference.optimizer.variables]
    _assert_weights_equal(opt_state, ref_state)
    assert not (tmp_path / "backup").exists()  # deleted once the fit completed
    # The restored start applies to that fit only: the next one starts at epoch 0 again.
    snaps = _Snapshots()
    model.fit(**{**_fit_kwargs(), "epochs": 1}, callbacks=[snaps])
    assert snaps.epochs == [0]


def test_backup_every_n_batches_resumes_at_the_start_of_the_interrupted_epoch(backend, tmp_path):
    backup = callbacks.BackupAndRestore(tmp_path / "backup", save_freq=2, delete_checkpoint=False)
    model = _model(dropout=0.5)
    snaps = _Snapshots(batches=True)
    with pytest.raises(RuntimeError):
        model.fit(**_fit_kwargs(), callbacks=[snaps, backup, _Interrupt(epoch=2, batch=2)])
    metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    # 5 batches an epoch; saves after global batches 2, 4, ..., 12 = epoch 2's batch index 1.
    assert (metadata["epoch"], metadata["batch"]) == (2, 1)
    resumed = _model(seed=42, dropout=0.5)
    check = _Snapshots()
    stop = callbacks.LambdaCallback(on_train_begin=lambda logs: check.weights.append(resumed.get_weights()))
    resumed.fit(**{**_fit_kwargs(), "epochs": 3}, callbacks=[backup, stop, check])
    assert check.epochs == [2]
    _assert_weights_equal(check.weights[0], snaps.batch_weights[(2, 1)])
    assert (tmp_path / "backup" / "training_metadata.json").exists()  # delete_checkpoint=False


def test_double_checkpoint_falls_back_to_the_previous_backup(backend, tmp_path):
    backup = callbacks.BackupAndRestore(tmp_path / "backup", double_checkpoint=True)
    model = _model()
    snaps = _Snapshots()
    with pytest.raises(RuntimeError):
        model.fit(**_fit_kwargs(), callbacks=[backup, snaps, _Interrupt(epoch=3)])
    files = sorted(os.listdir(tmp_path / "backup"))
    assert len([f for f in files if f.endswith(".weights.h5")]) == 2
    latest = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    (tmp_path / "backup" / latest["weights"]).write_bytes(b"damaged")
    resumed = _model(seed=42)
    check = _Snapshots()
    with pytest.warns(UserWarning, match="resuming from the previous one"):
        resumed.fit(**{**_fit_kwargs(), "epochs": 3}, callbacks=[backup, check])
    assert check.epochs == [2]  # the previous backup: the end of epoch 1 (index)

    empty = callbacks.BackupAndRestore(tmp_path / "other")
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(tmp_path / "b", save_freq="batch")
    assert empty.delete_checkpoint and not empty.double_checkpoint and empty.save_freq == "epoch"


# ---------------------------------------------------- a killed process resumes
_CHILD = '''
import os, sys, time
import numpy as np
import kerasish as keras
import kerasish.backend as kb

# Import the backend now, before seeding: importing JAX draws from NumPy's global generator
# (jax/_src/clusters/k8s_cluster.py), and the parent's reference run has JAX imported already.
kb.get()


def build_model():
    keras.utils.set_random_seed(1234)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.4), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(192, 4)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(4, 3)), axis=1).astype("int32")
    return x, y


def fit(model, cbs=()):
    x, y = data()
    model.fit(x, y, epochs=int(os.environ["EPOCHS"]), batch_size=16, shuffle=True, verbose=0, callbacks=list(cbs))


class Progress(keras.callbacks.Callback):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        with open(self.path, "a") as f:
            f.write(f"{epoch} {time.monotonic()}\\n")


if __name__ == "__main__":
    backup_dir, progress, out = sys.argv[1:4]
    model = build_model()
    cbs = [Progress(progress)]
    if backup_dir != "-":
        # After Progress: an epoch on record but not backed up runs again; none is skipped.
        cbs.append(keras.callbacks.BackupAndRestore(backup_dir, double_checkpoint=True))
    fit(model, cbs)
    np.savez(out, *model.get_weights())
'''

_EPOCHS = 12


def _run_child(script, args, env, kill_after_epochs=None, rng=None):
    """Runs the child to its end, or SIGKILLs it at a random moment once it has done some epochs."""
    progress = args[1]
    proc = subprocess.Popen([sys.executable, str(script), *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if kill_after_epochs is None:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            return False
        deadline = time.monotonic() + 120
        start_lines = len(_lines(progress))
        while len(_lines(progress)) < start_lines + kill_after_epochs and proc.poll() is None:
            assert time.monotonic() < deadline, "the child made no progress"
            time.sleep(0.005)
        if proc.poll() is not None:
            return False  # finished before the kill
        stamps = [float(line.split()[1]) for line in _lines(progress)[-2:]]
        epoch_time = max(stamps[1] - stamps[0], 0.01)
        time.sleep(rng.uniform(0, 1.5 * epoch_time))  # mid-epoch, mid-save or between
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _lines(path):
    try:
        with open(path) as f:
            return [line for line in f.read().splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def test_sigkilled_training_resumes_in_a_new_process_to_the_same_weights(backend, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    spec = importlib.util.spec_from_file_location("checkpoint_child", script)
    child = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(child)
    env = {**os.environ, "KERASISH_BACKEND": backend.name, "EPOCHS": str(_EPOCHS), "JAX_PLATFORMS": "cpu"}

    # The uninterrupted run, here (the same code and seed as in the child, on the same backend).
    os.environ["EPOCHS"] = str(_EPOCHS)
    try:
        reference = child.build_model()
        child.fit(reference)
    finally:
        del os.environ["EPOCHS"]
    expected = reference.get_weights()

    backup_dir = tmp_path / "backup"
    progress = tmp_path / "progress"
    rng = random.Random()  # a different moment each run
    kills = 0
    for _ in range(2):
        if not _run_child(script, [backup_dir, progress, tmp_path / "out.npz"], env, kill_after_epochs=2, rng=rng):
            break
        kills += 1
        # Whatever moment it died at, the backup on disk loads (both copies of it).
        for name in ("training_metadata.json", "_training_metadata.json"):
            if not (backup_dir / name).exists():
                continue
            metadata = json.loads((backup_dir / name).read_text())
            assert 1 <= metadata["epoch"] <= _EPOCHS
            model = child.build_model()
            model.optimizer.build(model.trainable_variables)
            model.load_weights(backup_dir / metadata["weights"])
    assert kills >= 1
    _run_child(script, [backup_dir, progress, tmp_path / "out.npz"], env)
    with np.load(tmp_path / "out.npz") as f:
        actual = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    _assert_weights_equal(actual, expected)
    assert not backup_dir.exists()
    # Every epoch ran at least once (some twice: those not backed up before a kill), and the
    # last run ended at the last epoch.
    epochs_run = [int(line.split()[0]) for line in _lines(progress)]
    assert set(epochs_run) == set(range(_EPOCHS)) and epochs_run[-1] == _EPOCHS - 1
