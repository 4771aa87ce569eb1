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
