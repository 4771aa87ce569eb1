"""Callback, CallbackList, History and ProgbarLogger: dispatch, the per-batch contract, output."""

from __future__ import annotations

import numpy as np
import pytest

import kerasish as keras
from kerasish.callbacks import Callback, CallbackList, History, ProgbarLogger
from kerasish.utils import progbar

ALL_HOOKS = [
    ("on_train_begin", ()),
    ("on_epoch_begin", (0,)),
    ("on_batch_begin", (0,)),
    ("on_train_batch_begin", (1,)),
    ("on_train_batch_end", (1,)),
    ("on_batch_end", (0,)),
    ("on_test_begin", ()),
    ("on_test_batch_begin", (0,)),
    ("on_test_batch_end", (0,)),
    ("on_test_end", ()),
    ("on_epoch_end", (0,)),
    ("on_train_end", ()),
    ("on_predict_begin", ()),
    ("on_predict_batch_begin", (0,)),
    ("on_predict_batch_end", (0,)),
    ("on_predict_end", ()),
]


class Recorder(Callback):
    """Records every hook it receives (overriding all of them, as a user callback may)."""

    def __init__(self, name="rec", journal=None):
        super().__init__()
        self.name = name
        self.journal = journal if journal is not None else []


def _recording_hook(hook, with_index):
    if with_index:

        def method(self, index, logs=None):
            self.journal.append((self.name, hook, (index,), logs))
    else:

        def method(self, logs=None):
            self.journal.append((self.name, hook, (), logs))

    return method


for _hook, _args in ALL_HOOKS:
    setattr(Recorder, _hook, _recording_hook(_hook, bool(_args)))


class FakeModel:
    history = None
    stop_training = False


class FakeClock:
    def __init__(self, start=1000.0):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar, "_clock", fake)
    return fake


# ---------------------------------------------------------------- dispatch
def test_callback_list_dispatches_every_hook_in_order():
    journal = []
    first, second = Recorder("a", journal), Recorder("b", journal)
    callbacks = CallbackList([first, [second]])
    assert callbacks.callbacks == [first, second]
    for hook, args in ALL_HOOKS:
        getattr(callbacks, hook)(*args, logs={"loss": 1.0})
    expected = []
    for hook, args in ALL_HOOKS:
        for name in ("a", "b"):
            expected.append((name, hook, args))
    assert [(name, hook, args) for name, hook, args, _ in journal] == expected
    assert all(logs == {"loss": 1.0} for *_, logs in journal)


def test_hooks_get_empty_dict_logs_by_default():
    rec = Recorder()
    CallbackList([rec]).on_epoch_begin(3)
    assert rec.journal == [("rec", "on_epoch_begin", (3,), {})]


def test_legacy_batch_aliases_are_called_by_train_batch_hooks():
    calls = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, dict(logs)))

    callbacks = CallbackList([Legacy()])
    callbacks.on_train_batch_begin(4)
    callbacks.on_train_batch_end(4, {"loss": np.float32(0.5)})
    callbacks.on_test_batch_end(4, {"loss": 0.1})  # not an alias of the test hooks
    assert calls == [("begin", 4), ("end", 4, {"loss": 0.5})]


def test_batch_end_logs_become_python_floats():
    rec = Recorder()
    CallbackList([rec]).on_train_batch_end(
        0, {"loss": np.float32(0.25), "nested": {"acc": np.array(1.0)}}
    )
    logs = rec.journal[0][3]
    assert logs == {"acc": 1.0, "loss": 0.25}
    assert all(type(v) is float for v in logs.values())


def test_set_model_and_params_reach_every_callback():
    model = FakeModel()
    rec = Recorder()
    callbacks = CallbackList([rec], add_history=True, model=model, verbose=0, epochs=3, steps=7)
    assert rec.model is model and rec.params == {"verbose": 0, "epochs": 3, "steps": 7}
    assert isinstance(model.history, History)
    late = Recorder("late")
    callbacks.append(late)
    assert late.model is model and late.params["epochs"] == 3
    assert list(callbacks) == [rec, model.history, late] and len(callbacks) == 3


def test_default_callbacks_are_added_once():
    history, logger = History(), ProgbarLogger()
    callbacks = CallbackList([logger, history], add_history=True, add_progbar=True)
    assert callbacks.callbacks == [logger, history]
    added = CallbackList(None, add_history=True, add_progbar=True)
    assert [type(c) for c in added.callbacks] == [History, ProgbarLogger]
    assert CallbackList().callbacks == []


