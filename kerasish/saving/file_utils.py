"""Files for saving: atomic writes, and telling formats apart by their content."""

from __future__ import annotations

import contextlib
import os
import secrets
import zipfile
from collections.abc import Iterator

# The first bytes of every HDF5 file (its superblock may also sit at 512, 1024, ...).
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class WeightsFileError(ValueError):
    """A file that cannot be read as what it claims to be (missing, truncated, corrupt, foreign)."""


def h5py_module():
    """h5py, imported on first use (it is a core dependency, but `import kerasish` stays quick)."""
    import h5py

    return h5py


def _create_temp_file(folder: str, base: str) -> str:
    # O_EXCL with mode 0o666 gives the file the permissions (umask) a plain `open`
    # would, which a `mkstemp` file (always 0o600) would not have after the rename.
    for _ in range(100):
        path = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise FileExistsError(f"Could not create a temporary file next to {os.path.join(folder, base)!r}.")


@contextlib.contextmanager
def atomic_write(filepath, overwrite: bool = True) -> Iterator[str]:
    """Yields a temporary path in `filepath`'s folder; on success it replaces `filepath`.

    A crash or an error before the end leaves any previous `filepath` untouched (the
    temporary file is removed on an error; a killed process may leave it behind).

    Raises:
        FileExistsError: if `filepath` exists and `overwrite` is False.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(
            f"File {filepath!r} already exists and `overwrite=False` was passed. "
            "Pass `overwrite=True` to replace it, or choose another path."
        )
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    temp = _create_temp_file(folder, os.path.basename(filepath))
    try:
        yield temp
        with open(temp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def check_readable(filepath) -> str:
    """`filepath` as a string, after checking it names an existing file."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file found at {filepath!r}.")
    if os.path.isdir(filepath):
        raise WeightsFileError(f"{filepath!r} is a folder; expected a .keras, .weights.h5 or .h5 file.")
    return filepath


def is_hdf5(filepath: str) -> bool:
    """Whether the file starts like an HDF5 file (at offset 0, or a user block of 512 * 2**k)."""
    with open(filepath, "rb") as f:
        offset = 0
        while True:
            f.seek(offset)
            head = f.read(len(_HDF5_SIGNATURE))
            if head == _HDF5_SIGNATURE:
                return True
            if len(head) < len(_HDF5_SIGNATURE):
                return False
            offset = 512 if offset == 0 else offset * 2


def sniff(filepath: str) -> str:
    """"zip" (a .keras archive), "hdf5", or "unknown", from the file's first bytes."""
    if zipfile.is_zipfile(filepath):
        return "zip"
    if is_hdf5(filepath):
        return "hdf5"
    return "unknown"


def open_h5(source, filepath: str, what: str = "weights"):
    """Opens `source` (a path or a file object) with h5py for reading; a clear error if it cannot be.

    Args:
        source: what h5py opens (the path, or a file object inside an archive).
        filepath: the file to name in error messages.
        what: what the file was expected to hold, for the message.
    """
    h5py = h5py_module()
    try:
        return h5py.File(source, mode="r")
    except (OSError, ValueError) as e:
        raise WeightsFileError(
            f"Could not read {what} from {filepath!r}: it is not a readable HDF5 file "
            f"(truncated or corrupt?). h5py said: {e}"
        ) from e
