"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, ActivityRegularization."""

from __future__ import annotations

import math

from kerasish import random as krandom
from kerasish.layers._validation import check_input_ndim, standardize_data_format
from kerasish.layers.layer import Layer


class Dropout(Layer):
    """Sets inputs to 0 with frequency `rate` while training, scaling the rest by 1 / (1 - rate).

    Args:
        rate: float in [0, 1), the fraction of inputs to drop.
        noise_shape: shape of the binary mask (None entries take the input's size).
        seed: an int for reproducible masks.

    Call arguments:
        training: drops only when True (inference leaves inputs unchanged).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = krandom.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and 0 < self.rate < 1:
            return krandom.dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator)
        if training and self.rate == 1:
            from kerasish import ops

            return ops.zeros_like(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


# ------------------------------------------------- spatial dropout, noise, activity regularization
class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep-or-drop draw per (example, channel)."""

    _rank = 0

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)

    def _channels_axis(self, ndim: int) -> int:
        return ndim - 1

    def call(self, inputs, training=False):
        from kerasish import ops

        shape = tuple(ops.shape(inputs))
        check_input_ndim(self.name, type(self).__name__, shape, self._rank)
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ops.zeros_like(inputs)
        channels = self._channels_axis(len(shape))
        noise_shape = tuple(d if i in (0, channels) else 1 for i, d in enumerate(shape))
        return krandom.dropout(inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        check_input_ndim(self.name, type(self).__name__, input_shape, self._rank)
        return tuple(input_shape)

    def get_config(self):
        # Keras's spatial dropouts serialize exactly these keys (no noise_shape, no trainable).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole 1D feature maps (channels) instead of single elements.

    Where neighbouring timesteps are strongly correlated, element-wise dropout hardly
    regularizes; dropping a channel for every timestep of an example does.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        seed: an int for reproducible masks.

    Call arguments:
        training: drops only when True.

    Input shape:
        `(samples, timesteps, channels)`.

    Output shape:
        Same as the input.
    """

    _rank = 3


class _SpatialDropoutND(_SpatialDropout):
    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = standardize_data_format(type(self).__name__, data_format)

    def _channels_axis(self, ndim: int) -> int:
        return 1 if self.data_format == "channels_first" else ndim - 1

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutND):
    """Drops whole 2D feature maps (channels) instead of single pixels.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        data_format: "channels_last" (default from `image_data_format()`) or
            "channels_first".
        seed: an int for reproducible masks.

    Call arguments:
        training: drops only when True.

    Input shape:
        `(samples, rows, cols, channels)`, or `(samples, channels, rows, cols)`
        with "channels_first".

    Output shape:
        Same as the input.
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropoutND):
    """Drops whole 3D feature maps (channels) instead of single voxels.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        data_format: "channels_last" (default from `image_data_format()`) or
            "channels_first".
        seed: an int for reproducible masks.

    Call arguments:
        training: drops only when True.

    Input shape:
        `(samples, dim1, dim2, dim3, channels)`, or
        `(samples, channels, dim1, dim2, dim3)` with "channels_first".

    Output shape:
        Same as the input.
    """

    _rank = 5


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` while training.

    Args:
        stddev: float in [0, 1] (Keras 3's range), the noise's standard deviation.
        seed: an int for reproducible noise.

    Call arguments:
        training: adds noise only when True (inference leaves inputs unchanged).

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev` of GaussianNoise. Expected a float value "
                f"between 0 and 1. Received: stddev={stddev!r}"
            )
        self.stddev = float(stddev)
        self.seed = seed
        if self.stddev > 0:
            self.seed_generator = krandom.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            from kerasish import ops

            noise = krandom.normal(
                ops.shape(inputs), mean=0.0, stddev=self.stddev, dtype=self.compute_dtype, seed=self.seed_generator
            )
            return ops.add(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies inputs by 1-centred Gaussian noise while training.

    The noise has standard deviation `sqrt(rate / (1 - rate))`, so that it has the
    variance of inverted Dropout at the same `rate`.

    Args:
        rate: float in [0, 1), the drop probability it imitates.
        seed: an int for reproducible noise.

    Call arguments:
        training: applies noise only when True.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        # rate = 1 would mean infinite noise: refused here rather than failing in call.
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                "Invalid value received for argument `rate` of GaussianDropout. Expected a float value in "
                f"[0, 1). Received: rate={rate!r}"
            )
        self.rate = float(rate)
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = krandom.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            from kerasish import ops

            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = krandom.normal(
                ops.shape(inputs), mean=1.0, stddev=stddev, dtype=self.compute_dtype, seed=self.seed_generator
            )
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x**2)` to the model's losses.

    Args:
        l1: the L1 factor (non-negative).
        l2: the L2 factor (non-negative).

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        from kerasish import regularizers

        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