def test_non_callbacks_are_rejected():
    with pytest.raises(TypeError, match="Received: 3"):
        CallbackList([3])


# ------------------------------------------------- the per-batch logs contract
def test_builtins_do_not_need_batch_logs():
    callbacks = CallbackList([], add_history=True, add_progbar=True, verbose=1, epochs=1, steps=3)
    assert callbacks.needs_batch_logs is False
    assert CallbackList([Callback()]).needs_batch_logs is False


@pytest.mark.parametrize(
    "hook",
    [
        "on_train_batch_end",
        "on_batch_end",
        "on_batch_begin",
        "on_train_batch_begin",
        "on_test_batch_end",
        "on_predict_batch_begin",
    ],
)
def test_overriding_a_batch_hook_needs_batch_logs(hook):
    cls = type("Custom", (Callback,), {hook: lambda self, batch, logs=None: None})
    callbacks = CallbackList([cls()], add_history=True, add_progbar=True)
    assert callbacks.needs_batch_logs is True


def test_needs_batch_logs_per_mode():
    class TrainOnly(Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    callbacks = CallbackList([TrainOnly()])
    assert callbacks.needs_batch_logs_for("train")
    assert not callbacks.needs_batch_logs_for("test")
    assert not callbacks.needs_batch_logs_for("predict")
    with pytest.raises(ValueError, match="Received: mode='fit'"):
        callbacks.needs_batch_logs_for("fit")


def test_progbar_subclass_overriding_batch_hook_needs_batch_logs():
    class Chatty(ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)

    assert CallbackList([Chatty()]).needs_batch_logs is True


def test_append_updates_needs_batch_logs():
    class Batchy(Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    callbacks = CallbackList([History()])
    assert not callbacks.needs_batch_logs
    callbacks.append(Batchy())
    assert callbacks.needs_batch_logs


# ------------------------------------------------------------------- History
def test_history_records_epochs_and_sets_model_history():
    model = FakeModel()
    callbacks = CallbackList([], add_history=True, model=model)
    history = model.history
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.7})
    callbacks.on_epoch_end(1, {"loss": 0.25, "val_loss": 0.6})
    callbacks.on_train_end({"loss": 0.25})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [0.5, 0.25], "val_loss": [0.7, 0.6]}
    model.history = None
    history.on_epoch_end(2, {"loss": 0.1})
    assert model.history is history  # set again at each epoch's end, as Keras does


# ------------------------------------------------------------- ProgbarLogger
def _run_epochs(callbacks, clock, epochs, steps, logs_at, step_time=0.01):
    """A training loop that follows the contract; returns how often logs were fetched."""
    fetched = []

    def fetch(step):
        fetched.append(step)
        return logs_at(step)

    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            clock.now += step_time
            if callbacks.needs_batch_logs:
                callbacks.on_train_batch_end(step, logs_at(step))
            elif callbacks.wants_progress(step):
                callbacks.on_progress(step, lambda step=step: fetch(step))
        callbacks.on_epoch_end(epoch, logs_at(steps - 1))
    callbacks.on_train_end(logs_at(steps - 1))
    return fetched


def test_progbar_logger_verbose_1_non_terminal_prints_one_line_per_epoch(capsys, clock):
    callbacks = CallbackList([], add_progbar=True, verbose=1, epochs=2, steps=4)
    fetched = _run_epochs(
        callbacks, clock, 2, 4, lambda step: {"accuracy": 0.5 + step / 10, "loss": 1.0 / (step + 1)}
    )
    assert fetched == []  # nothing is drawn mid-epoch on a non-terminal: no logs fetched
    bar = "━" * 20
    assert capsys.readouterr().out == (
        "Epoch 1/2\n"
        f"4/4 {bar} 0s 10ms/step - accuracy: 0.8000 - loss: 0.2500\n"
        "Epoch 2/2\n"
        f"4/4 {bar} 0s 10ms/step - accuracy: 0.8000 - loss: 0.2500\n"
    )


def test_progbar_logger_verbose_2(capsys, clock):
    callbacks = CallbackList([], add_progbar=True, verbose=2, epochs=1, steps=32)
    fetched = _run_epochs(callbacks, clock, 1, 32, lambda step: {"loss": 0.3012}, step_time=0.04)
    assert fetched == []
    # One epoch: no "Epoch 1/1" line, as Keras.
    assert capsys.readouterr().out == "32/32 - 1s - 40ms/step - loss: 0.3012\n"


