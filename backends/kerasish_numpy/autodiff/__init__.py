"""Reverse-mode autodiff for the NumPy backend: boxes, a VJP table and a tape walk (see README.md)."""

from __future__ import annotations

from kerasish_numpy.autodiff import convolution, primitives
from kerasish_numpy.autodiff.core import (
    VJPS,
    Box,
    MissingGradientError,
    defvjp,
    defvjp_argnum,
    nondifferentiable,
    not_recording,
    primitive,
    strip,
    value_and_grad,
)
from kerasish_numpy.autodiff.primitives import stop_gradient, unbroadcast

__all__ = [
    "VJPS",
    "Box",
    "MissingGradientError",
    "convolution",
    "defvjp",
    "defvjp_argnum",
    "nondifferentiable",
    "not_recording",
    "primitive",
    "primitives",
    "stop_gradient",
    "strip",
    "unbroadcast",
    "value_and_grad",
]
