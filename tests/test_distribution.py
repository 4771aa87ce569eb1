"""kerasish.distribution: the API's checks in process, and real layouts in subprocesses.

JAX fixes its device count when it starts, so training over 8 and 4 devices runs in
subprocesses with virtual CPU devices (XLA_FLAGS=--xla_force_host_platform_device_count),
and the multi-process test starts two processes that meet on 127.0.0.1 through
`kerasish.distribution.initialize()` (JAX's CPU collectives). Each worker prints one
JSON line of results; the assertions are made here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kerasish as keras
import kerasish.backend as kb
from kerasish import distribution as D
from kerasish.distribution import distribution_lib

HAS_JAX = "jax" in kb.available_backends()
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}
SUBPROCESS_TIMEOUT = 240


@pytest.fixture(autouse=True)
def no_distribution_left_behind():
    yield
    D.set_distribution(None)


# ------------------------------------------------------------------ in process
def test_list_devices(backend):
    devices = D.list_devices()
    assert devices == backend.devices() and devices
    assert all(":" in name for name in devices)
    assert D.list_devices("CPU") == backend.devices("cpu")
    with pytest.raises(ValueError, match="device_type"):
        D.list_devices(3)


def test_numpy_backend_has_one_cpu_device():
    with kb.use_backend("numpy") as backend:
        assert D.list_devices() == ["cpu:0"]
        assert D.list_devices("gpu") == []
        assert backend.supports_distribution is False
        with pytest.raises(ValueError, match=r"needs 8 devices, but the 'numpy' backend has 1: cpu:0"):
            D.DeviceMesh((8,), ["batch"])
        with pytest.raises(ValueError, match=r"'cpu:1' is not a device of the 'numpy' backend, which has 1: cpu:0"):
            D.DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
        with pytest.raises(ValueError, match="single process"):
            D.initialize("127.0.0.1:1234", num_processes=2, process_id=0)


def test_device_mesh(backend):
    first = D.list_devices()[0]
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=[first])
    assert mesh.shape == (1, 1) and mesh.axis_names == ("batch", "model")
    assert mesh.devices.shape == (1, 1) and mesh.devices[0, 0] == first
    assert mesh.axis_size("model") == 1
    assert mesh == D.DeviceMesh((1, 1), ("batch", "model"), devices=[first.upper()])
    assert "shape=(1, 1)" in repr(mesh)
    with pytest.raises(ValueError, match="cannot be empty"):
        D.DeviceMesh((), [])
    with pytest.raises(ValueError, match="same size"):
        D.DeviceMesh((1,), ["batch", "model"], devices=[first])
    with pytest.raises(ValueError, match="positive integers"):
        D.DeviceMesh((0,), ["batch"], devices=[])
    with pytest.raises(ValueError, match="distinct"):
        D.DeviceMesh((1, 1), ["a", "a"], devices=[first])
    with pytest.raises(ValueError, match="list of strings"):
        D.DeviceMesh((1,), "batch", devices=[first])
    with pytest.raises(ValueError, match=r"needs 2 devices. Received 1"):
        D.DeviceMesh((2,), ["batch"], devices=[first])
    with pytest.raises(ValueError, match="'tpu:99' is not a device"):
        D.DeviceMesh((1,), ["batch"], devices=["tpu:99"])
    with pytest.raises(ValueError, match="device name"):
        D.DeviceMesh((1,), ["batch"], devices=[3.5])


def test_tensor_layout(backend):
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=D.list_devices()[:1])
    layout = D.TensorLayout([None, "model"], mesh)
    assert layout.axes == (None, "model") and layout.device_mesh is mesh
    assert layout == D.TensorLayout((None, "model"), mesh)
    with pytest.raises(ValueError, match="Invalid axis names"):
        D.TensorLayout(("data",), mesh)
    with pytest.raises(ValueError, match="only one dimension"):
        D.TensorLayout(("model", "model"), mesh)
    with pytest.raises(ValueError, match="one entry"):
        D.TensorLayout("model", mesh)
    late = D.TensorLayout(("model",))
    late.device_mesh = mesh
    with pytest.raises(ValueError, match="Cannot override"):
        late.device_mesh = mesh


def test_layout_map_matches_paths_with_re_search(backend):
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=D.list_devices()[:1])
    layout_map = D.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    layout_map["dense.*bias"] = ["model"]
    layout_map["conv2d.*kernel"] = D.TensorLayout((None, None, None, "model"))
    assert layout_map["dense_1/kernel"].axes == (None, "model")
    assert layout_map["my_model/dense_2/bias"].axes == ("model",)
    assert layout_map["conv2d_123/kernel"].device_mesh is mesh
    assert layout_map["conv3d_1/kernel"] is None
    assert len(layout_map) == 3 and list(layout_map) == ["dense.*kernel", "dense.*bias", "conv2d.*kernel"]
    layout_map[".*kernel"] = (None, "model")
    with pytest.raises(ValueError, match="matches multiple layout specification keys"):
        layout_map["dense/kernel"]
    assert layout_map[".*kernel"].axes == (None, "model")  # an exact key wins
    del layout_map[".*kernel"]
    with pytest.raises(ValueError, match="already exist"):
        layout_map["dense.*kernel"] = (None, "model")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        layout_map["dense(["] = (None,)
    with pytest.raises(ValueError, match="TensorLayout or a tuple"):
        layout_map["x"] = "model"
    with pytest.raises(ValueError, match="Invalid axis names"):
        layout_map["y"] = ("data",)


def test_distributions_and_their_arguments(backend):
    first = D.list_devices()[0]
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=[first])
    data_parallel = D.DataParallel(devices=[first])
    assert data_parallel.batch_dim_name == "batch" and data_parallel.device_mesh.shape == (1,)
    assert D.DataParallel().device_mesh.shape == (len(D.list_devices()),)
    assert data_parallel.get_data_layout((8, 3)).axes == ("batch", None)
    with pytest.warns(UserWarning, match="first axis"):
        assert D.DataParallel(device_mesh=mesh).batch_dim_name == "batch"
    with pytest.raises(ValueError, match="not both"):
        D.DataParallel(device_mesh=mesh, devices=[first])
    with pytest.raises(ValueError, match="DeviceMesh"):
        D.DataParallel(device_mesh="mesh")

    layout_map = D.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    model_parallel = D.ModelParallel(layout_map=layout_map, batch_dim_name="model")
    assert model_parallel.batch_dim_name == "model" and model_parallel.device_mesh is mesh
    assert D.ModelParallel(layout_map=layout_map).batch_dim_name == "batch"
    assert model_parallel.get_tensor_layout("dense/kernel").axes == (None, "model")
    with pytest.raises(ValueError, match="layout_map argument"):
        D.ModelParallel()
    with pytest.raises(ValueError, match="LayoutMap"):
        D.ModelParallel(layout_map={"dense": (None, "model")})
    with pytest.raises(ValueError, match=r"batch_dim_name='data'"):
        D.ModelParallel(layout_map=layout_map, batch_dim_name="data")
    with pytest.raises(ValueError, match="unexpected arguments"):
        D.ModelParallel(layout_map=layout_map, tensor_parallel=True)
    with pytest.raises(TypeError):
        D.ModelParallel(layout_map)  # keyword-only, as in Keras


def test_set_distribution_and_scope(backend):
    assert D.distribution() is None
    outer = D.DataParallel(devices=D.list_devices()[:1])
    inner = D.DataParallel(devices=D.list_devices()[:1])
    D.set_distribution(outer)
    with inner.scope() as current:
        assert current is inner and D.distribution() is inner
    assert D.distribution() is outer
    D.set_distribution(None)
    assert D.distribution() is None
    with pytest.raises(ValueError, match="Expected a Distribution"):
        D.set_distribution("data_parallel")


def test_variables_take_their_layout_from_the_distribution_at_creation(backend):
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=D.list_devices()[:1])
    layout_map = D.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    with D.ModelParallel(layout_map=layout_map).scope():
        layer = keras.layers.Dense(4, name="dense_a")
        layer.build((None, 3))
        loose = keras.Variable(np.zeros((2,)), name="loose")
    assert layer.kernel._layout.axes == (None, "model")  # found by its path "dense_a/kernel"
    assert layer.bias._layout.axes == (None,)  # no key matches: replicated
    assert loose._layout.axes == (None,)
    outside = keras.Variable(np.zeros((2,)))
    assert outside._layout is None
    layout_map["odd.*"] = ("model", None)
    with D.ModelParallel(layout_map=layout_map).scope():
        with pytest.raises(ValueError, match=r"Variable 'odd/w' has shape \(3,\) \(1 dimensions\)"):
            keras.Variable(np.zeros((3,)), name="w").path = "odd/w"


def test_one_device_distribution_trains_as_without(backend):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = x @ rng.normal(size=(3, 2)).astype("float32")

    def train():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(2)])
        model.compile(optimizer="adam", loss="mse")
        losses = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
        return losses, model.get_weights(), model.predict(x, batch_size=8, verbose=0)

    plain = train()
    with D.DataParallel(devices=D.list_devices()[:1]).scope():
        distributed = train()
    np.testing.assert_allclose(distributed[0], plain[0], **TOLERANCE)
    for a, b in zip(distributed[1], plain[1]):
        np.testing.assert_allclose(a, b, **TOLERANCE)
    np.testing.assert_allclose(distributed[2], plain[2], **TOLERANCE)


def test_distribute_tensor(backend):
    mesh = D.DeviceMesh((1,), ["batch"], devices=D.list_devices()[:1])
    layout = D.TensorLayout(("batch", None), mesh)
    value = D.distribute_tensor(backend.ones((2, 3), "float32"), layout)
    np.testing.assert_array_equal(backend.to_numpy(value), np.ones((2, 3)))
    symbolic = keras.KerasTensor((None, 3), "float32")
    assert D.distribute_tensor(symbolic, layout) is symbolic
    with pytest.raises(ValueError, match="TensorLayout with a device mesh"):
        D.distribute_tensor(backend.ones((2, 3), "float32"), D.TensorLayout(("batch", None)))
    with pytest.raises(ValueError, match=r"has shape \(2,\) \(1 dimensions\)"):
        D.distribute_tensor(backend.ones((2,), "float32"), layout)


# --------------------------------------------------------------- initialize
@pytest.fixture
def recorded_initialize(monkeypatch):
    """The backend's initialize_distributed replaced by a recorder (no cluster is joined)."""
    calls = []
    backend = kb.get()
    monkeypatch.setattr(backend, "initialize_distributed", lambda *args: calls.append(args), raising=False)
    for prefix in distribution_lib._ENV_PREFIXES:
        for name in ("JOB_ADDRESSES", "NUM_PROCESSES", "PROCESS_ID"):
            monkeypatch.delenv(prefix + name, raising=False)
    return calls


