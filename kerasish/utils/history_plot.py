"""plot_history: the loss and metrics of a training run, per epoch, with matplotlib."""

from __future__ import annotations

import os


def plot_history(history, metrics=None, to_file=None, title=None):
    """Draws one panel per metric: training against validation, per epoch.

    Args:
        history: the `History` returned by `fit`, or its `history` dict.
        metrics: names to draw (default: every logged name without a `val_` prefix).
        to_file: where to save the figure (PNG, SVG, PDF by extension); when None, the
            figure is returned and not saved.
        title: a title above the panels.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib

    if to_file is not None and matplotlib.get_backend().lower() not in ("agg", "pdf", "svg"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(
            "plot_history expects a History (from `fit`) or its `history` dict of per-epoch lists. "
            f"Received: {type(history).__name__}"
        )
    names = metrics or [k for k in logs if not k.startswith("val_")]
    unknown = [m for m in names if m not in logs]
    if unknown:
        raise ValueError(f"plot_history: no logs named {unknown}. Available: {sorted(logs)}")
    epochs_of = getattr(history, "epoch", None)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.3), squeeze=False)
    for ax, name in zip(axes[0], names):
        values = logs[name]
        epochs = list(epochs_of) if epochs_of and len(epochs_of) == len(values) else list(range(len(values)))
        epochs = [e + 1 for e in epochs]
        ax.plot(epochs, values, marker="o", markersize=3, label="training")
        if f"val_{name}" in logs:
            ax.plot(epochs[: len(logs[f"val_{name}"])], logs[f"val_{name}"], marker="o", markersize=3,
                    label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if to_file is not None:
        extension = os.path.splitext(str(to_file))[1].lower().lstrip(".") or "png"
        tmp = f"{to_file}.tmp-{os.getpid()}.{extension}"
        fig.savefig(tmp, dpi=120, format=extension)
        os.replace(tmp, to_file)
        plt.close(fig)
    return fig
