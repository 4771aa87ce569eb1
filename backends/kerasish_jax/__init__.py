"""The JAX backend for kerasish: XLA compilation, autodiff and control flow through JAX."""

from __future__ import annotations

from kerasish_jax.backend import JaxBackend

__all__ = ["JaxBackend"]