def test_initialize_arguments(recorded_initialize):
    D.initialize("10.0.0.1:1234,10.0.0.2:2345", num_processes=2, process_id=1)
    D.initialize("10.0.0.1:1234", num_processes=4, process_id=0)
    D.initialize()
    assert recorded_initialize == [("10.0.0.1:1234", 2, 1), ("10.0.0.1:1234", 4, 0), (None, None, None)]


def test_initialize_reads_keras_and_kerasish_environment_variables(recorded_initialize, monkeypatch):
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234,10.0.0.2:2345")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    D.initialize()
    monkeypatch.setenv("KERASISH_DISTRIBUTION_PROCESS_ID", "0")  # kerasish's name wins
    D.initialize()
    D.initialize(process_id=1)  # an argument wins over both
    assert recorded_initialize == [("10.0.0.1:1234", 2, 1), ("10.0.0.1:1234", 2, 0), ("10.0.0.1:1234", 2, 1)]


def test_initialize_rejects_bad_input(recorded_initialize, monkeypatch):
    with pytest.raises(ValueError, match="has 2 jobs, but num_processes is 3"):
        D.initialize("a:1,b:2", num_processes=3, process_id=0)
    with pytest.raises(ValueError, match=r"process_id=2, num_processes=2"):
        D.initialize("a:1", num_processes=2, process_id=2)
    with pytest.raises(ValueError, match="positive integer"):
        D.initialize("a:1", num_processes=0, process_id=0)
    with pytest.raises(ValueError, match="integer for `num_processes`"):
        D.initialize("a:1", num_processes=2.5, process_id=0)
    with pytest.raises(ValueError, match="comma-separated"):
        D.initialize("", num_processes=2, process_id=0)
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "two")
    with pytest.raises(ValueError, match=r"KERAS_DISTRIBUTION_NUM_PROCESSES\). Received: 'two'"):
        D.initialize("a:1", process_id=0)
    assert recorded_initialize == []


