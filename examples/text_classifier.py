"""Embedding + LSTM on a synthetic token task: does the sequence contain token 7?

The answer depends on one token anywhere in the sequence, so the model must carry
what it has seen along the sequence: a job for a recurrent layer.

    python examples/text_classifier.py --backend numpy --samples 400 --epochs 4
"""

from __future__ import annotations

import argparse

TARGET_TOKEN = 7


def make_data(samples: int, length: int, vocab: int, seed: int):
    """Token sequences (1..vocab-1); the label says whether TARGET_TOKEN occurs in it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, vocab, size=(samples, length))
    tokens[tokens == TARGET_TOKEN] = TARGET_TOKEN + 1  # no target token anywhere ...
    labels = rng.integers(0, 2, size=samples)
    rows = np.flatnonzero(labels)
    tokens[rows, rng.integers(0, length, size=len(rows))] = TARGET_TOKEN  # ... except once in half of them
    return tokens.astype("int32"), labels.astype("float32")


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="jax or numpy (default: KERASISH_BACKEND, else jax)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=2000, help="training sequences")
    parser.add_argument("--length", type=int, default=12, help="tokens per sequence")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    import kerasish as keras
    from kerasish import layers

    if args.backend:
        keras.backend.set_backend(args.backend)
    keras.utils.set_random_seed(0)
    vocab = 20

    x_train, y_train = make_data(args.samples, args.length, vocab, seed=0)
    x_test, y_test = make_data(500, args.length, vocab, seed=1)

    model = keras.Sequential(
        [
            keras.Input(shape=(args.length,), dtype="int32"),
            layers.Embedding(input_dim=vocab, output_dim=16),
            layers.LSTM(32),
            layers.Dense(1, activation="sigmoid"),
        ],
        name="contains_seven",
    )
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    print(f"Training on the {keras.backend.backend()} backend: {len(x_train)} sequences, {args.epochs} epochs")
    model.fit(x_train, y_train, batch_size=64, epochs=args.epochs, validation_split=0.1, verbose=args.verbose)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} new sequences")
    return accuracy


if __name__ == "__main__":
    main()
