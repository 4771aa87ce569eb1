"""A small CNN that reads handwritten digits as 8x8x1 images (scikit-learn's digits).

Conv2D, MaxPooling2D, Flatten and Dense, trained with `fit`:

    python examples/cnn_images.py --backend numpy --epochs 5
"""

from __future__ import annotations

import argparse


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--subset", type=int, default=None, help="train on this many images only")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import kerasish as keras
    from kerasish import layers

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)

    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]  # (1797, 8, 8, 1), values 0..1
    labels = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, random_state=0, stratify=labels
    )
    if args.subset:
        x_train, y_train = x_train[: args.subset], y_train[: args.subset]

    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            layers.Conv2D(16, kernel_size=3, padding="same", activation="relu"),
            layers.MaxPooling2D(pool_size=2),  # 8x8 -> 4x4
            layers.Conv2D(32, kernel_size=3, padding="same", activation="relu"),
            layers.MaxPooling2D(pool_size=2),  # 4x4 -> 2x2
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ],
        name="digits_cnn",
    )
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Training on the {keras.backend.backend()} backend: {len(x_train)} images, {args.epochs} epochs")
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1, verbose=args.verbose)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predictions = np.argmax(model.predict(x_test[:10], verbose=0), axis=-1)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} held-out images")
    print(f"First predictions: {predictions.tolist()}  true: {y_test[:10].tolist()}")
    return accuracy


if __name__ == "__main__":
    main()