# ------------------------------------------------------------- subprocesses
WORKER = textwrap.dedent(
    '''
    import contextlib, json, os, sys
    import numpy as np
    import kerasish as keras
    from kerasish import distribution as D

    RESULTS = {}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 6)).astype("float32")
    Y = (X @ rng.normal(size=(6, 4)) + 0.1).astype("float32")


    def build(seed=7):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(16, activation="relu", name="dense_in"),
            keras.layers.Dense(4, name="dense_out"),
        ])
        return model


    def train(distribution=None, steps_per_execution=1):
        with distribution.scope() if distribution is not None else contextlib.nullcontext():
            model = build()
            model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=steps_per_execution)
            history = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
            evaluation = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
            # 40 samples: the last batch (8) is padded to 16 by predict.
            prediction = model.predict(X[:40], batch_size=16, verbose=0)
            data = model._to_backend((X[:16], Y[:16]))
        return model, {
            "loss": history["loss"], "mae": history["mae"], "evaluate": evaluation,
            "weights": [w.tolist() for w in model.get_weights()], "predict": prediction.tolist(),
            "trace_counts": dict(model.trace_counts), "data_spec": [spec(d) for d in data],
            "data_devices": [len(d.sharding.device_set) for d in data],
        }


    def spec(array):
        """The PartitionSpec as a list (None for arrays on one device)."""
        found = getattr(array.sharding, "spec", None)
        return None if found is None else list(found)


    def shardings(model):
        variables = model.variables + model.optimizer.variables + model.metrics_variables
        return {v.path: [spec(v.value), len(v.value.sharding.device_set)] for v in variables}


    def error_of(fn):
        try:
            fn()
        except ValueError as e:
            return str(e)
        return None


    def model_parallel(shape):
        mesh = D.DeviceMesh(shape, ["batch", "model"])
        layout_map = D.LayoutMap(mesh)
        layout_map["dense.*kernel"] = (None, "model")
        layout_map["dense.*bias"] = ("model",)
        return D.ModelParallel(layout_map=layout_map, batch_dim_name="batch")


    def single_process(count, work_dir):
        import jax

        RESULTS["devices"] = D.list_devices()
        RESULTS["from_jax_devices"] = D.DataParallel(devices=jax.devices()[:2]).device_mesh.devices.tolist()
        try:  # too late: JAX is already running
            D.initialize("127.0.0.1:1", num_processes=2, process_id=0)
        except RuntimeError as e:
            RESULTS["late_initialize"] = str(e)
        RESULTS["reference"] = train()[1]
        data_parallel = D.DataParallel()
        model, RESULTS["data_parallel"] = train(data_parallel)
        RESULTS["data_parallel_shardings"] = shardings(model)
        RESULTS["data_parallel_fused"] = train(data_parallel, steps_per_execution=2)[1]
        with data_parallel.scope():
            # 58 samples: the last batch has 10, which no 4 or 8 devices share evenly.
            RESULTS["indivisible"] = error_of(lambda: model.fit(X[:58], Y[:58], batch_size=16, verbose=0))
        distribution = model_parallel((2, count // 2))
        model, RESULTS["model_parallel"] = train(distribution)
        RESULTS["model_parallel_shardings"] = shardings(model)

        # Saving gathers to the host; loading reshards into the variables' layouts.
        path = os.path.join(work_dir, "sharded.weights.h5")
        model.save_weights(path)
        with distribution.scope():
            fresh = build(seed=99)
            fresh.load_weights(path)
        RESULTS["loaded_weights"] = [w.tolist() for w in fresh.get_weights()]
        RESULTS["loaded_shardings"] = {v.path: spec(v.value) for v in fresh.variables}
        plain = build(seed=99)
        plain.load_weights(path)
        RESULTS["plain_loaded_weights"] = [w.tolist() for w in plain.get_weights()]
        RESULTS["plain_loaded_devices"] = [len(v.value.sharding.device_set) for v in plain.variables]

        wide = D.LayoutMap(D.DeviceMesh((1, count), ["batch", "model"]))
        wide["dense_in/kernel"] = ("model", None)  # 6 rows over `count` devices
        with D.ModelParallel(layout_map=wide).scope():
            RESULTS["uneven_layout"] = error_of(build)


    def multi_process():
        D.initialize()
        import jax

        RESULTS["seed_after_initialize"] = keras.random.make_default_seed()  # process 0's, everywhere

        RESULTS["process"] = [jax.process_index(), jax.process_count()]
        RESULTS["devices"] = D.list_devices()
        RESULTS["local_devices"] = len(jax.local_devices())
        RESULTS["reference"] = train()[1]
        model, RESULTS["data_parallel"] = train(D.DataParallel())
        RESULTS["data_parallel_shardings"] = shardings(model)
        model, RESULTS["model_parallel"] = train(model_parallel((2, 2)))
        RESULTS["model_parallel_shardings"] = shardings(model)

        # auto_shard_dataset=False: each process is given its own half of every batch of 16.
        process = jax.process_index()
        rows = np.concatenate([np.arange(16 * k + 8 * process, 16 * k + 8 * process + 8) for k in range(6)])
        with D.DataParallel(auto_shard_dataset=False).scope():
            model = build()
            model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            history = model.fit(X[rows], Y[rows], batch_size=8, epochs=2, shuffle=False, verbose=0).history
            evaluation = model.evaluate(X[rows], Y[rows], batch_size=8, verbose=0, return_dict=True)
            RESULTS["local_predict"] = error_of(lambda: model.predict(X[rows], batch_size=8, verbose=0))
        RESULTS["data_parallel_local"] = {
            "loss": history["loss"], "evaluate": evaluation, "weights": [w.tolist() for w in model.get_weights()],
        }


    if sys.argv[1] == "multi":
        multi_process()
    else:
        single_process(int(sys.argv[1]), sys.argv[2])
    print("RESULTS:" + json.dumps(RESULTS))
    '''
)


