"""LambdaCallback: a callback made from functions passed as its hooks."""

from __future__ import annotations

from collections.abc import Callable

from kerasish.callbacks.callback import Callback

#: Every hook a LambdaCallback may be given.
HOOKS = (
    "on_batch_begin", "on_batch_end",
    "on_epoch_begin", "on_epoch_end",
    "on_train_begin", "on_train_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class LambdaCallback(Callback):
    """A callback built on the fly from functions, one per hook.

    The functions take the hook's arguments: `on_epoch_begin` and `on_epoch_end` take
    `(epoch, logs)`; `on_train_begin` and `on_train_end` take `(logs)`; the batch
    hooks take `batch` and a keyword argument `logs`; and so on for every hook of
    `Callback`. Passing a batch hook makes `fit` report every batch (and fetch its logs).

    Example:

    ```python
    batch_print_callback = LambdaCallback(on_train_batch_begin=lambda batch, logs: print(batch))

    json_log = open("loss_log.json", mode="wt", buffering=1)
    json_logging_callback = LambdaCallback(
        on_epoch_end=lambda epoch, logs: json_log.write(
            json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\\n"),
        on_train_end=lambda logs: json_log.close(),
    )
    model.fit(..., callbacks=[batch_print_callback, json_logging_callback])
    ```

    Args:
        on_epoch_begin, on_epoch_end, on_train_begin, on_train_end,
        on_train_batch_begin, on_train_batch_end: functions for these hooks.
        **kwargs: functions for any other hook of `Callback` (`on_test_end=...`).

    Raises:
        TypeError: for a name that is not a hook, or a value that is not callable.
    """

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Callable,
    ):
        super().__init__()
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for name, fn in hooks.items():
            if name not in HOOKS:
                raise TypeError(
                    f"LambdaCallback got an unknown hook {name!r}. Hooks are: {', '.join(HOOKS)}"
                )
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback's `{name}` must be callable. Received: {fn!r}")
            # An instance attribute: the per-batch contract sees the hook as overridden.
            setattr(self, name, fn)
