"""Backend registry and selection: entry points, env var, config file, switching."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasish
import kerasish.backend as kb


def test_both_backends_registered():
    assert {"jax", "numpy"} <= set(kb.available_backends())


def test_unknown_backend_lists_registered():
    with pytest.raises(ValueError, match="Registered backends: .*jax.*numpy"):
        kb.set_backend("tensorflow")


def test_use_backend_switches_and_restores():
    before = kb.backend()
    with kb.use_backend("numpy"):
        assert kb.backend() == "numpy"
        assert kerasish.backend.get().name == "numpy"
        with kb.use_backend("jax"):
            assert kb.backend() == "jax"
        assert kb.backend() == "numpy"
    assert kb.backend() == before


def test_capabilities_are_attributes(backend):
    assert isinstance(backend.supports_jit, bool)
    assert backend.supports_gradient
    assert backend.devices()


def test_register_backend_rejects_non_backend():
    with pytest.raises(TypeError, match="subclass of kerasish.backend.Backend"):
        kb.register_backend("bogus", object)


def _active_backend_in_subprocess(env_extra, home):
    env = {k: v for k, v in os.environ.items() if k != "KERASISH_BACKEND"}
    env.update(env_extra)
    env["KERASISH_HOME"] = str(home)
    out = subprocess.run(
        [sys.executable, "-c", "import kerasish; print(kerasish.backend.backend())"],
        env=env, capture_output=True, text=True, check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def test_selection_order(tmp_path):
    # Default: jax when it imports.
    assert _active_backend_in_subprocess({}, tmp_path) == "jax"
    # Config file beats the default.
    (tmp_path / "kerasish.json").write_text(json.dumps({"backend": "numpy"}))
    assert _active_backend_in_subprocess({}, tmp_path) == "numpy"
    # The environment variable beats the config file.
    assert _active_backend_in_subprocess({"KERASISH_BACKEND": "jax"}, tmp_path) == "jax"


def test_variable_refuses_other_backend():
    with kb.use_backend("numpy"):
        v = kerasish.Variable(np.ones((2,), "float32"))
    with kb.use_backend("jax"):
        with pytest.raises(RuntimeError, match="created with the 'numpy' backend"):
            _ = v.value


def test_backend_import_leaves_global_random_state_alone(tmp_path):
    code = (
        "import numpy as np, random\n"
        "np.random.seed(3); random.seed(3)\n"
        "expected = (np.random.get_state()[1][:4].tolist(), random.random())\n"
        "np.random.seed(3); random.seed(3)\n"
        "import kerasish\n"
        "kerasish.backend.get()\n"
        "got = (np.random.get_state()[1][:4].tolist(), random.random())\n"
        "print(expected == got)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KERASISH_BACKEND"}
    env["KERASISH_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "True"