def test_progbar_logger_redraws_only_every_interval_on_a_terminal(capsys, clock, monkeypatch):
    monkeypatch.setattr(progbar, "_dynamic_display_possible", lambda: True)
    callbacks = CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=20)
    # Steps of 20 ms: the bar (interval 50 ms) redraws at the first step, then every 3rd.
    fetched = _run_epochs(
        callbacks, clock, 1, 20, lambda step: {"loss": float(step)}, step_time=0.02
    )
    assert fetched == [0, 3, 6, 9, 12, 15, 18]
    out = capsys.readouterr().out
    assert out.count("\r") == 8 and out.endswith("\n")
    assert "\x1b[32m" in out  # the done part of the bar is green on a terminal
    plain = (
        out.replace("\x1b[1m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[37m", "")
        .replace("\x1b[0m", "")
    )
    assert plain.split("\r")[-1] == f"20/20 {'━' * 20} 0s 20ms/step - loss: 19.0000\n"


def test_progbar_logger_with_every_batch_hook_called(capsys, clock):
    class Batchy(Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    callbacks = CallbackList([Batchy()], add_progbar=True, verbose=1, epochs=1, steps=3)
    _run_epochs(callbacks, clock, 1, 3, lambda step: {"loss": 2.0})
    assert capsys.readouterr().out == f"3/3 {'━' * 20} 0s 10ms/step - loss: 2.0000\n"


def test_progbar_logger_evaluate_and_predict(capsys, clock):
    evaluate = CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=2)
    evaluate.on_test_begin()
    for step in range(2):
        clock.now += 0.5
        assert not evaluate.wants_progress(step)
    evaluate.on_test_end({"loss": 0.125})
    predict = CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=2)
    predict.on_predict_begin()
    for step in range(2):
        clock.now += 0.5
        predict.on_predict_batch_end(step, {"outputs": np.zeros((2, 1))})
    predict.on_predict_end()
    bar = "━" * 20
    assert (
        capsys.readouterr().out
        == f"2/2 {bar} 1s 500ms/step - loss: 0.1250\n2/2 {bar} 1s 500ms/step\n"
    )


def test_progbar_logger_is_silent_for_validation_inside_fit(capsys, clock):
    callbacks = CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=2)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_test_begin()
    assert not callbacks.wants_progress(0)
    callbacks.on_test_batch_end(0, {"loss": 9.0})
    callbacks.on_test_end({"loss": 9.0})
    callbacks.on_epoch_end(0, {"loss": 1.0, "val_loss": 9.0})
    callbacks.on_train_end()
    assert (
        capsys.readouterr().out == f"2/2 {'━' * 20} 0s 0s/step - loss: 1.0000 - val_loss: 9.0000\n"
    )


def test_progbar_logger_verbose_0_prints_nothing(capsys, clock):
    logger = ProgbarLogger()
    callbacks = CallbackList([logger], verbose=0, epochs=3, steps=2)
    _run_epochs(callbacks, clock, 3, 2, lambda step: {"loss": 1.0})
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------ with the trainer
def _small_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_calls_batch_hooks_only_when_overridden(backend):
    x = np.ones((12, 3), "float32")
    y = np.zeros((12, 2), "float32")
    epochs_seen = []

    class EpochsOnly(Callback):
        def on_epoch_end(self, epoch, logs=None):
            epochs_seen.append((epoch, sorted(logs)))

    model = _small_model()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[EpochsOnly()])
    assert epochs_seen == [(0, ["loss"]), (1, ["loss"])]

    rec = Recorder()
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[rec])
    hooks = [(hook, args) for _, hook, args, _ in rec.journal]
    assert hooks == [
        ("on_train_begin", ()),
        ("on_epoch_begin", (0,)),
        ("on_train_batch_begin", (0,)),
        ("on_train_batch_end", (0,)),
        ("on_train_batch_begin", (1,)),
        ("on_train_batch_end", (1,)),
        ("on_train_batch_begin", (2,)),
        ("on_train_batch_end", (2,)),
        ("on_epoch_end", (0,)),
        ("on_train_end", ()),
    ]
    batch_logs = rec.journal[3][3]
    assert set(batch_logs) == {"loss"} and isinstance(batch_logs["loss"], float)
    assert model.history is history and history.epoch == [0]


def test_fit_progress_bar_output(backend, capsys):
    model = _small_model()
    model.fit(
        np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), batch_size=4, epochs=2, verbose=2
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("2/2 - ") and "/step - loss: " in lines[1]
