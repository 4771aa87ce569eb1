"""The examples run, and the quickstart reaches its promised accuracy on every backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import kerasish.backend as kb

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_quickstart_accuracy(backend_name, capsys, tmp_path, monkeypatch):
    from kerasish.utils import model_visualization

    monkeypatch.setattr(model_visualization, "_warned_no_graphviz", True)  # either drawing path is fine
    quickstart = _load("quickstart")
    with kb.use_backend(backend_name):
        accuracy = quickstart.main(["--verbose", "0", "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert 'Model: "digits_mlp"' in out and "Total params: 17,226" in out
    for name in ("model.png", "history.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
        assert str(tmp_path / name) in out
    assert accuracy >= 0.95, f"quickstart reached only {accuracy:.4f} on {backend_name}"


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_custom_training_loop_example(backend_name, capsys):
    example = _load("custom_training_loop")
    with kb.use_backend(backend_name):
        accuracy = example.main(["--epochs", "6"])
    assert "epoch 6:" in capsys.readouterr().out
    assert accuracy > 0.9


# The NumPy backend trains in Python: it gets fewer epochs and, for the CNN and the
# LSTM, a subset of the data.
FEW = {
    "cnn_images": {"jax": ["--epochs", "6"], "numpy": ["--epochs", "8", "--subset", "500"]},
    "text_classifier": {"jax": ["--epochs", "3"], "numpy": ["--epochs", "5", "--samples", "400"]},
    "multi_io_functional": {"jax": ["--epochs", "8"], "numpy": ["--epochs", "8"]},
    "subclassed_custom_layer": {"jax": ["--epochs", "15"], "numpy": ["--epochs", "15"]},
    "transfer_learning": {"jax": ["--epochs", "8"], "numpy": ["--epochs", "8"]},
    "save_load_and_keras": {"jax": ["--epochs", "3"], "numpy": ["--epochs", "3"]},
}


def _run(name, backend_name, *extra):
    example = _load(name)
    with kb.use_backend(backend_name):
        return example.main([*FEW[name].get(backend_name, FEW[name]["numpy"]), "--verbose", "0", *extra])


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_cnn_images(backend_name, capsys):
    accuracy = _run("cnn_images", backend_name)
    assert 'Model: "digits_cnn"' in capsys.readouterr().out
    assert accuracy >= (0.9 if backend_name == "jax" else 0.75), f"{accuracy:.4f} on {backend_name}"


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_text_classifier(backend_name):
    accuracy = _run("text_classifier", backend_name)
    assert accuracy >= 0.9, f"{accuracy:.4f} on {backend_name}"


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_multi_io_functional(backend_name):
    results = _run("multi_io_functional", backend_name)
    assert results["same_cluster_accuracy"] >= 0.9 and results["cluster_of_a_accuracy"] >= 0.9, results
    assert results["loss"] == pytest.approx(results["same_cluster_loss"] + 0.5 * results["cluster_of_a_loss"], rel=1e-4)


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_subclassed_custom_layer(backend_name, capsys):
    accuracy = _run("subclassed_custom_layer", backend_name)
    assert "same predictions" in capsys.readouterr().out
    assert accuracy >= 0.95, f"{accuracy:.4f} on {backend_name}"


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_transfer_learning_keeps_the_base_frozen(backend_name):
    results = _run("transfer_learning", backend_name)
    assert results["frozen_unchanged"]
    assert results["accuracy"] >= 0.8, results


@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_callbacks_tensorboard_checkpoints(backend_name, tmp_path):
    example = _load("callbacks_tensorboard_checkpoints")
    with kb.use_backend(backend_name):
        results = example.main(["--epochs", "30", "--patience", "2", "--verbose", "0", "--out-dir", str(tmp_path)])
    assert results["epochs_run"] < 30  # EarlyStopping ended it
    assert results["checkpoint_matches"] and results["accuracy"] >= 0.9, results
    assert (tmp_path / "best.weights.h5").exists() and (tmp_path / "last.keras").exists()
    rows = (tmp_path / "training.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and len(rows) == results["epochs_run"] + 1
    if importlib.util.find_spec("tensorboardX") is not None:
        assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "logs" / "train").iterdir())


@pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")  # Keras 3's own, under NumPy 2
@pytest.mark.parametrize("backend_name", kb.available_backends())
def test_save_load_and_keras(backend_name, tmp_path, capsys):
    example = _load("save_load_and_keras")
    results = _run("save_load_and_keras", backend_name, "--out-dir", str(tmp_path))
    for name in ("kerasish .keras", "kerasish .weights.h5"):
        assert results[name] < 1e-5, results
    keras, _ = example._import_keras()
    if keras is None:
        assert "Skipping Keras 3" in capsys.readouterr().out
    else:
        for name in ("keras .keras", "keras .weights.h5", "keras -> kerasish .keras"):
            assert results[name] < 1e-5, results
