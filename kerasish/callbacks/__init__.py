"""Callbacks (`keras.callbacks` names): hooks into `fit`, `evaluate` and `predict`."""

from __future__ import annotations

from kerasish.callbacks.callback import Callback
from kerasish.callbacks.callback_list import CallbackList
from kerasish.callbacks.history import History
from kerasish.callbacks.progbar_logger import ProgbarLogger
from kerasish.callbacks.tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "TensorBoard"]
