"""Global numeric settings: floatx, epsilon and image_data_format, as `keras.config` has them."""

from __future__ import annotations

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def floatx() -> str:
    """The default float dtype, "float32" unless changed with `set_floatx`."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Sets the default float dtype: "float32", "float16", "bfloat16" or "float64"."""
    global _FLOATX
    accepted = ("bfloat16", "float16", "float32", "float64")
    if value not in accepted:
        raise ValueError(f"Unknown `floatx` value: expected one of {accepted}. Received: {value!r}")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7 by default)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Sets `epsilon()`, the small constant added to avoid dividing by zero."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default data format of image layers: "channels_last" or "channels_first"."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Sets the default data format of image layers ("channels_last" or "channels_first")."""
    global _IMAGE_DATA_FORMAT
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format
