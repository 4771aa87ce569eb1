"""Models: `Model` (subclassing) and `Sequential`."""

from kerasish.models.cloning import clone_model, model_from_json
from kerasish.models.functional import Functional
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving.saving_api import load_model, save_model

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
