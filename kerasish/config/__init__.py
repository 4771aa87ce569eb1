"""Global settings (`keras.config` names): floatx, epsilon, image_data_format, the backend."""

from kerasish.backend import backend
from kerasish.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from kerasish.saving.serialization import enable_unsafe_deserialization

__all__ = ["backend", "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx", "set_image_data_format"]
