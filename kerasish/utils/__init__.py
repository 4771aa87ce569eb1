"""Utilities (`keras.utils` names): seeding, progress bars, summaries, session reset."""

from __future__ import annotations

import importlib

_LAZY = {
    "set_random_seed": "kerasish.utils.rng_utils",
    "Progbar": "kerasish.utils.progbar",
    "print_summary": "kerasish.utils.summary_utils",
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
