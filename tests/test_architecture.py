"""The house's arrows, read from the code: no import circles, no import against the layers.

Every ``import`` and ``from ... import`` in ``core/``, ``models/``, ``ui.py``, ``app.py`` and
``pages/`` counts - at the top of a module, inside a function, or under ``TYPE_CHECKING`` - so
a circle cannot hide in a lazy import. The layers, top to bottom: a unit may import from its own
layer or any layer below it, never from one above. Within a layer, packages may use each other
only without a circle (checked on the package graph as well as the module graph).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top to bottom. Each entry names units: a package (or top-level module) and everything in it.
LAYERS: list[tuple[str, ...]] = [
    ("app", "pages", "core.cli"),  # interfaces: the dashboard's screens and the command line
    ("ui",),  # the only Streamlit glue shared by pages
    ("core.privacy", "core.fairness"),  # erasure, consent, retention, exports; fairness audits
    ("core.abtest",),  # simulated A/B tests of recommendation policies
    ("core.recommend",),  # one customer's list, with reasons; every customer's list in batches
    ("core.segments",),  # UMAP + HDBSCAN segments, profiles, names, exports
    ("core.learn",),  # the shop's trained models: train, load, compare
    ("core.demo", "core.shop"),  # the demo-shop generator; facts derived from the store
    ("core.ingest",),  # reading merchants' exports into the store
    ("core.store", "core.guard"),  # the DuckDB file, schema, shop config, keys, artifacts, jobs;
    # what a browser may reach (password, allowed folders, labels as plain text)
    ("models", "core"),  # pure PyTorch / numpy; core's own __init__ (its version)
]
FORBIDDEN = {  # third-party imports a layer must never make
    "models": ("core", "streamlit", "duckdb", "ui", "pages"),
    "core": ("streamlit", "ui", "pages"),
    "pages": ("duckdb", "torch"),
}
DUCKDB_HOME = "core.store"  # the only package that imports duckdb


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {"app": ROOT / "app.py", "ui": ROOT / "ui.py"}
    for folder in ("core", "models", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module or package, line) for every import statement in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in MODULES else base), node.lineno


def _internal(target: str) -> str | None:
    """The project module a dotted import name refers to (None for third-party ones)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _unit(module: str) -> tuple[int, str]:
    """(layer index, unit) of a module: its longest matching unit."""
    best: tuple[int, str] | None = None
    for i, units in enumerate(LAYERS):
        for unit in units:
            inside = module == unit or module.startswith(unit + ".")
            if inside and (best is None or len(unit) > len(best[1])):
                best = (i, unit)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")
    return best


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, _line in _imports(name, path):
            t = _internal(target)
            if t and t != name and not name.startswith(t + "."):  # a package's own __init__ is no edge
                graph[name].add(t)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_every_module_sits_in_a_layer() -> None:
    for name in MODULES:
        _unit(name)


def test_no_import_circle_between_modules() -> None:
    assert _circles(_graph()) == []


def test_no_import_circle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for name, targets in _graph().items():
        src = _unit(name)[1]
        packages.setdefault(src, set()).update(_unit(t)[1] for t in targets if _unit(t)[1] != src)
    assert _circles(packages) == []


def test_no_import_runs_against_the_layers() -> None:
    against = []
    for name, path in MODULES.items():
        layer, unit = _unit(name)
        for target, line in _imports(name, path):
            t = _internal(target)
            if t is None or t == name or name.startswith(t + "."):
                continue
            t_layer, t_unit = _unit(t)
            if t_layer < layer:
                against.append(f"{path.relative_to(ROOT)}:{line} ({unit}) imports {t} ({t_unit}), "
                               "a layer above")
    assert against == []


def test_forbidden_imports() -> None:
    found = []
    for name, path in MODULES.items():
        rules = [bad for prefix, bad in FORBIDDEN.items() if name == prefix or name.startswith(prefix + ".")]
        for target, line in _imports(name, path):
            top = target.split(".")[0]
            if any(top == b or target.startswith(b + ".") for bad in rules for b in bad):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
            if top == "duckdb" and not name.startswith(DUCKDB_HOME + "."):
                found.append(f"{path.relative_to(ROOT)}:{line} imports duckdb (only {DUCKDB_HOME} may)")
    assert found == []


@pytest.mark.parametrize("package", sorted({m for m, p in MODULES.items() if p.name == "__init__.py"}))
def test_every_package_has_a_map(package: str) -> None:
    """Each package's ``__init__`` docstring names every module in it, and it stays small."""
    path = MODULES[package]
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    members = sorted(p.stem for p in path.parent.glob("*.py") if p.stem not in ("__init__", "__main__"))
    missing = [m for m in members if f"{m}.py" not in doc]
    assert not missing, f"{path.relative_to(ROOT)}'s map does not name {missing}"
    assert len(members) <= 12, f"{package} holds {len(members)} modules (at most ~12)"


def test_modules_stay_small() -> None:
    big = {str(p.relative_to(ROOT)): n for p in MODULES.values()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert big == {}
