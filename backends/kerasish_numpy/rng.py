"""Stateless random draws: a (2,) uint32 seed picks a Philox stream, so one seed gives one draw."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasish_numpy.autodiff import strip
from kerasish_numpy.autodiff.primitives import np_dtype


def generator(seed: Any) -> np.random.Generator:
    """A fresh generator whose Philox key is built from the two 32-bit words of `seed`."""
    words = [int(w) & 0xFFFFFFFF for w in np.asarray(strip(seed)).ravel().tolist()]
    if len(words) not in (1, 2):
        raise ValueError(
            f"A seed is a uint32 tensor of shape (2,). Received a seed of {len(words)} values: {seed!r}"
        )
    key = words[0] if len(words) == 1 else (words[0] << 32) | words[1]
    return np.random.Generator(np.random.Philox(key=key))


def _shape(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def _float_dtypes(dtype: Any) -> tuple[np.dtype, np.dtype]:
    """(the dtype asked for, the dtype to draw in: NumPy draws float32 and float64 only)."""
    target = np_dtype(dtype)
    if target.kind != "f":
        raise ValueError(f"This random draw gives floating values. Received: dtype={dtype!r}")
    return target, target if target.itemsize >= 4 else np.dtype(np.float32)


def normal(shape, seed, mean=0.0, stddev=1.0, dtype="float32"):
    target, draw = _float_dtypes(dtype)
    z = generator(seed).standard_normal(_shape(shape), dtype=draw)
    return (z * strip(stddev) + strip(mean)).astype(target, copy=False)


def uniform(shape, seed, minval=0.0, maxval=1.0, dtype="float32"):
    target, draw = _float_dtypes(dtype)
    u = generator(seed).random(_shape(shape), dtype=draw)
    minval, maxval = strip(minval), strip(maxval)
    return (u * (maxval - minval) + minval).astype(target, copy=False)


def truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype="float32"):
    """Normal draws, each redrawn until it lies within two standard deviations."""
    target, draw = _float_dtypes(dtype)
    rng = generator(seed)
    z = rng.standard_normal(_shape(shape), dtype=draw)
    flat = z.reshape(-1)
    redo = np.flatnonzero(np.abs(flat) > 2.0)
    while redo.size:
        flat[redo] = rng.standard_normal(redo.size, dtype=draw)
        redo = redo[np.abs(flat[redo]) > 2.0]
    return (z * strip(stddev) + strip(mean)).astype(target, copy=False)


def randint(shape, seed, minval, maxval, dtype="int32"):
    target = np_dtype(dtype)
    return generator(seed).integers(
        int(strip(minval)), int(strip(maxval)), size=_shape(shape), dtype=target
    )


def categorical(logits, num_samples, seed, dtype="int32"):
    """Gumbel-max: argmax(logits + Gumbel noise) draws a class with probability softmax(logits)."""
    logits = np.asarray(strip(logits), dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(
            f"`logits` must be 2-D (batch, classes). Received: logits.shape={logits.shape}"
        )
    batch, classes = logits.shape
    u = generator(seed).random((batch, int(num_samples), classes))
    gumbel = -np.log(-np.log(np.maximum(u, np.finfo(np.float64).tiny)))
    return np.argmax(logits[:, None, :] + gumbel, axis=-1).astype(np_dtype(dtype))


def permutation(n, seed):
    return generator(seed).permutation(int(n)).astype(np.int32)
