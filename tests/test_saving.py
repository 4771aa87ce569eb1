"""Saving and loading round trips: weights (both layouts), whole models (.keras, .h5), safety, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers, optimizers
from kerasish.saving import serialization


# ----------------------------------------------------------------- models
@keras.saving.register_keras_serializable(package="SavingTests")
class ScaleBias(keras.Layer):
    """A custom layer: a non-trainable counter (created first), then a trainable scale and bias."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        return x * self.scale * self.factor + self.bias


@keras.saving.register_keras_serializable(package="SavingTests")
class Tower(keras.Model):
    """A subclassed model holding a Dense, the custom layer, and another Dense."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(5, activation="tanh")
        self.sb = ScaleBias(0.5)
        self.out = layers.Dense(units)

    def call(self, x):
        return self.out(self.sb(self.hidden(x)))


def sequential_model():
    return keras.Sequential(
        [keras.Input(shape=(4,)), layers.Dense(6, activation="tanh"), ScaleBias(2.0), layers.Dense(3)],
        name="stack",
    )


def functional_model():
    """A Functional model with a layer called twice and a nested Functional model."""
    inner_in = keras.Input(shape=(4,))
    first, second = layers.Dense(6, activation="relu"), layers.Dense(3)
    inner = keras.Model(inner_in, second(first(inner_in)), name="inner")
    inputs = keras.Input(shape=(4,))
    shared = layers.Dense(4, activation="tanh", name="shared")
    h = shared(inputs)
    h = layers.Dense(4, name="middle")(h)
    h = shared(h)
    return keras.Model(inputs, inner(h), name="outer")


def subclassed_model():
    model = Tower(units=3, name="tower")
    model.build((None, 4))
    return model


BUILDERS = {"sequential": sequential_model, "functional": functional_model, "subclassed": subclassed_model}


def data(n=16):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")


def randomize(model, seed=1):
    """Distinct values in every weight (counters included), so that any mix-up shows."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])


def assert_same_weights(a, b, rtol=0.0, atol=0.0):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)


def compile_model(model):
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])


# ------------------------------------------------------------ round trips
@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("suffix", [".weights.h5", ".h5"])
def test_weights_round_trip(backend, tmp_path, kind, suffix):
    x, _ = data()
    model = BUILDERS[kind]()
    randomize(model)
    path = tmp_path / f"model{suffix}"
    model.save_weights(path)
    fresh = BUILDERS[kind]()
    assert not np.allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    report = fresh.load_weights(path)
    assert report.skipped == [] and report.unused == [] and report.loaded
    assert report.format == ("keras3" if suffix == ".weights.h5" else "keras2")
    assert_same_weights(model, fresh)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_model_round_trip_then_training_continues(backend, tmp_path, kind, suffix):
    x, y = data()
    model = BUILDERS[kind]()
    compile_model(model)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / f"model{suffix}"
    model.save(path)

    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model) and loaded.name == model.name
    assert loaded.compiled and isinstance(loaded.optimizer, optimizers.Adam)
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 2
    assert_same_weights(model, loaded)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    # One more epoch from each: the optimizer state came back, so the weights stay equal.
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_same_weights(model, loaded, rtol=1e-6, atol=1e-7)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "mae"}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_layer_shared_with_a_nested_model_stays_shared(backend, tmp_path, suffix):
    shared = layers.Dense(4, name="shared")
    inner_in = keras.Input(shape=(4,))
    inner = keras.Model(inner_in, layers.Dense(2, name="post")(shared(inner_in)), name="inner")
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, inner(shared(inputs)), name="outer")
    randomize(model)
    model.save(tmp_path / f"m{suffix}")
    loaded = keras.models.load_model(tmp_path / f"m{suffix}")
    assert loaded.get_layer("shared") is loaded.get_layer("inner").get_layer("shared")
    assert len(loaded.weights) == len(model.weights) == 4
    assert_same_weights(model, loaded)
    x, _ = data()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_sequential_built_on_first_fit(backend, tmp_path, suffix):
    x, y = data()
    model = keras.Sequential([layers.Dense(5, activation="relu"), layers.Dense(3)])
    compile_model(model)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    loaded = keras.models.load_model(tmp_path / f"m{suffix}")
    assert loaded.built
    assert_same_weights(model, loaded)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_unbuilt_model_says_to_build_it(backend, tmp_path):
    subclassed_model().save_weights(tmp_path / "t.weights.h5")
    with pytest.raises(ValueError, match=r"Layer 'dense_\d+' \(not built.*call it on data"):
        Tower().load_weights(tmp_path / "t.weights.h5")


def test_load_model_without_compile(backend, tmp_path):
    model = sequential_model()
    compile_model(model)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    assert_same_weights(model, loaded)


