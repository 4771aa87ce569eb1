"""A custom layer with weights inside a subclassed model, trained, saved and loaded back.

`RadialBasis` learns a set of centers and widths: each output is
exp(-|x - center|^2 / width^2). `MoonClassifier` (a `keras.Model` subclass) puts it in
front of a Dense layer and separates scikit-learn's two moons, which a linear model cannot.

    python examples/subclassed_custom_layer.py --backend numpy
"""

from __future__ import annotations

import argparse
import os
import tempfile

import kerasish as keras
from kerasish import layers, ops


@keras.saving.register_keras_serializable(package="examples")
class RadialBasis(keras.Layer):
    """Gaussian bumps around `units` trainable centers, each with a trainable width."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units}")
        self.units = units

    def build(self, input_shape):
        features = input_shape[-1]
        self.centers = self.add_weight(
            shape=(self.units, features), initializer=keras.initializers.RandomUniform(-1.5, 2.5), name="centers"
        )
        self.log_widths = self.add_weight(shape=(self.units,), initializer="zeros", name="log_widths")

    def call(self, inputs):
        # |x - c|^2 for every input row and every center: (batch, units).
        diff = ops.expand_dims(inputs, 1) - ops.expand_dims(self.centers, 0)
        squared = ops.sum(ops.square(diff), axis=-1)
        return ops.exp(-squared / ops.exp(2.0 * self.log_widths))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="examples")
class MoonClassifier(keras.Model):
    """RadialBasis features, then a sigmoid unit."""

    def __init__(self, bumps: int = 12, **kwargs):
        super().__init__(**kwargs)
        self.bumps = bumps
        self.features = RadialBasis(bumps)
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        return self.out(self.features(inputs))

    def get_config(self):
        return {**super().get_config(), "bumps": self.bumps}


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.datasets import make_moons

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)

    x, y = make_moons(n_samples=1200, noise=0.15, random_state=0)
    x, y = x.astype("float32"), y.astype("float32")
    x_train, y_train, x_test, y_test = x[:1000], y[:1000], x[1000:], y[1000:]

    model = MoonClassifier(bumps=12)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    print(f"Training on the {keras.backend.backend()} backend: {args.epochs} epochs")
    model.fit(x_train, y_train, batch_size=50, epochs=args.epochs, verbose=args.verbose)
    model.summary()
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} on {len(x_test)} points")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "moons.keras")
        model.save(path)
        loaded = keras.models.load_model(path)  # the classes are registered: no custom_objects needed
        same = np.allclose(loaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0), atol=1e-6)
    print(f"Saved and loaded back as {type(loaded).__name__} around {type(loaded.features).__name__}: "
          f"{'same' if same else 'DIFFERENT'} predictions")
    if not same:
        raise RuntimeError("The loaded model predicts differently from the saved one.")
    return accuracy


if __name__ == "__main__":
    main()
