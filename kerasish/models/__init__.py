"""Models: `Model` (subclassing) and `Sequential`."""

from kerasish.models.cloning import clone_model, model_from_json
from kerasish.models.functional import Functional
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "model_from_json"]