def _environment(device_count: int) -> dict:
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    env["KERASISH_BACKEND"] = "jax"
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={device_count}"
    env["PYTHONWARNINGS"] = "error"
    for prefix in distribution_lib._ENV_PREFIXES:
        for name in ("JOB_ADDRESSES", "NUM_PROCESSES", "PROCESS_ID"):
            env.pop(prefix + name, None)
    return env


def _results(stdout: str, stderr: str, returncode: int) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULTS:")]
    assert returncode == 0 and lines, f"worker failed ({returncode}):\n{stdout[-3000:]}\n{stderr[-5000:]}"
    return json.loads(lines[-1][len("RESULTS:"):])


def _assert_same_training(got: dict, expected: dict) -> None:
    np.testing.assert_allclose(got["loss"], expected["loss"], **TOLERANCE)
    np.testing.assert_allclose(got["mae"], expected["mae"], **TOLERANCE)
    for name in expected["evaluate"]:
        np.testing.assert_allclose(got["evaluate"][name], expected["evaluate"][name], **TOLERANCE)
    assert len(got["weights"]) == len(expected["weights"]) == 4
    for a, b in zip(got["weights"], expected["weights"]):
        np.testing.assert_allclose(np.array(a), np.array(b), **TOLERANCE)
    np.testing.assert_allclose(np.array(got["predict"]), np.array(expected["predict"]), **TOLERANCE)


