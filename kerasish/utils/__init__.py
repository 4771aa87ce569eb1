"""Utilities (`keras.utils` names): seeding, progress bars, summaries, datasets of batches, downloads."""

from __future__ import annotations

import importlib

_LAZY = {
    "set_random_seed": "kerasish.utils.rng_utils",
    "Progbar": "kerasish.utils.progbar",
    "print_summary": "kerasish.utils.summary_utils",
    "plot_model": "kerasish.utils.model_visualization",
    "model_to_dot": "kerasish.utils.model_visualization",
    "plot_history": "kerasish.utils.history_plot",
    "PyDataset": "kerasish.utils.py_dataset",
    "Sequence": "kerasish.utils.py_dataset",
    "get_file": "kerasish.utils.file_utils",
    "pack_x_y_sample_weight": "kerasish.trainers.data_adapter",
    "unpack_x_y_sample_weight": "kerasish.trainers.data_adapter",
}

__all__ = ["clear_session", *_LAZY]


def clear_session() -> None:
    """Resets the automatic layer names (so the next Dense is "dense" again)."""
    from kerasish.utils import naming

    naming.reset_names()


def __getattr__(name):
    # Loaded on first use: these modules import layers, which import this package.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kerasish.utils' has no attribute {name!r}")
