"""The exact file layouts Keras writes, formats recognised by content, partial loads, bad files.

The expected paths below are written out from Keras's code: `saving_lib._save_state`
(layers of Sequential/Functional models under `layers/`, attributes by name, objects in
containers by snake-cased class name, `vars/<i>` per object, `optimizer/vars/<i>`) and
`legacy_h5_format.save_weights_to_hdf5_group` (`layer_names`, `weight_names`,
`<layer>/<weight>:0`).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile

import h5py
import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, optimizers
from kerasish.saving import WeightMismatchError
from tests.test_saving import (
    ScaleBias,
    assert_same_weights,
    compile_model,
    data,
    functional_model,
    randomize,
    sequential_model,
    subclassed_model,
)


@pytest.fixture(autouse=True)
def fresh_names():
    keras.utils.clear_session()  # "dense", "dense_1", ... in every test


def h5_layout(path):
    """{path: shape} for datasets, {path: None} for groups."""
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj.shape if isinstance(obj, h5py.Dataset) else None))
    return found


def attrs(path, group="/"):
    """A group's attributes; name lists as lists of str (h5py reads Keras's byte strings back as str)."""

    def plain(value):
        if isinstance(value, np.ndarray):
            return [v.decode("utf8") if isinstance(v, bytes) else v for v in value.tolist()]
        return value.decode("utf8") if isinstance(value, bytes) else value

    with h5py.File(path, "r") as f:
        return {k: plain(v) for k, v in f[group].attrs.items()}


def weights_snapshot(model):
    return [w.copy() for w in model.get_weights()]


def assert_unchanged(model, snapshot):
    after = model.get_weights()
    assert len(after) == len(snapshot)
    for a, b in zip(after, snapshot):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------ Keras 3's layout
SEQUENTIAL_KERAS3 = {
    "layers": None,
    "layers/dense": None,
    "layers/dense/vars": None,
    "layers/dense/vars/0": (4, 6),
    "layers/dense/vars/1": (6,),
    "layers/scale_bias": None,
    "layers/scale_bias/vars": None,
    "layers/scale_bias/vars/0": (6,),  # scale: trainable variables first...
    "layers/scale_bias/vars/1": (6,),  # bias
    "layers/scale_bias/vars/2": (),  # ...then the non-trainable count, though created first
    "layers/dense_1": None,
    "layers/dense_1/vars": None,
    "layers/dense_1/vars/0": (6, 3),
    "layers/dense_1/vars/1": (3,),
    "vars": None,
}

FUNCTIONAL_KERAS3 = {
    "layers": None,
    "layers/input_layer": None,
    "layers/input_layer/vars": None,
    "layers/dense": None,  # the shared layer, saved once
    "layers/dense/vars": None,
    "layers/dense/vars/0": (4, 4),
    "layers/dense/vars/1": (4,),
    "layers/dense_1": None,  # "middle"
    "layers/dense_1/vars": None,
    "layers/dense_1/vars/0": (4, 4),
    "layers/dense_1/vars/1": (4,),
    "layers/functional": None,  # the nested model, by class name
    "layers/functional/layers": None,
    "layers/functional/layers/input_layer": None,
    "layers/functional/layers/input_layer/vars": None,
    "layers/functional/layers/dense": None,
    "layers/functional/layers/dense/vars": None,
    "layers/functional/layers/dense/vars/0": (4, 6),
    "layers/functional/layers/dense/vars/1": (6,),
    "layers/functional/layers/dense_1": None,
    "layers/functional/layers/dense_1/vars": None,
    "layers/functional/layers/dense_1/vars/0": (6, 3),
    "layers/functional/layers/dense_1/vars/1": (3,),
    "layers/functional/vars": None,
    "vars": None,
}

SUBCLASSED_KERAS3 = {
    # Attributes in sorted order: `hidden` is reached by its name; `layers` (the model's
    # property) comes next and names the rest by class; `out` and `sb` are then seen.
    "hidden": None,
    "hidden/vars": None,
    "hidden/vars/0": (4, 5),
    "hidden/vars/1": (5,),
    "layers": None,
    "layers/scale_bias": None,
    "layers/scale_bias/vars": None,
    "layers/scale_bias/vars/0": (5,),
    "layers/scale_bias/vars/1": (5,),
    "layers/scale_bias/vars/2": (),
    "layers/dense_1": None,
    "layers/dense_1/vars": None,
    "layers/dense_1/vars/0": (5, 3),
    "layers/dense_1/vars/1": (3,),
    "vars": None,
}


@pytest.mark.parametrize(
    "build, expected",
    [(sequential_model, SEQUENTIAL_KERAS3), (functional_model, FUNCTIONAL_KERAS3), (subclassed_model, SUBCLASSED_KERAS3)],
    ids=["sequential", "functional", "subclassed"],
)
def test_keras3_layout(backend, tmp_path, build, expected):
    model = build()
    randomize(model)
    model.save_weights(tmp_path / "m.weights.h5")
    assert h5_layout(tmp_path / "m.weights.h5") == expected
    assert attrs(tmp_path / "m.weights.h5") == {}


def test_keras3_layout_values_follow_the_walk(backend, tmp_path):
    model = functional_model()
    randomize(model)
    model.save_weights(tmp_path / "m.weights.h5")
    inner = model.get_layer("inner")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.get_layer("shared").kernel.numpy())
        np.testing.assert_array_equal(f["layers/dense_1/vars/1"][()], model.get_layer("middle").bias.numpy())
        np.testing.assert_array_equal(f["layers/functional/layers/dense_1/vars/0"][()], inner.layers[2].kernel.numpy())


def test_keras3_layout_with_optimizer(backend, tmp_path):
    x, y = data()
    model = sequential_model()
    compile_model(model)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    layout = h5_layout(tmp_path / "m.weights.h5")
    # iteration, learning_rate, then Adam's momentum and velocity for each of the 6 variables.
    optimizer_entries = {k: v for k, v in layout.items() if k.startswith("optimizer")}
    assert optimizer_entries == {
        "optimizer": None,
        "optimizer/vars": None,
        **{f"optimizer/vars/{i}": shape for i, shape in enumerate(
            [(), (), (4, 6), (4, 6), (6,), (6,), (6,), (6,), (6,), (6,), (6, 3), (6, 3), (3,), (3,)]
        )},
    }
    assert {k: v for k, v in layout.items() if not k.startswith("optimizer")} == SEQUENTIAL_KERAS3
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert int(f["optimizer/vars/0"][()]) == 2  # iterations
        assert float(f["optimizer/vars/1"][()]) == pytest.approx(0.01)


# ------------------------------------------------------ Keras 2's layout
def test_keras2_weights_layout(backend, tmp_path):
    model = sequential_model()
    randomize(model)
    path = tmp_path / "m.h5"
    model.save_weights(path)
    assert h5_layout(path) == {
        "dense": None,
        "dense/dense": None,
        "dense/dense/kernel:0": (4, 6),
        "dense/dense/bias:0": (6,),
        "scale_bias": None,
        "scale_bias/scale_bias": None,
        "scale_bias/scale_bias/scale:0": (6,),
        "scale_bias/scale_bias/bias:0": (6,),
        "scale_bias/scale_bias/count:0": (),
        "dense_1": None,
        "dense_1/dense_1": None,
        "dense_1/dense_1/kernel:0": (6, 3),
        "dense_1/dense_1/bias:0": (3,),
        "top_level_model_weights": None,
    }
    root = attrs(path)
    assert sorted(root) == ["backend", "keras_version", "layer_names"]
    assert root["layer_names"] == ["dense", "scale_bias", "dense_1"]
    assert root["backend"] == backend.name and root["keras_version"].startswith("3.")
    assert attrs(path, "dense") == {"weight_names": ["dense/kernel:0", "dense/bias:0"]}
    assert attrs(path, "scale_bias") == {
        "weight_names": ["scale_bias/scale:0", "scale_bias/bias:0", "scale_bias/count:0"]
    }
    assert attrs(path, "top_level_model_weights") == {"weight_names": []}
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["dense_1/dense_1/kernel:0"][()], model.layers[2].kernel.numpy())


def test_keras2_layout_of_nested_model(backend, tmp_path):
    model = functional_model()
    path = tmp_path / "m.h5"
    model.save_weights(path)
    assert attrs(path)["layer_names"] == ["input_layer_1", "shared", "middle", "inner"]
    assert attrs(path, "input_layer_1") == {"weight_names": []}
    # A nested model's group holds all its weights, each named after its own layer.
    assert attrs(path, "inner") == {
        "weight_names": ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"]
    }
    assert h5_layout(path)["inner/dense_1/kernel:0"] == (6, 3)


def test_legacy_model_file_layout(backend, tmp_path):
    x, y = data()
    model = sequential_model()
    compile_model(model)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "m.h5"
    model.save(path)
    root = attrs(path)
    assert sorted(root) == ["backend", "keras_version", "model_config", "training_config"]
    model_config = json.loads(root["model_config"])
    assert model_config["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in model_config["config"]["layers"]] == [
        "InputLayer", "Dense", "ScaleBias", "Dense"
    ]
    training_config = json.loads(root["training_config"])
    assert training_config["loss"] == "mse" and training_config["metrics"] == ["mae"]
    assert training_config["optimizer_config"]["class_name"] == "Adam"
    assert training_config["optimizer_config"]["config"]["learning_rate"] == pytest.approx(0.01)
    layout = h5_layout(path)
    assert layout["model_weights/dense/dense/kernel:0"] == (4, 6)
    assert attrs(path, "model_weights")["layer_names"] == ["dense", "scale_bias", "dense_1"]
    optimizer_names = attrs(path, "optimizer_weights")["weight_names"]
    assert len(optimizer_names) == 14 and optimizer_names[:2] == ["adam/iteration:0", "adam/learning_rate:0"]


# ------------------------------------------------------ .keras archives
def test_keras_archive_layout(backend, tmp_path):
    model = sequential_model()
    compile_model(model)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        metadata = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        (tmp_path / "inner.weights.h5").write_bytes(zf.read("model.weights.h5"))
    assert {"keras_version", "date_saved"} <= set(metadata)
    assert set(config) == {"module", "class_name", "config", "registered_name", "build_config", "compile_config"}
    assert (config["module"], config["class_name"], config["registered_name"]) == ("keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 4]}
    dense = config["config"]["layers"][1]
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == ("keras.layers", "Dense", None)
    custom = config["config"]["layers"][2]
    assert (custom["class_name"], custom["registered_name"]) == ("ScaleBias", "SavingTests>ScaleBias")
    compile_config = config["compile_config"]
    assert list(compile_config) == [
        "optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
        "steps_per_execution", "jit_compile",
    ]
    assert compile_config["optimizer"]["module"] == "keras.optimizers"
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert (compile_config["loss"], compile_config["metrics"]) == ("mse", ["mae"])
    # The weights inside are the .weights.h5 layout; the optimizer was never built here.
    layout = h5_layout(tmp_path / "inner.weights.h5")
    assert {k: v for k, v in layout.items() if not k.startswith("optimizer")} == SEQUENTIAL_KERAS3
    assert layout["optimizer/vars/0"] == () and "optimizer/vars/2" not in layout
    # Loading builds the optimizer; the saved, never-built one gives its iteration and rate.
    loaded = keras.models.load_model(path)
    assert loaded.optimizer.built and int(loaded.optimizer.iterations.numpy()) == 0


def test_keras_archive_module_names(backend, tmp_path):
    functional = functional_model()
    functional.save(tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as zf:
        config = json.loads(zf.read("config.json"))
    # Keras exports no public name for Functional: it is found under its source module.
    assert (config["module"], config["registered_name"]) == ("keras.src.models.functional", "Functional")
    tower = subclassed_model()
    tower.save(tmp_path / "t.keras")
    with zipfile.ZipFile(tmp_path / "t.keras") as zf:
        config = json.loads(zf.read("config.json"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "tests.test_saving", "Tower", "SavingTests>Tower"
    )


def test_loaded_compile_uses_a_function_loss(backend, tmp_path):
    model = sequential_model()
    model.compile(optimizer="sgd", loss=keras.losses.mean_squared_error, metrics=[keras.metrics.MeanAbsoluteError()])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        compile_config = json.loads(zf.read("config.json"))["compile_config"]
    assert compile_config["loss"] == {
        "module": "builtins", "class_name": "function", "config": "mean_squared_error", "registered_name": "function"
    }
    assert compile_config["metrics"][0]["class_name"] == "MeanAbsoluteError"
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x, y = data()
    np.testing.assert_allclose(
        loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6
    )


def test_module_paths_of_keras_configs_are_accepted(backend, tmp_path):
    model = sequential_model()
    randomize(model)
    model.save(tmp_path / "m.keras")
    paths = iter(["keras.src.layers.core.dense", "keras.engine.base_layer", "keras.layers"])

    def respell(config):
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Dense":
                layer["module"] = next(paths)
        config["module"] = "keras.src.models.sequential"

    from tests.test_saving import _rewrite_config

    _rewrite_config(tmp_path / "m.keras", respell)
    assert_same_weights(model, keras.models.load_model(tmp_path / "m.keras"))


# ---------------------------------------------- formats known by content
def test_format_is_recognised_by_content(backend, tmp_path):
    model = sequential_model()
    randomize(model)
    model.save_weights(tmp_path / "k3.weights.h5")
    model.save_weights(tmp_path / "k2.h5")
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")
    shutil.copy(tmp_path / "k3.weights.h5", tmp_path / "k3_named_like_k2.h5")
    shutil.copy(tmp_path / "k2.h5", tmp_path / "k2_named_like_k3.weights.h5")
    shutil.copy(tmp_path / "m.keras", tmp_path / "archive.bin")
    shutil.copy(tmp_path / "m.h5", tmp_path / "legacy_model.keras")
    for name, layout in [
        ("k3_named_like_k2.h5", "keras3"),
        ("k2_named_like_k3.weights.h5", "keras2"),
        ("archive.bin", "keras3"),
        ("legacy_model.keras", "keras2"),  # a whole-model .h5: its `model_weights` group
    ]:
        fresh = sequential_model()
        report = fresh.load_weights(tmp_path / name)
        assert report.format == layout, name
        assert_same_weights(model, fresh)
    assert_same_weights(model, keras.models.load_model(tmp_path / "archive.bin"))
    assert_same_weights(model, keras.models.load_model(tmp_path / "legacy_model.keras"))


# ------------------------------------------------------- partial loading
def _named_model(head_units=3, head_name="a2", extra=False):
    stack = [keras.Input(shape=(4,)), layers.Dense(6, name="a1"), layers.Dense(head_units, name=head_name)]
    if extra:
        stack.append(layers.Dense(2, name="a3"))
    return keras.Sequential(stack)


def test_keras2_by_name_alone(backend, tmp_path):
    source = _named_model()
    randomize(source)
    source.save_weights(tmp_path / "w.h5")
    target = _named_model(head_name="new_head")
    head_before = target.get_layer("new_head").get_weights()
    report = target.load_weights(tmp_path / "w.h5", by_name=True)
    assert report.format == "keras2"
    assert report.loaded == ["a1"]
    assert report.skipped == [("new_head", "no layer named 'new_head' in the file")]
    assert report.unused == ["a2"]
    assert_same_weights(source.get_layer("a1"), target.get_layer("a1"))
    for a, b in zip(head_before, target.get_layer("new_head").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_skip_mismatch_alone(backend, tmp_path):
    source = _named_model()
    randomize(source)
    source.save_weights(tmp_path / "w.h5")
    target = _named_model(head_units=2)
    snapshot = weights_snapshot(target)
    with pytest.raises(WeightMismatchError, match=r"'a2'.*'kernel' expects shape \(6, 2\).*holds shape \(6, 3\)"):
        target.load_weights(tmp_path / "w.h5")
    assert_unchanged(target, snapshot)  # a1 fitted, but nothing was assigned
    report = target.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    assert report.loaded == ["a1"] and [entry for entry, _ in report.skipped] == ["a2"]
    assert "expects shape (6, 2)" in report.skipped[0][1]
    assert_same_weights(source.get_layer("a1"), target.get_layer("a1"))
    for a, b in zip(snapshot[2:], target.get_layer("a2").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras2_layer_count_mismatch_suggests_by_name(backend, tmp_path):
    _named_model().save_weights(tmp_path / "w.h5")
    target = _named_model(extra=True)
    snapshot = weights_snapshot(target)
    with pytest.raises(ValueError, match=r"model has 3 layers with weights.*file 2.*by_name=True"):
        target.load_weights(tmp_path / "w.h5")
    assert_unchanged(target, snapshot)


def test_keras3_skip_mismatch_alone(backend, tmp_path):
    source = _named_model()
    randomize(source)
    source.save_weights(tmp_path / "w.weights.h5")
    target = _named_model(head_units=2)
    snapshot = weights_snapshot(target)
    with pytest.raises(
        WeightMismatchError,
        match=r"Layer 'a2': weight #0 'kernel' expects shape \(6, 2\), but 'layers/dense_1/vars' in .*w\.weights\.h5' "
        r"holds shape \(6, 3\)",
    ):
        target.load_weights(tmp_path / "w.weights.h5")
    assert_unchanged(target, snapshot)
    report = target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    assert report.loaded == ["layers/dense/vars"]
    assert [entry for entry, _ in report.skipped] == ["layers/dense_1/vars"]
    assert_same_weights(source.get_layer("a1"), target.get_layer("a1"))


def test_keras3_by_name_alone(backend, tmp_path):
    source = _named_model()
    randomize(source)
    source.save_weights(tmp_path / "w.weights.h5")
    target = _named_model(extra=True)
    snapshot = weights_snapshot(target)
    with pytest.raises(WeightMismatchError, match=r"Layer 'a3' expects 2 weight\(s\).*'layers/dense_2/vars'.*holds 0"):
        target.load_weights(tmp_path / "w.weights.h5")
    assert_unchanged(target, snapshot)
    report = target.load_weights(tmp_path / "w.weights.h5", by_name=True)
    assert report.loaded == ["layers/dense/vars", "layers/dense_1/vars"]
    assert report.skipped == [("layers/dense_2/vars", "layer 'a3': no entry 'layers/dense_2/vars' in the file")]
    assert_same_weights(source.get_layer("a2"), target.get_layer("a2"))
    # by_name does not excuse a mismatch of shapes.
    wrong = _named_model(head_units=2, extra=True)
    with pytest.raises(WeightMismatchError, match="expects shape"):
        wrong.load_weights(tmp_path / "w.weights.h5", by_name=True)


def test_optimizer_state_mismatch(backend, tmp_path):
    x, y = data()
    source = sequential_model()
    compile_model(source)
    source.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    source.save_weights(tmp_path / "w.weights.h5")
    target = sequential_model()
    target.compile(optimizer=optimizers.SGD(momentum=0.9), loss="mse")
    target.optimizer.build(target.trainable_variables)
    snapshot = weights_snapshot(target)
    optimizer_snapshot = [v.numpy() for v in target.optimizer.variables]
    with pytest.raises(WeightMismatchError, match=r"Optimizer 'SGD' expects 8 weight\(s\).*holds 14.*skip_mismatch"):
        target.load_weights(tmp_path / "w.weights.h5")
    assert_unchanged(target, snapshot)
    for v, before in zip(target.optimizer.variables, optimizer_snapshot):
        np.testing.assert_array_equal(v.numpy(), before)
    report = target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    assert [entry for entry, _ in report.skipped] == ["optimizer/vars"]
    assert_same_weights(source, target)


# ------------------------------------------------------------ bad files
def _saved(tmp_path, suffix):
    model = sequential_model()
    randomize(model)
    path = tmp_path / f"good{suffix}"
    model.save(path) if suffix in (".keras", ".model.h5") else model.save_weights(path)
    return path


@pytest.mark.parametrize("suffix", [".weights.h5", ".h5", ".keras", ".model.h5"])
@pytest.mark.parametrize("damage", ["truncated", "corrupt_header", "zeroed"])
def test_damaged_files_raise_clear_errors_and_change_nothing(backend, tmp_path, suffix, damage):
    good = _saved(tmp_path, suffix).read_bytes()
    if damage == "truncated":
        bad = good[: len(good) // 2]
    elif damage == "zeroed":
        bad = good[:8] + bytes(len(good) - 8)
    else:
        noise = np.random.default_rng(0).integers(0, 256, 1500, dtype=np.uint8).tobytes()
        bad = good[:64] + noise + good[64 + len(noise):]
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(bad)
    model = sequential_model()
    snapshot = weights_snapshot(model)
    with pytest.raises(ValueError, match=r"bad\.") as info:
        model.load_weights(path)
    assert not isinstance(info.value, WeightMismatchError)
    assert_unchanged(model, snapshot)
    with pytest.raises(ValueError, match=r"bad\."):
        keras.models.load_model(path)


def test_damaged_dataset_header(backend, tmp_path):
    path = _saved(tmp_path, ".weights.h5")
    with h5py.File(path, "r") as f:
        address = h5py.h5g.get_objinfo(f.id, b"layers/dense_1/vars/0").objno[0]
    damaged = bytearray(path.read_bytes())
    damaged[address:address + 40] = b"\xff" * 40
    path.write_bytes(bytes(damaged))
    model = sequential_model()
    snapshot = weights_snapshot(model)
    with pytest.raises(ValueError, match=r"Could not read .*good\.weights\.h5.*damaged"):
        model.load_weights(path)
    assert_unchanged(model, snapshot)


def test_foreign_files_raise_clear_errors(backend, tmp_path):
    model = sequential_model()
    snapshot = weights_snapshot(model)
    text = tmp_path / "notes.weights.h5"
    text.write_text("these are not weights")
    with pytest.raises(ValueError, match=r"notes\.weights\.h5.*neither an HDF5 file"):
        model.load_weights(text)
    with pytest.raises(ValueError, match=r"notes\.weights\.h5.*neither a `\.keras` archive"):
        keras.models.load_model(text)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(ValueError, match=r"other\.h5.*holds no Keras weights.*\['data'\]"):
        model.load_weights(other)
    with pytest.raises(ValueError, match=r"other\.h5.*without a model config.*load_weights"):
        keras.models.load_model(other)
    model.save_weights(tmp_path / "weights_only.weights.h5")
    with pytest.raises(ValueError, match="without a model config"):
        keras.models.load_model(tmp_path / "weights_only.weights.h5")
    archive = tmp_path / "random.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"random\.zip.*not a \.keras archive.*model\.weights\.h5"):
        model.load_weights(archive)
    with pytest.raises(FileNotFoundError, match="missing"):
        model.load_weights(tmp_path / "missing.weights.h5")
    assert_unchanged(model, snapshot)


def test_mismatched_architecture_names_the_first_mismatch(backend, tmp_path):
    functional_model().save_weights(tmp_path / "f.weights.h5")
    model = sequential_model()
    snapshot = weights_snapshot(model)
    with pytest.raises(WeightMismatchError, match=r"Layer 'dense_2': weight #0 'kernel' expects shape \(4, 6\), but "
                       r"'layers/dense/vars' in .*f\.weights\.h5' holds shape \(4, 4\)"):
        model.load_weights(tmp_path / "f.weights.h5")
    assert_unchanged(model, snapshot)


# ------------------------------------------- layers that save themselves
@keras.saving.register_keras_serializable(package="SavingTests")
class Calibrated(layers.Dense):
    """Keras-style override: saves an extra entry after its variables, checks it on load."""

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["calibration"] = np.array(self.units, dtype="int32")

    def load_own_variables(self, store):
        store = dict((k, store[k]) for k in store.keys())
        calibration = store.pop("calibration", None)
        super().load_own_variables(store)  # assigns, then the check below may still fail
        if calibration is None or int(calibration) != self.units:
            raise ValueError(f"Layer {self.name!r}: calibration {calibration} does not match units {self.units}.")


def test_layer_overrides_of_save_and_load_own_variables(backend, tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), Calibrated(3)])
    randomize(model)
    model.save_weights(tmp_path / "w.weights.h5")
    assert h5_layout(tmp_path / "w.weights.h5")["layers/calibrated/vars/calibration"] == ()
    fresh = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), Calibrated(3)])
    fresh.load_weights(tmp_path / "w.weights.h5")
    assert_same_weights(model, fresh)
    # The override assigned before it failed: staging still leaves the model unchanged.
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        del f["layers/calibrated/vars/calibration"]
        f["layers/calibrated/vars/calibration"] = np.array(7, dtype="int32")
    other = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), Calibrated(3)])
    snapshot = weights_snapshot(other)
    with pytest.raises(ValueError, match="calibration 7 does not match units 3"):
        other.load_weights(tmp_path / "w.weights.h5")
    assert_unchanged(other, snapshot)
    report = other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    assert report.loaded == ["layers/dense/vars"]
    assert report.skipped[0][0] == "layers/calibrated/vars"
    _ = ScaleBias  # the registered custom layer of the round-trip tests is shared
    assert os.path.exists(tmp_path / "w.weights.h5")