def _assert_model_parallel_shardings(shardings: dict, model_axis: int, devices: int) -> None:
    for path, (spec, count) in shardings.items():
        assert count == devices, (path, count)
        if path.endswith("kernel") or "kernel_" in path:  # weights and their Adam slots
            assert spec == [None, "model"], (path, spec)
        elif path.endswith("bias") or "bias_" in path:
            assert spec == ["model"], (path, spec)
        else:  # adam/iteration, the metrics' totals...
            assert set(spec) <= {None}, (path, spec)
    assert model_axis in (2, 4)


@pytest.mark.skipif(not HAS_JAX, reason="needs the JAX backend")
@pytest.mark.parametrize("count", [8, 4])
def test_data_and_model_parallel_training_match_one_device(count, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    done = subprocess.run(
        [sys.executable, str(script), str(count), str(tmp_path)],
        env=_environment(count), capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
    )
    results = _results(done.stdout, done.stderr, done.returncode)
    assert results["devices"] == [f"cpu:{i}" for i in range(count)]
    assert "must run once per process, before anything uses the JAX backend" in results["late_initialize"]
    assert results["from_jax_devices"] == ["cpu:0", "cpu:1"]
    reference = results["reference"]
    assert reference["data_devices"] == [1, 1]

    for name in ("data_parallel", "data_parallel_fused", "model_parallel"):
        _assert_same_training(results[name], reference)
        # The batch is split along its first dimension over every device.
        assert results[name]["data_spec"] == [["batch", None]] * 2, name
        assert results[name]["data_devices"] == [count, count], name
    # Two epochs, one compiled train step: the layouts never change between steps.
    assert results["data_parallel"]["trace_counts"]["train"] == 1
    assert results["model_parallel"]["trace_counts"]["train"] == 1

    for path, (spec, devices) in results["data_parallel_shardings"].items():
        assert devices == count and set(spec) <= {None}, (path, spec)  # whole on every device
    _assert_model_parallel_shardings(results["model_parallel_shardings"], count // 2, count)

    assert f"batch size must be a multiple of {count}" in results["indivisible"]
    assert "Received: a batch of 10 samples" in results["indivisible"]
    assert f"dimension 0 (6) is split over the mesh axis 'model' of {count} devices" in results["uneven_layout"]

    for a, b in zip(results["loaded_weights"], results["model_parallel"]["weights"]):
        np.testing.assert_array_equal(np.array(a), np.array(b))
    for a, b in zip(results["plain_loaded_weights"], results["model_parallel"]["weights"]):
        np.testing.assert_array_equal(np.array(a), np.array(b))
    assert results["loaded_shardings"] == {
        "dense_in/kernel": [None, "model"], "dense_in/bias": ["model"],
        "dense_out/kernel": [None, "model"], "dense_out/bias": ["model"],
    }
    assert results["plain_loaded_devices"] == [1, 1, 1, 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not HAS_JAX, reason="needs the JAX backend")
def test_two_processes_train_data_parallel_as_one(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    port = _free_port()
    workers = []
    for process_id in range(2):
        env = _environment(2)
        env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = f"127.0.0.1:{port}"
        env["KERAS_DISTRIBUTION_NUM_PROCESSES"] = "2"
        env["KERASISH_DISTRIBUTION_PROCESS_ID"] = str(process_id)
        workers.append(subprocess.Popen(
            [sys.executable, str(script), "multi"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    outputs = []
    try:
        for worker in workers:
            stdout, stderr = worker.communicate(timeout=SUBPROCESS_TIMEOUT)
            outputs.append(_results(stdout, stderr, worker.returncode))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    first, second = outputs
    assert first["process"] == [0, 2] and second["process"] == [1, 2]
    assert first["devices"] == second["devices"] and len(first["devices"]) == 4
    assert first["local_devices"] == second["local_devices"] == 2
    assert first["seed_after_initialize"] == second["seed_after_initialize"]
    for name in ("data_parallel", "model_parallel"):
        # Both processes hold the same global model...
        assert first[name]["weights"] == second[name]["weights"], name
        assert first[name]["loss"] == second[name]["loss"], name
        # ...equal to the one trained in one process, on one device.
        _assert_same_training(first[name], first["reference"])
        assert first[name]["data_devices"] == [4, 4]
    _assert_same_training(second["reference"], first["reference"])
    for path, (spec, devices) in first["data_parallel_shardings"].items():
        assert devices == 4 and set(spec) <= {None}, (path, spec)
    _assert_model_parallel_shardings(first["model_parallel_shardings"], 2, 4)

    # Each process given its own part of every batch: the same training as one device.
    for local in (first["data_parallel_local"], second["data_parallel_local"]):
        np.testing.assert_allclose(local["loss"], first["reference"]["loss"], **TOLERANCE)
        for name, value in first["reference"]["evaluate"].items():
            np.testing.assert_allclose(local["evaluate"][name], value, **TOLERANCE)
        for a, b in zip(local["weights"], first["reference"]["weights"]):
            np.testing.assert_allclose(np.array(a), np.array(b), **TOLERANCE)
    assert "predict over 2 processes needs auto_shard_dataset=True" in first["local_predict"]
