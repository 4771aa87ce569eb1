"""The benchmark's workloads, written once per framework; each returns timings as a dict.

Run one (framework, workload) pair in a fresh process through `bench.py --worker`, so
that frameworks never share a process (two JAX users in one process would share
compilation caches and thread pools).
"""

from __future__ import annotations

import time

import numpy as np

# name: (samples, batch size, input kind)
WORKLOADS = {
    "W1": dict(samples=60_000, batch=32, kind="mlp_small"),
    "W2": dict(samples=60_000, batch=128, kind="mlp_large"),
    "W3": dict(samples=12_800, batch=128, kind="cnn"),
    "W4": dict(samples=6_400, batch=64, kind="lstm"),
    "P1": dict(samples=60_000, batch=1024, kind="predict"),
}
DESCRIPTIONS = {
    "W1": "MLP 784-128-10, batch 32, 60k samples, Adam",
    "W2": "MLP 784-512-512-10 + Dropout, batch 128, 60k samples",
    "W3": "CNN 2x(Conv2D+MaxPool), batch 128, 12.8k samples of 28x28x1",
    "W4": "Embedding(10k,64)+LSTM(64)+Dense, seq 100, batch 64, 6.4k samples",
    "P1": "predict with W2's model, 60k samples, batch 1024",
}


