"""Standard dtype names shared by every backend, and the rules for inferring them."""

from __future__ import annotations

import numpy as np

FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
ALLOWED_DTYPES = ("bool",) + INT_TYPES + FLOAT_TYPES

_ALIASES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "int": "int32",
    "long": "int64",
    "bool_": "bool",
}


def standardize_dtype(dtype) -> str:
    """Returns the standard name ("float32", "int32", ...) for any dtype-like value.

    Accepts strings, NumPy dtypes and scalar types, Python's `float`/`int`/`bool`, and
    any object with a `name` or `dtype` attribute naming a standard dtype.
    """
    if dtype is None:
        from kerasish.backend.config import floatx

        return floatx()
    if dtype is float:
        return "float32"
    if dtype is int:
        return "int32"
    if dtype is bool:
        return "bool"
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
    elif hasattr(dtype, "name") and isinstance(dtype.name, str):
        name = dtype.name
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = str(dtype)
    name = _ALIASES.get(name, name)
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: expected one of {ALLOWED_DTYPES}. Received: dtype={dtype!r}")
    return name


def is_float(dtype) -> bool:
    return standardize_dtype(dtype) in FLOAT_TYPES


def is_int(dtype) -> bool:
    return standardize_dtype(dtype) in INT_TYPES


def result_dtype(*dtypes) -> str:
    """The dtype NumPy's promotion gives for operands of these standard dtypes."""
    names = [standardize_dtype(d) for d in dtypes]
    if "bfloat16" in names:
        others = [n for n in names if n != "bfloat16"]
        if all(n in ("bool",) + INT_TYPES or n == "bfloat16" for n in others):
            return "bfloat16"
        names = ["float32" if n == "bfloat16" else n for n in names]
    return np.result_type(*[np.dtype(n) for n in names]).name
