"""The arrows of DESIGN.md point one way: kerasish never imports a backend, and a
backend imports nothing from kerasish but the backend interface."""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND_PACKAGES = {"jax", "jaxlib"} | {
    ep.value.split(":")[0].split(".")[0] for ep in metadata.entry_points(group="kerasish.backends")
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def test_backend_packages_are_known():
    assert {"kerasish_jax", "kerasish_numpy"} <= BACKEND_PACKAGES


def test_kerasish_imports_no_backend():
    offenders = []
    for path in sorted((ROOT / "kerasish").rglob("*.py")):
        for lineno, name in _imports(path):
            if name.split(".")[0] in BACKEND_PACKAGES:
                offenders.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert not offenders, "kerasish/ must not import a backend:\n" + "\n".join(offenders)


def test_backends_import_only_the_interface():
    offenders = []
    for path in sorted((ROOT / "backends").rglob("*.py")):
        for lineno, name in _imports(path):
            top = name.split(".")[0]
            if top == "kerasish" and not (
                name == "kerasish.backend" or name.startswith("kerasish.backend.")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert not offenders, "a backend may import only kerasish.backend:\n" + "\n".join(offenders)


def test_the_check_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import jax.numpy as jnp\nfrom kerasish.layers import Dense\n")
    names = [name for _, name in _imports(bad)]
    assert "jax.numpy" in names and "kerasish.layers" in names
