"""Side-by-side training speed: kerasish (JAX, NumPy) against Keras 3, hand-written JAX, PyTorch.

Each (framework, workload) pair runs in its own process; pairs are interleaved
(A B C A B C ...) over several repetitions, because a shared machine drifts between
speed modes. Epoch 2 is timed (epoch 1 includes compilation and is reported apart).
Prints a table of steps per second with kerasish's ratio to each peer, and writes JSON
(and a chart with --chart).

    python benchmarks/bench.py                 # everything, 3 repetitions
    python benchmarks/bench.py --workloads W1 W2 --reps 5 --scale 0.25
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FRAMEWORKS = ["kerasish-jax", "kerasish-jax-spe", "kerasish-numpy", "keras-jax", "jax-step", "jax-scan", "torch"]
# The NumPy reference backend runs a smaller slice of each data set (steps/s compare alike).
NUMPY_SCALE = 0.05
SPE = 32


def worker(framework: str, workload: str, scale: float) -> dict:
    """Runs one pair in this process and returns its timings (or why it cannot run)."""
    sys.path.insert(0, str(HERE))
    import workloads

    try:
        if framework.startswith("kerasish"):
            import kerasish as keras

            keras.backend.set_backend("numpy" if framework == "kerasish-numpy" else "jax")
            spe = SPE if framework == "kerasish-jax-spe" else 1
            s = scale * (NUMPY_SCALE if framework == "kerasish-numpy" else 1.0)
            return workloads.run_keras_style(keras, workload, s, steps_per_execution=spe)
        if framework == "keras-jax":
            os.environ["KERAS_BACKEND"] = "jax"
            import keras

            return workloads.run_keras_style(keras, workload, scale)
        if framework in ("jax-step", "jax-scan"):
            import optax  # noqa: F401 - a missing optax is a missing peer

            return workloads.run_jax_handwritten(workload, scale, scan_epoch=framework == "jax-scan")
        if framework == "torch":
            import torch  # noqa: F401

            return workloads.run_torch(workload, scale)
    except ImportError as e:
        return {"missing": f"{type(e).__name__}: {e}"}
    raise ValueError(f"unknown framework {framework!r}")


def startup_worker(framework: str) -> dict:
    """Seconds from before `import` to the end of the first training step (W1's model)."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(HERE))
    try:
        if framework == "kerasish-jax":
            import kerasish as keras

            keras.backend.set_backend("jax")
        else:
            os.environ["KERAS_BACKEND"] = "jax"
            import keras
    except ImportError as e:
        return {"missing": str(e)}
    import workloads

    x, y, batch = workloads.make_data("W1", 0.01)
    model = workloads.keras_style_model(keras, "W1")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.train_on_batch(x[:batch], y[:batch])
    return {"startup_s": time.perf_counter() - t0}


def run_pair(framework, workload, scale, timeout):
    cmd = [sys.executable, str(Path(__file__)), "--worker", framework, workload, "--scale", str(scale)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout}s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail)}
    return json.loads(lines[-1])


def summarize(runs):
    rates = [r["steps"] / r["epoch2_s"] for r in runs if "epoch2_s" in r]
    if not rates:
        return None
    return {
        "best": max(rates),
        "median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
        "epoch1_s": statistics.median(r["epoch1_s"] for r in runs if "epoch1_s" in r),
        "n": len(rates),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--workloads", nargs="+", default=["W1", "W2", "W3", "W4", "P1"])
    parser.add_argument("--frameworks", nargs="+", default=FRAMEWORKS)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each data set to use")
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--out", default=str(HERE / "results" / "latest.json"))
    parser.add_argument("--chart", default=None, help="write a PNG chart of the ratios here")
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker[0] == "startup":
            print(json.dumps(startup_worker(args.worker[1])))
        else:
            print(json.dumps(worker(args.worker[0], args.worker[1], args.scale)))
        return

    results: dict = {w: {f: [] for f in args.frameworks} for w in args.workloads}
    missing: dict = {}
    for rep in range(args.reps):
        for workload in args.workloads:
            for framework in args.frameworks:
                if framework in missing:
                    continue
                if workload == "P1" and framework in ("kerasish-jax-spe", "jax-scan"):
                    continue
                r = run_pair(framework, workload, args.scale, args.timeout)
                if "missing" in r:
                    missing[framework] = r["missing"]
                    continue
                results[workload][framework].append(r)
                status = r.get("error") or f"{r['steps'] / r['epoch2_s']:.1f} steps/s"
                print(f"rep {rep + 1} {workload} {framework:18s} {status}", flush=True)

    startup = {}
    for framework in ("kerasish-jax", "keras-jax"):
        if framework in args.frameworks and framework not in missing:
            cmd = [sys.executable, str(Path(__file__)), "--worker", "startup", framework]
            runs = []
            for _ in range(args.reps):
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
                if lines and "startup_s" in json.loads(lines[-1]):
                    runs.append(json.loads(lines[-1])["startup_s"])
            if runs:
                startup[framework] = {"median": statistics.median(runs), "min": min(runs), "max": max(runs)}

    summary = {w: {f: summarize(rs) for f, rs in fw.items()} for w, fw in results.items()}
    errors = {w: {f: [r["error"] for r in rs if "error" in r] for f, rs in fw.items()} for w, fw in results.items()}
    print_table(summary, missing, startup)
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "versions": versions(),
        "args": vars(args),
        "summary": summary,
        "startup": startup,
        "missing": missing,
        "errors": {w: {f: e for f, e in fw.items() if e} for w, fw in errors.items()},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    if args.chart:
        draw_chart(summary, args.chart)
        print(f"wrote {args.chart}")


def versions() -> dict:
    found = {}
    for name in ("kerasish", "jax", "jaxlib", "numpy", "keras", "optax", "torch"):
        try:
            from importlib import metadata

            found[name] = metadata.version(name)
        except Exception:  # noqa: BLE001 - a missing package is reported as missing
            found[name] = None
    return found


def print_table(summary, missing, startup):
    print("\nsteps/s on epoch 2: best, median [min-max]; ratio = kerasish-jax / peer (best)")
    for workload, per in summary.items():
        base = per.get("kerasish-jax")
        print(f"\n{workload}")
        for framework, s in per.items():
            if s is None:
                continue
            ratio = f"{base['best'] / s['best']:.2f}x" if base and framework != "kerasish-jax" else ""
            print(f"  {framework:18s} {s['best']:9.1f} {s['median']:9.1f} [{s['min']:.1f}-{s['max']:.1f}]"
                  f"  epoch1 {s['epoch1_s']:6.2f}s  {ratio}")
    for framework, reason in missing.items():
        print(f"  missing peer {framework}: {reason}")
    for framework, s in startup.items():
        print(f"  import to first step, {framework}: {s['median']:.2f}s [{s['min']:.2f}-{s['max']:.2f}]")


def draw_chart(summary, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = list(summary)
    peers = [f for f in FRAMEWORKS if f != "kerasish-jax"]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(peers)
    for i, peer in enumerate(peers):
        ratios = []
        for w in workloads:
            base, other = summary[w].get("kerasish-jax"), summary[w].get(peer)
            ratios.append(base["best"] / other["best"] if base and other else 0)
        ax.bar([j + i * width for j in range(len(workloads))], ratios, width, label=peer)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(workloads))], workloads)
    ax.set_ylabel("kerasish-jax speed / peer speed")
    ax.set_title("Training steps per second, ratio of kerasish (JAX) to each peer (>1: kerasish faster)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
