"""Staged loading: read and check every weight first, then assign them all at once.

Each object's `load_own_variables(store)` runs inside a `StatelessScope`, which records
the values it assigns instead of changing any variable. Only when every object has
been read and checked are the recorded values written, so a file that does not fit
the model raises an error and leaves the model exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import numpy as np

from kerasish.saving.file_utils import WeightsFileError
from kerasish.variables import StatelessScope, Variable


class WeightMismatchError(ValueError):
    """The file's weights for an object do not fit it (count or shape); `skip_mismatch` skips these."""


@dataclasses.dataclass
class LoadReport:
    """What `load_weights` did.

    Attributes:
        filepath: the file read.
        format: "keras3" (Keras 3's `layers/<name>/vars/<i>` layout, in a .weights.h5
            file or a .keras archive) or "keras2" (Keras 2's `layer_names` /
            `weight_names` layout of .h5 files).
        loaded: the entries of the file whose weights were assigned (paths of `vars`
            groups for "keras3", layer names for "keras2").
        skipped: `(entry, why)` for each object of the model left unchanged.
        unused: entries of the file holding weights that nothing in the model took.
    """

    filepath: str
    format: str
    loaded: list[str] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    unused: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        lines = [f"Loaded {len(self.loaded)} weight group(s) from {self.filepath!r} ({self.format} layout)."]
        lines += [f"  skipped {entry}: {why}" for entry, why in self.skipped]
        if self.unused:
            lines.append(f"  unused in the file: {', '.join(self.unused)}")
        return "\n".join(lines)


class StagedAssignments:
    """Values to assign to variables, collected while nothing is changed yet."""

    def __init__(self):
        self._pending: list[tuple[Variable, object]] = []

    def stage(self, load) -> None:
        """Runs `load()` without changing any variable, keeping the assignments it makes.

        If `load` raises, nothing it assigned is kept.
        """
        with StatelessScope() as scope:
            load()
        # The scope records each assigned variable with the value it would now hold.
        for key, value in scope._assigned.items():
            self._pending.append((scope._variables[key], value))

    def add(self, variable: Variable, value) -> None:
        self._pending.append((variable, value))

    def apply(self) -> None:
        """Writes every staged value (each was already checked and converted)."""
        for variable, value in self._pending:
            variable.assign(value)


def shape_of(value) -> tuple:
    return tuple(np.shape(value))


def check_values(owner: str, variables: list, values: list, where: str) -> None:
    """Raises WeightMismatchError naming the first weight whose count or shape does not fit.

    Args:
        owner: how to name the object ("Layer 'dense_1'").
        variables: the object's variables, in saving order.
        values: the arrays from the file, in the same order.
        where: where the values come from ("'layers/dense_1/vars' in 'm.weights.h5'").
    """
    if len(values) != len(variables):
        expected = ", ".join(f"{v.name} {tuple(v.shape)}" for v in variables) or "none"
        found = ", ".join(str(shape_of(x)) for x in values) or "none"
        raise WeightMismatchError(
            f"{owner} expects {len(variables)} weight(s) [{expected}], but {where} holds "
            f"{len(values)} [{found}]."
        )
    for i, (variable, value) in enumerate(zip(variables, values)):
        if shape_of(value) != tuple(variable.shape):
            raise WeightMismatchError(
                f"{owner}: weight #{i} {variable.name!r} expects shape {tuple(variable.shape)}, but "
                f"{where} holds shape {shape_of(value)}."
            )


@contextlib.contextmanager
def reading(filepath: str, what: str) -> Iterator[None]:
    """Turns h5py's errors while reading `what` into a WeightsFileError naming the file.

    A damaged file can fail anywhere (opening a group, listing it, reading data), and
    h5py then raises OSError, KeyError, RuntimeError or ValueError with its own words.
    """
    try:
        yield
    except (WeightsFileError, WeightMismatchError):
        raise
    except (OSError, KeyError, RuntimeError, ValueError, TypeError) as e:
        raise WeightsFileError(
            f"Could not read {what} from {filepath!r}: the file is damaged (truncated or corrupt?). "
            f"h5py said: {e}"
        ) from e


def read_array(group, key: str, filepath: str) -> np.ndarray:
    """The data of dataset `key` of `group` as a NumPy array; a clear error if the file is damaged there."""
    with reading(filepath, f"weight {group.name}/{key}"):
        return np.asarray(group[key][()])
