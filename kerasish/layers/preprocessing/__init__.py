"""Preprocessing layers for structured data: Normalization, Rescaling, CategoryEncoding, Discretization, lookups."""

from kerasish.layers.preprocessing.category_encoding import CategoryEncoding
from kerasish.layers.preprocessing.discretization import Discretization
from kerasish.layers.preprocessing.integer_lookup import IntegerLookup
from kerasish.layers.preprocessing.normalization import Normalization
from kerasish.layers.preprocessing.rescaling import Rescaling
from kerasish.layers.preprocessing.string_lookup import StringLookup

__all__ = ["CategoryEncoding", "Discretization", "IntegerLookup", "Normalization", "Rescaling", "StringLookup"]
