"""Attention layers: MultiHeadAttention, Attention (dot-product) and AdditiveAttention."""

from __future__ import annotations

from kerasish.layers.attention.additive_attention import AdditiveAttention
from kerasish.layers.attention.attention import Attention
from kerasish.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
