"""Save a model as .keras and .weights.h5, load it back, and open the same files in Keras 3.

kerasish writes Keras's own formats, so a file saved here loads in Keras 3 and the
other way round. The Keras part runs only where `keras` (3.x) is installed, on its
JAX backend; otherwise the script says so and skips it.

    python examples/save_load_and_keras.py --out-dir saved
"""

from __future__ import annotations

import argparse
import os


def _import_keras():
    """Keras 3 on its JAX backend, or None (with the reason) where it cannot be imported."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except Exception as error:  # not installed, or its backend is missing
        return None, f"{type(error).__name__}: {error}"
    if not keras.__version__.startswith("3."):
        return None, f"keras {keras.__version__} is not Keras 3"
    return keras, None


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out-dir", default="saved_models", help="where the files are written")
    parser.add_argument("--no-keras", action="store_true", help="skip the part that uses Keras 3")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.datasets import load_digits

    import kerasish

    if args.backend:
        kerasish.backend.set_backend(args.backend)
    kerasish.utils.set_random_seed(0)
    os.makedirs(args.out_dir, exist_ok=True)
    model_path = os.path.join(args.out_dir, "digits.keras")
    weights_path = os.path.join(args.out_dir, "digits.weights.h5")

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")

    def build(library):
        """The same architecture in kerasish or in Keras (the code is the same)."""
        return library.Sequential([
            library.Input(shape=(64,)),
            library.layers.Dense(32, activation="relu"),
            library.layers.BatchNormalization(),
            library.layers.Dense(10, activation="softmax"),
        ])

    model = build(kerasish)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=args.epochs, verbose=args.verbose)
    expected = model.predict(x, verbose=0)
    _, accuracy = model.evaluate(x, y, verbose=0)
    print(f"Trained on the {kerasish.backend.backend()} backend: accuracy {accuracy:.4f}")

    results = {"accuracy": accuracy}
    model.save(model_path)
    model.save_weights(weights_path)
    loaded = kerasish.models.load_model(model_path)
    results["kerasish .keras"] = float(np.max(np.abs(loaded.predict(x, verbose=0) - expected)))
    rebuilt = build(kerasish)
    rebuilt.load_weights(weights_path)
    results["kerasish .weights.h5"] = float(np.max(np.abs(rebuilt.predict(x, verbose=0) - expected)))
    loaded.fit(x, y, batch_size=64, epochs=1, verbose=0)  # compiled as saved: training goes on

    keras = None
    if args.no_keras:
        print("Skipping Keras 3 (--no-keras).")
    else:
        keras, why = _import_keras()
        if keras is None:
            print(f"Skipping Keras 3: it cannot be imported here ({why}).")
    if keras is not None:
        in_keras = keras.models.load_model(model_path)
        results["keras .keras"] = float(np.max(np.abs(in_keras.predict(x, verbose=0) - expected)))
        keras_model = build(keras)
        keras_model.load_weights(weights_path)
        results["keras .weights.h5"] = float(np.max(np.abs(keras_model.predict(x, verbose=0) - expected)))
        # And back: a file written by Keras, loaded by kerasish.
        from_keras = os.path.join(args.out_dir, "from_keras.keras")
        in_keras.save(from_keras)
        back = kerasish.models.load_model(from_keras)
        results["keras -> kerasish .keras"] = float(np.max(np.abs(back.predict(x, verbose=0) - expected)))

    for name, value in results.items():
        if name != "accuracy":
            print(f"{name:>26}: largest difference from the original predictions {value:.2e}")
    return results


if __name__ == "__main__":
    main()
