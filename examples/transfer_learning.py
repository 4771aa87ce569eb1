"""Transfer learning: train a base, freeze it (trainable=False), add a new head, fine-tune.

The base learns to name the digit in the first 1000 of scikit-learn's digits. Frozen,
it then serves as a feature extractor for a new head with a new task, "is the digit
odd?", learned from only 100 labelled images of the other 797. The script checks that the
frozen weights did not move.

    python examples/transfer_learning.py --backend numpy
"""

from __future__ import annotations

import argparse


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=15, help="epochs of each of the two trainings")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.datasets import load_digits

    import kerasish as keras
    from kerasish import layers

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_a, y_a = x[:1000], y[:1000]                # the base's task: which digit (10 classes)
    x_b, y_b = x[1000:], y[1000:] % 2            # the new task, on other images: is it odd?
    x_b_train, y_b_train, x_b_test, y_b_test = x_b[:100], y_b[:100], x_b[100:], y_b[100:]

    # 1. Train a base model (a feature extractor plus its own head) on the first task.
    base = keras.Sequential(
        [keras.Input(shape=(64,)), layers.Dense(64, activation="relu"), layers.Dense(32, activation="relu")],
        name="base",
    )
    pretraining = keras.Sequential([keras.Input(shape=(64,)), base, layers.Dense(10, activation="softmax")])
    pretraining.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    pretraining.fit(x_a, y_a, batch_size=32, epochs=args.epochs, verbose=args.verbose)
    print(f"Base trained to name digits ({keras.backend.backend()} backend): "
          f"accuracy {pretraining.evaluate(x_a, y_a, verbose=0)[1]:.4f}")

    # 2. Freeze the base, put a new head on it, and train only the head on the second task.
    base.trainable = False
    inputs = keras.Input(shape=(64,))
    features = base(inputs, training=False)
    outputs = layers.Dense(2, activation="softmax", name="new_head")(features)
    model = keras.Model(inputs, outputs, name="transfer")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary(show_trainable=True)

    frozen_before = [w.copy() for w in base.get_weights()]
    model.fit(x_b_train, y_b_train, batch_size=20, epochs=args.epochs, verbose=args.verbose)
    frozen_unchanged = all(np.array_equal(a, b) for a, b in zip(frozen_before, base.get_weights()))

    _, accuracy = model.evaluate(x_b_test, y_b_test, verbose=0)
    print(f"New head on the frozen base, trained on {len(x_b_train)} images to tell odd digits: "
          f"test accuracy {accuracy:.4f} on {len(x_b_test)} images")
    print(f"Trainable weights: {len(model.trainable_weights)} (the head's); frozen: {len(model.non_trainable_weights)}")
    print(f"Frozen base weights unchanged by fine-tuning: {frozen_unchanged}")
    return {"accuracy": accuracy, "frozen_unchanged": frozen_unchanged}


if __name__ == "__main__":
    main()
