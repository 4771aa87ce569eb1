"""The NumPy backend: kerasish's readable reference, with its own reverse-mode autodiff."""

from __future__ import annotations

from kerasish_numpy.backend import NumpyBackend

__all__ = ["NumpyBackend"]
