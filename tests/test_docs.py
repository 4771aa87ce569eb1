"""The guides' (and README's) ```python blocks run, their links resolve, the API reference matches the code."""

from __future__ import annotations

import filecmp
import importlib.util
import re
from pathlib import Path

import pytest

import kerasish.backend as kb

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")

# Pages whose ```python blocks are sketches that need more than one machine gives
# (several devices or processes); they are checked for links only.
NOT_RUN = {
    "distribution.md": "its blocks need several devices or processes and data they leave out",
}


def python_blocks(page: Path) -> list[str]:
    """The source of each ```python block of a Markdown page, in order."""
    return PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))


def run_page(page: Path) -> dict:
    """Executes a page's ```python blocks in order in one fresh namespace; returns it."""
    namespace: dict = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, source in enumerate(python_blocks(page), start=1):
        code = compile(source, f"{page.name} (python block {number})", "exec")
        exec(code, namespace)
    return namespace


PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A temporary working directory; the active backend and the backend registry restored after."""
    from kerasish.utils import model_visualization

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(model_visualization, "_warned_no_graphviz", True)  # either drawing path is fine
    active = kb.backend()
    registry, instances = dict(kb._registry), dict(kb._instances)
    yield tmp_path
    kb._registry.clear()
    kb._registry.update(registry)
    kb._instances.clear()
    kb._instances.update(instances)
    kb.set_backend(active)


@pytest.mark.parametrize("page", [*PAGES, README], ids=[p.name for p in PAGES] + ["README.md"])
def test_python_blocks_run(page, isolated):
    if page.name in NOT_RUN:
        pytest.skip(f"{page.name}: {NOT_RUN[page.name]}")
    if not python_blocks(page):
        pytest.skip(f"{page.name} has no python blocks")
    run_page(page)


def test_every_guide_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(LINK.findall(index))
    missing = [p.name for p in PAGES if p.name != "index.md" and p.name not in linked]
    assert not missing, f"docs/index.md does not link to {missing}"


@pytest.mark.parametrize("page", [*PAGES, README], ids=[p.name for p in PAGES] + ["README.md"])
def test_relative_links_resolve(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        if not (page.parent / target).exists():
            broken.append(target)
    assert not broken, f"{page.name} links to missing files: {broken}"


def _load_generator():
    spec = importlib.util.spec_from_file_location("docs_reference_generate", DOCS / "reference" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_pages_are_in_sync(tmp_path):
    generator = _load_generator()
    written = generator.generate(tmp_path)
    committed = DOCS / "reference"
    stale = [path.name for path in written if not (committed / path.name).exists()
             or not filecmp.cmp(path, committed / path.name, shallow=False)]
    extra = sorted(
        p.name for p in committed.glob("*.md") if p.name not in {path.name for path in written}
    )
    assert not stale and not extra, (
        f"docs/reference is out of date (differs: {stale}; no longer generated: {extra}). "
        "Run `python docs/reference/generate.py` and commit the pages."
    )