def test_saving_aliases(backend, tmp_path):
    model = sequential_model()
    randomize(model)
    keras.saving.save_model(model, tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert_same_weights(model, loaded)
    keras.models.save_model(model, tmp_path / "m2.keras")
    keras.saving.save_weights(model, tmp_path / "w.weights.h5")
    fresh = sequential_model()
    report = keras.saving.load_weights(fresh, tmp_path / "w.weights.h5")
    assert report.loaded and isinstance(report, keras.saving.LoadReport)
    assert_same_weights(model, fresh)


def test_weights_file_of_compiled_model_holds_optimizer_state(backend, tmp_path):
    x, y = data()
    model = sequential_model()
    compile_model(model)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    other = sequential_model()
    compile_model(other)
    other.optimizer.build(other.trainable_variables)
    report = other.load_weights(tmp_path / "w.weights.h5")
    assert "optimizer/vars" in report.loaded
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # An uncompiled model takes the layers and reports the optimizer's entry as unused.
    plain = sequential_model()
    report = plain.load_weights(tmp_path / "w.weights.h5")
    assert report.unused == ["optimizer/vars"]
    assert_same_weights(model, plain)


def test_overwrite_false_refuses(backend, tmp_path):
    model = sequential_model()
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save_weights(path, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite"):
        model.save(tmp_path / "w.weights.h5", overwrite=False)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["w.weights.h5"]  # no temporary file left behind


def test_bad_extensions_are_refused(backend, tmp_path):
    model = sequential_model()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`.*model\.bin"):
        model.save_weights(tmp_path / "model.bin")
    with pytest.raises(ValueError, match=r"`\.keras` extension.*model\.bin"):
        model.save(tmp_path / "model.bin")
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------- configs and safety
class Unregistered(keras.Layer):
    def call(self, x):
        return x * 2.0


def test_unknown_class_names_it_and_suggests_custom_objects(backend, tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2), Unregistered()])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"m\.keras.*Unknown layer: 'Unregistered'.*custom_objects") as info:
        keras.models.load_model(tmp_path / "m.keras")
    assert "register_keras_serializable" in str(info.value)
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.layers[-1], Unregistered)
    assert_same_weights(model, loaded)
    with keras.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert isinstance(keras.models.load_model(tmp_path / "m.keras").layers[-1], Unregistered)


def _rewrite_config(path, edit):
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(entries["config.json"])
    edit(config)
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)


def test_lambda_bytecode_is_refused_in_safe_mode(backend, tmp_path):
    model = sequential_model()
    path = tmp_path / "m.keras"
    model.save(path)

    def plant_lambda(config):
        # Where Keras would write a lambda's bytecode (base64 of marshalled code).
        config["config"]["layers"][1] = {"class_name": "__lambda__", "config": {"value": "AAAA"}}

    _rewrite_config(path, plant_lambda)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)
    # Even when the user allows it, bytecode outside a `Lambda` layer is not run.
    with pytest.raises(ValueError, match="cannot load yet"):
        keras.models.load_model(path, safe_mode=False)


@keras.saving.register_keras_serializable(package="SavingTests")
class RecordsSafeMode(keras.Layer):
    seen: list = []

    @classmethod
    def from_config(cls, config):
        cls.seen.append(serialization.in_safe_mode())
        return super().from_config(config)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_safe_mode_reaches_from_config(backend, tmp_path, suffix):
    model = keras.Sequential([keras.Input(shape=(2,)), RecordsSafeMode()])
    model.save(tmp_path / f"m{suffix}")
    RecordsSafeMode.seen.clear()
    keras.models.load_model(tmp_path / f"m{suffix}")
    keras.models.load_model(tmp_path / f"m{suffix}", safe_mode=False)
    assert RecordsSafeMode.seen == [True, False]
    assert serialization.in_safe_mode() is None


def test_bare_name_registered_twice_is_ambiguous(backend):
    class First(keras.Layer):
        pass

    class Second(keras.Layer):
        pass

    two = {"PackageA>Twin": First, "PackageB>Twin": Second}
    with pytest.raises(ValueError, match=r"several registered objects.*PackageA>Twin.*custom_objects"):
        keras.layers.deserialize({"class_name": "Twin", "config": {}}, custom_objects=two)
    one = {"PackageA>Twin": First}
    assert isinstance(keras.layers.deserialize({"class_name": "Twin", "config": {}}, custom_objects=one), First)


def test_no_pickle_or_eval_in_saving_code():
    folder = os.path.dirname(serialization.__file__)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name)) as f:
                source = f.read()
            for forbidden in ("pickle", "eval(", "exec(", "marshal", "import_module", "__import__"):
                assert forbidden not in source, f"{forbidden!r} in kerasish/saving/{name}"


# ------------------------------------------------------ crash during save
_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import h5py
    import numpy as np
    import kerasish as keras

    path = sys.argv[1]
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    model.set_weights([np.full((4, 3), 7.0, "float32"), np.full((3,), 7.0, "float32")])
    original = h5py.Group.create_dataset

    def slow_create_dataset(self, *args, **kwargs):
        print("WRITING", flush=True)
        time.sleep(60)
        return original(self, *args, **kwargs)

    h5py.Group.create_dataset = slow_create_dataset
    if path.endswith(".keras") or (path.endswith(".h5") and not path.endswith(".weights.h5")):
        model.save(path)
    else:
        model.save_weights(path)
    """
)


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".h5"])
def test_killed_save_leaves_previous_file_intact(backend, tmp_path, suffix):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    randomize(model)
    path = tmp_path / f"model{suffix}"
    if suffix == ".weights.h5":
        model.save_weights(path)
    else:
        model.save(path)
    before = path.read_bytes()

    script = tmp_path / "save_and_hang.py"
    script.write_text(_KILL_SCRIPT)
    env = {**os.environ, "KERASISH_BACKEND": backend.name}
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "WRITING" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
        assert "WRITING" in line, "the child never reached the write"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    fresh = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    if suffix == ".weights.h5":
        fresh.load_weights(path)
    else:
        fresh = keras.models.load_model(path)
    assert_same_weights(model, fresh)
