"""Shared fixtures: every backend-neutral test runs once per registered backend."""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import pytest

import kerasish.backend as kb

BACKENDS = kb.available_backends()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Activates each registered backend in turn; yields the backend object."""
    with kb.use_backend(request.param) as b:
        yield b


@pytest.fixture
def rng():
    return np.random.default_rng(0)
