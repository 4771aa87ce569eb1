"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, cropping, padding, upsampling."""

from kerasish.layers.reshaping.cropping import Cropping1D, Cropping2D
from kerasish.layers.reshaping.flatten import Flatten
from kerasish.layers.reshaping.reshape import Permute, RepeatVector, Reshape
from kerasish.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D
from kerasish.layers.reshaping.zero_padding import ZeroPadding1D, ZeroPadding2D

__all__ = [
    "Cropping1D", "Cropping2D", "Flatten", "Permute", "RepeatVector", "Reshape", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
]
