"""Reading dataset files without running code: `.npz` archives and pickled arrays, restricted."""

from __future__ import annotations

import codecs
import io
import pickle
import zipfile

import numpy as np


def _reconstruct():
    if int(np.__version__.split(".")[0]) >= 2:
        from numpy._core.multiarray import _reconstruct
    else:  # pragma: no cover - NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # Python 3 writes bytes into protocol-2 pickles as `_codecs.encode(text, "latin1")`.
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"Refusing to decode pickled bytes with codec {encoding!r}.")
    return codecs.encode(text, encoding, errors)


# The only globals a pickled NumPy array needs (and the latin-1 encoding of bytes in
# protocol-2 pickles). Files written under NumPy 1 name `numpy.core`, under NumPy 2
# `numpy._core`; both resolve here to the running NumPy's objects (without touching
# the deprecated `numpy.core` module).
_ALLOWED = {
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("_codecs", "encode"): lambda: _latin1_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles plain Python data and NumPy arrays, and refuses every other global.

    A dataset file from the internet must not be able to run code: a pickle that names
    anything else (`os.system`, `builtins.eval`, ...) raises `pickle.UnpicklingError`.
    """

    def find_class(self, module: str, name: str):
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise pickle.UnpicklingError(
                f"Refusing to load `{module}.{name}` from a dataset file: only NumPy arrays are "
                "allowed. The file may be corrupted or malicious."
            )
        return factory()


def load_pickle(fileobj, encoding: str = "ASCII"):
    """`pickle.load` restricted to plain data and NumPy arrays."""
    return RestrictedUnpickler(fileobj, encoding=encoding).load()


def _read_npy(buffer: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:
        # An object array (ragged sequences): its data is a pickle after the header.
        buffer.seek(0)
        version = np.lib.format.read_magic(buffer)
        if version == (1, 0):
            np.lib.format.read_array_header_1_0(buffer)
        elif version[0] in (2, 3):
            # 3.0 differs from 2.0 only in the header's text encoding; its layout is the same.
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"Unsupported .npy format version: {version}") from None
        return load_pickle(buffer, encoding="latin1")


def load_npz(path) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` file, as `np.load(path, allow_pickle=True)` would give, safely.

    Numeric arrays are read with pickling disabled; object arrays (IMDB's ragged
    sequences) through `RestrictedUnpickler`.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".npy"):
                continue
            with archive.open(member) as raw:
                arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays
