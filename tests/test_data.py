"""What fit/evaluate/predict accept: arrays, generators, iterables, PyDataset; validation, weights, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import kerasish as keras
from kerasish import layers
from kerasish.trainers import data_adapter


def _data(n=40, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(d, classes)), axis=1).astype("int32")
    return x, y


def _model(d=4, classes=3, dropout=0.0, seed=3, **compile_kwargs):
    # Not compiled: these tests are about data, and a few eager steps beat a compilation.
    # (Compiled steps over generator data: test_steps_per_execution_with_generator_batches.)
    compile_kwargs.setdefault("jit_compile", False)
    keras.utils.set_random_seed(seed)
    stack = [keras.Input((d,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(classes, activation="softmax"))
    model = keras.Sequential(stack)
    compile_kwargs.setdefault("loss", "sparse_categorical_crossentropy")
    model.compile(optimizer=keras.optimizers.SGD(0.1), **compile_kwargs)
    return model


def _batches(x, y, size, sw=None):
    for start in range(0, len(x), size):
        sl = slice(start, start + size)
        yield (x[sl], y[sl]) if sw is None else (x[sl], y[sl], sw[sl])


def _assert_same_weights(a, b, rtol=1e-6):
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=1e-7)


class Batches(keras.utils.PyDataset):
    """Batches of arrays; records which batches were read, from which threads."""

    def __init__(self, x, y=None, size=10, sw=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.size, self.sw = x, y, size, sw
        self.reads, self.threads, self.epochs_ended, self.epochs_begun = [], set(), 0, 0
        self._lock = threading.Lock()

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, index):
        with self._lock:
            self.reads.append(index)
            self.threads.add(threading.current_thread().name)
        sl = slice(index * self.size, (index + 1) * self.size)
        if self.y is None:
            return self.x[sl]
        return (self.x[sl], self.y[sl]) if self.sw is None else (self.x[sl], self.y[sl], self.sw[sl])

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


class Picklable(keras.utils.PyDataset):
    """For worker processes: importable by name, and carries only arrays."""

    def __init__(self, x, y, size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, index):
        sl = slice(index * self.size, (index + 1) * self.size)
        return self.x[sl], self.y[sl]


# ----------------------------------------------------------- generators
def test_generator_trains_like_arrays_and_runs_until_exhausted(backend):
    x, y = _data()
    reference = _model()
    reference.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    model = _model()
    history = model.fit(_batches(x, y, 10), epochs=1, verbose=0)
    _assert_same_weights(model, reference)
    assert len(history.history["loss"]) == 1
    # A one-shot generator has nothing left for a second epoch: Keras's warning, and fit stops.
    model = _model()
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training"):
        history = model.fit(_batches(x, y, 10), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_generator_with_steps_per_epoch_continues_across_epochs(backend):
    x, y = _data()
    seen = []

    def endless():
        while True:
            for i, batch in enumerate(_batches(x, y, 10)):
                seen.append(i)
                yield batch

    model = _model()
    model.fit(endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert seen == [0, 1, 2, 3, 0, 1]
    # A finite generator that runs out mid-epoch: the epoch ends early, with the warning.
    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(_batches(x, y, 10), steps_per_epoch=3, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 2


class Reiterable:
    """An iterable that starts over each time it is iterated (not an iterator)."""

    def __init__(self, x, y, size):
        self.x, self.y, self.size, self.passes = x, y, size, 0

    def __iter__(self):
        self.passes += 1
        return _batches(self.x, self.y, self.size)


def test_reiterable_source_gives_a_full_pass_each_epoch(backend, capsys):
    x, y = _data()
    source = Reiterable(x, y, 10)
    seen = []
    model = _model()
    model.fit(source, epochs=3, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))])
    assert source.passes == 3 and seen == [0, 1, 2, 3] * 3
    # The number of steps is learnt from the data: the progress line counts them.
    model.fit(source, epochs=2, verbose=2)
    assert capsys.readouterr().out.count("4/4 - ") == 2
    assert model.evaluate(source, verbose=0) == pytest.approx(model.evaluate(x, y, batch_size=10, verbose=0), rel=1e-5)
    assert model.evaluate(source, steps=1, verbose=0) == pytest.approx(
        model.evaluate(x[:10], y[:10], verbose=0), rel=1e-5
    )


def test_generator_with_sample_weights_and_partial_last_batch(backend):
    x, y = _data(n=45)
    sw = np.linspace(0.0, 2.0, 45).astype("float32")
    reference = _model()
    reference.fit(x, y, sample_weight=sw, batch_size=10, epochs=1, shuffle=False, verbose=0)
    model = _model()
    model.fit(_batches(x, y, 10, sw), epochs=1, verbose=0)
    _assert_same_weights(model, reference)
    expected = reference.evaluate(x, y, sample_weight=sw, batch_size=10, verbose=0)
    assert model.evaluate(_batches(x, y, 10, sw), verbose=0) == pytest.approx(expected, rel=1e-5)
    predictions = model.predict((xb for xb, _ in _batches(x, y, 10)), verbose=0)  # bare x batches
    np.testing.assert_allclose(predictions, reference.predict(x, batch_size=10, verbose=0), rtol=1e-5, atol=1e-6)


def test_steps_per_execution_with_generator_batches(backend):
    x, y = _data(n=45)
    reference = _model()
    reference.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    model = _model(steps_per_execution=2, jit_compile="auto")
    model.fit(_batches(x, y, 10), epochs=1, verbose=0)  # 4 full batches fused in pairs, then a partial one
    _assert_same_weights(model, reference, rtol=1e-5)


# ----------------------------------------------------------- PyDataset
def test_pydataset_contract(backend):
    x, y = _data()
    data = Batches(x, y, size=10)
    reference = _model()
    reference.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    model = _model()
    model.fit(data, epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(model, reference)
    assert data.reads == [0, 0, 1, 2, 3]  # batch 0 read first to build the model
    assert data.epochs_begun == data.epochs_ended == 1
    data.reads.clear()
    keras.utils.set_random_seed(0)
    model.fit(data, epochs=2, verbose=0)  # shuffle=True: a new batch order each epoch
    epochs = data.reads[1:5], data.reads[5:]  # after the read that builds
    assert sorted(epochs[0]) == sorted(epochs[1]) == [0, 1, 2, 3]
    assert epochs[0] != epochs[1] or epochs[0] != [0, 1, 2, 3]
    assert data.epochs_ended == 3
    evaluated = model.evaluate(data, verbose=0, return_dict=True)
    assert evaluated == pytest.approx(model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True))
    data_x = Batches(np.concatenate([x, x[:5]]), size=10)  # bare x batches; the last one partial
    np.testing.assert_allclose(model.predict(data_x, verbose=0), model.predict(data_x.x, batch_size=10, verbose=0),
                               rtol=1e-6)
    assert keras.utils.Sequence is keras.utils.PyDataset


def test_pydataset_workers_prepare_batches_in_order(backend):
    x, y = _data(n=60)
    reference = _model()
    reference.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    data = Batches(x, y, size=10, workers=3, max_queue_size=2)
    calls_at_first_step = []
    model = _model()
    model.fit(data, epochs=2, shuffle=False, verbose=0, callbacks=[keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda b, logs: calls_at_first_step.append(len(data.reads)) if b == 0 else None)])
    _assert_same_weights(model, reference)
    assert any(name.startswith("kerasish-pydataset") for name in data.threads)
    # Besides the batch read to build and the one in use, at most max_queue_size are requested ahead.
    assert calls_at_first_step[0] <= 1 + 1 + 2
    assert data.epochs_ended == 2


def test_pydataset_with_worker_processes(backend):
    x, y = _data(n=30)
    reference = _model()
    reference.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    model = _model()
    model.fit(Picklable(x, y, 10, workers=2, use_multiprocessing=True), epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(model, reference)


def test_infinite_pydataset_needs_steps(backend):
    x, y = _data()

    class Endless(keras.utils.PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            i = index % 4
            return x[i * 10 : (i + 1) * 10], y[i * 10 : (i + 1) * 10]

    model = _model()
    history = model.fit(Endless(), steps_per_epoch=6, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 12


def test_pydataset_errors():
    x, y = _data()

    class NoSuper(keras.utils.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

    with pytest.warns(UserWarning, match="should call `super\\(\\).__init__\\(\\*\\*kwargs\\)`"):
        assert NoSuper().workers == 1
    with pytest.raises(ValueError, match="`workers` must be a non-negative integer. Received: workers=-1"):
        Batches(x, y, workers=-1)
    with pytest.raises(ValueError, match="`max_queue_size` must be a positive integer"):
        Batches(x, y, max_queue_size=0)
    model = _model()
    with pytest.raises(ValueError, match="has length 0"):
        model.fit(Batches(x[:0], y[:0]), verbose=0)
    with pytest.raises(ValueError, match="When providing `x` as a PyDataset, `y` should not be passed"):
        model.fit(Batches(x, y), y, verbose=0)


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("form", ["arrays", "weighted", "generator", "iterable", "pydataset"])
def test_validation_data_in_every_form(backend, form):
    x, y = _data()
    xv, yv = x[:20], y[:20]
    sw = np.ones(20, "float32")
    sw[10:] = 0.0
    validation = {
        "arrays": (xv, yv),
        "weighted": (xv, yv, sw),
        "generator": _batches(xv, yv, 10),
        "iterable": Reiterable(xv, yv, 10),
        "pydataset": Batches(xv, yv, size=10),
    }[form]
    model = _model(metrics=["accuracy"])
    steps = 1 if form == "generator" else None
    history = model.fit(x, y, batch_size=10, epochs=1, verbose=0, validation_data=validation, validation_steps=steps,
                        validation_batch_size=10)
    if form == "weighted":
        expected = model.evaluate(xv, yv, sample_weight=sw, batch_size=10, verbose=0, return_dict=True)
    elif form == "generator":
        expected = model.evaluate(xv[:10], yv[:10], batch_size=10, verbose=0, return_dict=True)
    else:
        expected = model.evaluate(xv, yv, batch_size=10, verbose=0, return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(expected["loss"], rel=1e-5)
    assert history.history["val_accuracy"][0] == pytest.approx(expected["accuracy"], rel=1e-5)


def test_validation_freq_and_exhausted_validation_generator(backend):
    x, y = _data()
    model = _model()
    kwargs = {"batch_size": 10, "validation_batch_size": 10, "verbose": 0, "validation_data": (x, y)}
    history = model.fit(x, y, epochs=4, validation_freq=[1, 4], **kwargs)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    history = model.fit(x, y, epochs=4, validation_freq=3, **kwargs)
    assert len(history.history["val_loss"]) == 1
    with pytest.raises(ValueError, match="Expected `validation_freq` to be a positive integer or a list"):
        model.fit(x, y, verbose=0, validation_data=(x, y), validation_freq=0)
    with pytest.raises(ValueError, match="`validation_data` yielded no batches"):
        model.fit(x, y, epochs=2, verbose=0, validation_data=_batches(x, y, 10))
    with pytest.raises(ValueError, match="`validation_split` is only supported for NumPy arrays"):
        model.fit(_batches(x, y, 10), validation_split=0.2, verbose=0)


# ------------------------------------------------------- weights per class
def test_class_weight_for_arrays_generators_and_pydatasets(backend):
    x, y = _data()
    class_weight = {0: 0.5, 1: 2.0}  # class 2 keeps weight 1
    sw = np.array([class_weight.get(int(c), 1.0) for c in y], "float32")
    reference = _model()
    reference.fit(x, y, sample_weight=sw, batch_size=10, epochs=1, shuffle=False, verbose=0)
    for data, kwargs in (
        ((x, y), {"batch_size": 10}),
        ((_batches(x, y, 10),), {}),
        ((Batches(x, y, size=10),), {}),
        ((x, np.eye(3, dtype="float32")[y]), {"batch_size": 10}),  # one-hot labels: argmax
    ):
        loss = "categorical_crossentropy" if len(data) == 2 and data[1].ndim == 2 else "sparse_categorical_crossentropy"
        model = _model(loss=loss)
        model.fit(*data, class_weight=class_weight, epochs=1, shuffle=False, verbose=0, **kwargs)
        _assert_same_weights(model, reference, rtol=1e-5)
    model = _model()
    with pytest.raises(ValueError, match="cannot pass `class_weight` and `sample_weight`"):
        model.fit(x, y, sample_weight=sw, class_weight=class_weight, verbose=0)
    with pytest.raises(ValueError, match="non-negative integer keys.*Received an invalid key: 'cat'"):
        model.fit(x, y, class_weight={"cat": 2.0}, verbose=0)


# ---------------------------------------------------------------- errors
def test_data_errors_say_what_was_expected(backend):
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="x has 40 samples but y has 39 samples"):
        model.fit(x, y[:39], verbose=0)
    with pytest.raises(ValueError, match="cardinality is ambiguous in batch 1 of the generator.*x: \\[10\\], y: \\[9\\]"):
        model.fit(((x[i : i + 10], y[i : i + (9 if i == 10 else 10)]) for i in range(0, 40, 10)), verbose=0)
    with pytest.raises(ValueError, match="must yield tuples `\\(inputs,\\)`, `\\(inputs, targets\\)`.*Received for batch 0.*'not a batch'"):
        model.fit(iter(["not a batch"]), verbose=0)
    with pytest.raises(ValueError, match="When providing `x` as a Python generator or iterable, `y` should not be passed"):
        model.fit(_batches(x, y, 10), y, verbose=0)
    with pytest.raises(TypeError, match="Unrecognized data type for `x`.*Received: x='text' \\(of type str\\)"):
        model.fit("text", y, verbose=0)
    with pytest.raises(TypeError, match="Unrecognized data type for `y`.*of type object"):
        model.fit(x, object(), verbose=0)
    with pytest.raises(ValueError, match="yielded no batches \\(a generator that was already exhausted"):
        model.predict(iter([]), verbose=0)


def test_label_shapes_are_checked_against_the_loss(backend):
    x, y = _data()
    onehot = np.eye(3, dtype="float32")[y]
    model = _model(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="`categorical_crossentropy` of output .* expects one-hot targets of shape "
                                         "\\('batch', 3\\).*received targets of shape \\(32,\\).*"
                                         "use `sparse_categorical_crossentropy`"):
        model.fit(x, y, verbose=0)
    model = _model()
    with pytest.raises(ValueError, match="`sparse_categorical_crossentropy` .* expects integer class ids of shape "
                                         "\\('batch',\\).*received targets of shape \\(32, 3\\)"):
        model.fit(x, onehot, verbose=0)
    model = _model(loss="mse")
    with pytest.raises(ValueError, match="`mean_squared_error` .*targets of shape \\(32, 2\\) do not match the model's "
                                         "output of shape \\(None, 3\\). Expected targets of shape \\('batch', 3\\)"):
        model.fit(x, onehot[:, :2], verbose=0)
    model = _model(loss="mse")
    model.fit(x, y.astype("float32")[:, None], epochs=1, verbose=0)  # (n, 1) broadcasts, as in Keras

    def custom(y_true, y_pred):  # a custom loss may take targets of any shape
        return keras.ops.mean(keras.ops.square(y_pred), axis=-1) + 0.0 * keras.ops.sum(y_true)

    model = _model(loss=custom)
    model.fit(x, onehot[:, :2], epochs=1, verbose=0)


# --------------------------------------------------- structured inputs
def _two_input_model():
    keras.utils.set_random_seed(0)
    a = keras.Input((2,), name="zeta")
    b = keras.Input((3,), name="alpha")
    out = layers.Dense(1, name="out")(layers.Concatenate()([a, layers.Dense(2)(b)]))
    model = keras.Model([a, b], out)
    model.compile("sgd", "mse")
    return model


def test_dict_of_arrays_by_input_name_for_list_inputs(backend):
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(20, 2)).astype("float32"), rng.normal(size=(20, 3)).astype("float32")
    y = rng.normal(size=(20, 1)).astype("float32")
    by_list, by_name = _two_input_model(), _two_input_model()
    by_list.fit([xa, xb], y, batch_size=5, epochs=1, shuffle=False, verbose=0)
    # Keys in an order unlike the inputs' (and unlike their sorted order).
    by_name.fit({"zeta": xa, "alpha": xb}, y, batch_size=5, epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(by_name, by_list)
    np.testing.assert_allclose(by_name.predict({"alpha": xb, "zeta": xa}, verbose=0),
                               by_list.predict([xa, xb], verbose=0), rtol=1e-6)
    gen = (({"zeta": xa[i : i + 5], "alpha": xb[i : i + 5]}, y[i : i + 5]) for i in range(0, 20, 5))
    assert by_name.evaluate(gen, verbose=0) == pytest.approx(by_list.evaluate([xa, xb], y, verbose=0), rel=1e-5)
    with pytest.raises(ValueError, match="inputs are named \\['zeta', 'alpha'\\]; the dict of inputs lacks \\['alpha'\\]"):
        by_name.predict({"zeta": xa}, verbose=0)


# ------------------------------------------------------ reproducibility
def test_set_random_seed_repeats_a_whole_fit(backend):
    x, y = _data(n=40)

    def run(seed):
        model = _model(dropout=0.5, seed=seed)
        keras.utils.set_random_seed(seed)
        model.fit(x, y, batch_size=10, epochs=2, shuffle=True, validation_split=0.25, validation_batch_size=10,
                  verbose=0)
        data = Batches(x, y, size=10)
        model.fit(data, epochs=1, shuffle=True, verbose=0)
        return model.get_weights(), data.reads

    (first, reads), (second, reads_again), (other, _) = run(11), run(11), run(12)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert reads == reads_again
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_steps_receive_batches_packed_as_in_keras(backend):
    x, y = _data(n=8)
    received = []

    class Recording(keras.Sequential):
        def predict_step(self, state, data):
            received.append(type(data).__name__ if isinstance(data, (tuple, list, dict)) else "array")
            return super().predict_step(state, data)

    keras.utils.set_random_seed(0)
    model = Recording([keras.Input((4,)), layers.Dense(3)])
    model.compile("sgd", "mse", jit_compile=False)
    model.predict(x, verbose=0)
    model.predict(_batches(x, y, 4), verbose=0)
    # `x` alone is handed over bare (not as `(x,)`); with targets, a tuple.
    assert received == ["array", "tuple", "tuple"]


def test_adapter_selection():
    x, y = _data()
    assert isinstance(data_adapter.get_data_adapter(x, y), data_adapter.ArrayDataAdapter)
    assert isinstance(data_adapter.get_data_adapter([x, x], y), data_adapter.ArrayDataAdapter)
    assert isinstance(data_adapter.get_data_adapter({"a": x}, y), data_adapter.ArrayDataAdapter)
    assert type(data_adapter.get_data_adapter(_batches(x, y, 4))).__name__ == "GeneratorDataAdapter"
    assert type(data_adapter.get_data_adapter(Batches(x, y))).__name__ == "PyDatasetAdapter"
    adapter = data_adapter.get_data_adapter(x, y, steps_per_epoch=3)
    assert adapter.batch_size == 14 and adapter.num_batches == 3  # ceil(40 / 3), as Keras
    assert keras.utils.unpack_x_y_sample_weight((x, y)) == (x, y, None)