def make_data(workload: str, scale: float = 1.0):
    spec = WORKLOADS[workload]
    n = max(spec["batch"] * 4, int(spec["samples"] * scale))
    rng = np.random.default_rng(0)
    kind = spec["kind"]
    if kind == "cnn":
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, n).astype("int32")
    elif kind == "lstm":
        x = rng.integers(1, 10_000, (n, 100)).astype("int32")
        y = rng.integers(0, 2, (n, 1)).astype("float32")
    else:
        x = rng.random((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, n).astype("int32")
    return x, y, spec["batch"]


# ------------------------------------------------------------------ Keras-style
def keras_style_model(keras, workload: str):
    """The model of `workload` in the Keras API (kerasish and Keras 3 share it)."""
    L = keras.layers  # noqa: N806
    kind = WORKLOADS[workload]["kind"]
    if kind == "mlp_small":
        return keras.Sequential([keras.Input((784,)), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
    if kind in ("mlp_large", "predict"):
        return keras.Sequential([
            keras.Input((784,)), L.Dense(512, activation="relu"), L.Dropout(0.2),
            L.Dense(512, activation="relu"), L.Dropout(0.2), L.Dense(10, activation="softmax"),
        ])
    if kind == "cnn":
        return keras.Sequential([
            keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
            L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ])
    return keras.Sequential([keras.Input((100,), dtype="int32"), L.Embedding(10_000, 64), L.LSTM(64), L.Dense(1, activation="sigmoid")])


def run_keras_style(keras, workload: str, scale: float, steps_per_execution: int = 1) -> dict:
    x, y, batch = make_data(workload, scale)
    model = keras_style_model(keras, workload)
    kind = WORKLOADS[workload]["kind"]
    if kind == "predict":
        t0 = time.perf_counter()
        model.predict(x[:batch], batch_size=batch, verbose=0)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        second = time.perf_counter() - t0
        return {"epoch1_s": first, "epoch2_s": second, "steps": -(-len(x) // batch)}
    loss = "binary_crossentropy" if kind == "lstm" else "sparse_categorical_crossentropy"
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"], steps_per_execution=steps_per_execution)
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t0)

    model.fit(x, y, batch_size=batch, epochs=2, verbose=0, callbacks=[Timer()])
    return {"epoch1_s": times[0], "epoch2_s": times[1], "steps": -(-len(x) // batch)}


# ------------------------------------------------------------- hand-written JAX
def run_jax_handwritten(workload: str, scale: float, scan_epoch: bool = False) -> dict:
    """One jitted step with donated buffers (or a whole epoch in one lax.scan), optax Adam."""
    import jax
    import jax.numpy as jnp
    import optax

    x, y, batch = make_data(workload, scale)
    kind = WORKLOADS[workload]["kind"]
    key = jax.random.PRNGKey(0)

    def dense(k, n_in, n_out):
        limit = np.sqrt(6 / (n_in + n_out))
        return {"w": jax.random.uniform(k, (n_in, n_out), minval=-limit, maxval=limit), "b": jnp.zeros(n_out)}

    keys = jax.random.split(key, 8)
    if kind == "mlp_small":
        params = {"d1": dense(keys[0], 784, 128), "d2": dense(keys[1], 128, 10)}

        def forward(p, xb, rng):
            h = jax.nn.relu(xb @ p["d1"]["w"] + p["d1"]["b"])
            return h @ p["d2"]["w"] + p["d2"]["b"]
    elif kind in ("mlp_large", "predict"):
        params = {"d1": dense(keys[0], 784, 512), "d2": dense(keys[1], 512, 512), "d3": dense(keys[2], 512, 10)}

        def forward(p, xb, rng, training=True):
            r1, r2 = jax.random.split(rng) if training else (None, None)
            h = jax.nn.relu(xb @ p["d1"]["w"] + p["d1"]["b"])
            if training:
                h = jnp.where(jax.random.bernoulli(r1, 0.8, h.shape), h / 0.8, 0)
            h = jax.nn.relu(h @ p["d2"]["w"] + p["d2"]["b"])
            if training:
                h = jnp.where(jax.random.bernoulli(r2, 0.8, h.shape), h / 0.8, 0)
            return h @ p["d3"]["w"] + p["d3"]["b"]
    elif kind == "cnn":
        def conv_init(k, kh, cin, cout):
            limit = np.sqrt(6 / (kh * kh * cin + kh * kh * cout))
            return {"w": jax.random.uniform(k, (kh, kh, cin, cout), minval=-limit, maxval=limit), "b": jnp.zeros(cout)}

        params = {"c1": conv_init(keys[0], 3, 1, 32), "c2": conv_init(keys[1], 3, 32, 64), "d": dense(keys[2], 5 * 5 * 64, 10)}

        def conv(v, p):
            out = jax.lax.conv_general_dilated(v, p["w"], (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
            return jax.nn.relu(out + p["b"])

        def pool(v):
            return jax.lax.reduce_window(v, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

        def forward(p, xb, rng):
            h = pool(conv(pool(conv(xb, p["c1"])), p["c2"]))
            h = h.reshape(h.shape[0], -1)
            h = jnp.where(jax.random.bernoulli(rng, 0.5, h.shape), h / 0.5, 0)
            return h @ p["d"]["w"] + p["d"]["b"]
    else:
        params = {
            "emb": jax.random.uniform(keys[0], (10_000, 64), minval=-0.05, maxval=0.05),
            "k": dense(keys[1], 64, 256)["w"], "rk": dense(keys[2], 64, 256)["w"], "b": jnp.zeros(256),
            "d": dense(keys[3], 64, 1),
        }

        def forward(p, xb, rng):
            e = p["emb"][xb]

            def cell(carry, xt):
                h, c = carry
                z = xt @ p["k"] + h @ p["rk"] + p["b"]
                i, f, g, o = jnp.split(z, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), None

            zeros = jnp.zeros((xb.shape[0], 64))
            (h, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(e, 0, 1))
            return h @ p["d"]["w"] + p["d"]["b"]

    if kind == "predict":
        apply = jax.jit(lambda p, xb: jax.nn.softmax(forward(p, xb, None, training=False)))
        t0 = time.perf_counter()
        apply(params, x[:batch]).block_until_ready()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        outs = [apply(params, x[i : i + batch]) for i in range(0, len(x), batch)]
        np.concatenate([np.asarray(o) for o in outs])
        return {"epoch1_s": first, "epoch2_s": time.perf_counter() - t0, "steps": len(outs)}

    optimizer = optax.adam(1e-3, eps=1e-7)
    opt_state = optimizer.init(params)

    def loss_fn(p, xb, yb, rng):
        out = forward(p, xb, rng)
        if kind == "lstm":
            return optax.sigmoid_binary_cross_entropy(out, yb).mean()
        return optax.softmax_cross_entropy_with_integer_labels(out, yb).mean()

    def step(state, xb, yb):
        p, o, rng = state
        rng, sub = jax.random.split(rng)
        loss, grads = jax.value_and_grad(loss_fn)(p, xb, yb, sub)
        updates, o = optimizer.update(grads, o, p)
        return (optax.apply_updates(p, updates), o, rng), loss

    n_batches = len(x) // batch
    x_dev = jnp.asarray(x[: n_batches * batch]).reshape(n_batches, batch, *x.shape[1:])
    y_dev = jnp.asarray(y[: n_batches * batch]).reshape(n_batches, batch, *y.shape[1:])
    state = (params, opt_state, key)
    if scan_epoch:
        @jax.jit
        def epoch(state, xs, ys):
            return jax.lax.scan(lambda s, b: step(s, b[0], b[1]), state, (xs, ys))

        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            state, losses = epoch(state, x_dev, y_dev)
            losses.block_until_ready()
            times.append(time.perf_counter() - t0)
    else:
        jstep = jax.jit(step, donate_argnums=(0,))
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            for i in range(n_batches):
                state, loss = jstep(state, x_dev[i], y_dev[i])
            loss.block_until_ready()
            times.append(time.perf_counter() - t0)
    return {"epoch1_s": times[0], "epoch2_s": times[1], "steps": n_batches}


# --------------------------------------------------------------------- PyTorch
def run_torch(workload: str, scale: float) -> dict:
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, y, batch = make_data(workload, scale)
    kind = WORKLOADS[workload]["kind"]
    if kind == "mlp_small":
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    elif kind in ("mlp_large", "predict"):
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512), nn.ReLU(),
                              nn.Dropout(0.2), nn.Linear(512, 10))
    elif kind == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(5 * 5 * 64, 10))
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    else:
        class LSTMNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10_000, 64)
                self.lstm = nn.LSTM(64, 64, batch_first=True)
                self.out = nn.Linear(64, 1)

            def forward(self, v):
                _, (h, _) = self.lstm(self.emb(v))
                return self.out(h[-1])

        model = LSTMNet()
    xt = torch.from_numpy(x if kind != "lstm" else x.astype("int64"))
    yt = torch.from_numpy(y if kind == "lstm" else y.astype("int64"))
    if kind == "predict":
        model.eval()
        with torch.no_grad():
            t0 = time.perf_counter()
            model(xt[:batch])
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            outs = [torch.softmax(model(xt[i : i + batch]), -1) for i in range(0, len(x), batch)]
            torch.cat(outs).numpy()
        return {"epoch1_s": first, "epoch2_s": time.perf_counter() - t0, "steps": len(outs)}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss() if kind == "lstm" else nn.CrossEntropyLoss()
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = perm[i : i + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - t0)
    return {"epoch1_s": times[0], "epoch2_s": times[1], "steps": -(-len(x) // batch)}
