"""Argument and input-shape checks shared by the layers, with errors that name the layer."""

from __future__ import annotations

from collections.abc import Sequence

from kerasish.backend.config import image_data_format


def check_positive_int(layer: str, name: str, value) -> int:
    """`value` if it is a positive int, else a ValueError naming `layer` and `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{layer}: argument `{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return value


def standardize_tuple(layer: str, value, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """`value` (an int, or `n` ints) as a tuple of `n` ints; > 0 (>= 0 with `allow_zero`)."""
    message = f"{layer}: argument `{name}` must be an integer or a tuple of {n} integers"
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(f"{message}. Received: {name}={value!r}") from None
        if len(values) != n or any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise ValueError(f"{message}. Received: {name}={value!r}")
    bad = [v for v in values if (v < 0 if allow_zero else v <= 0)]
    if bad:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{message}, each {bound}. Received: {name}={value!r}")
    return tuple(int(v) for v in values)


def standardize_data_format(layer: str, data_format) -> str:
    """"channels_last" or "channels_first" (the configured default for None)."""
    if data_format is None:
        return image_data_format()
    normalized = str(data_format).lower()
    if normalized not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{layer}: argument `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return normalized


def check_input_ndim(layer_name: str, class_name: str, shape: Sequence, ndim: int) -> None:
    """Raises a ValueError unless `shape` has exactly `ndim` axes (batch axis included)."""
    if len(shape) != ndim:
        raise ValueError(
            f"Input of layer {layer_name!r} ({class_name}) is incompatible: expected ndim={ndim}, "
            f"found ndim={len(shape)}. Full shape received: {tuple(shape)}"
        )
