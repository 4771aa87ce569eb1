"""Regularization layers: Dropout."""

from __future__ import annotations

from kerasish import random as krandom
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
