"""Shared fixtures: every test gets its own shoplens data folder (``SHOPLENS_HOME``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` as well as `python -m pytest` finds the `core` package
    sys.path.insert(0, str(ROOT))

from core.store.store import Store  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def fresh_streamlit_caches() -> Iterator[None]:
    """Each test module starts with empty ``st.cache_data``/``st.cache_resource``: AppTests run
    in this one process, and two modules' shops may share a name and a data version in their
    own data folders (test_labels' attack shop's devices once reached test_app's Overview)."""
    yield
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def trained_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the default demo shop (as `make run` builds it) and a GRU trained on
    it for 6 epochs (about a minute on 2 cores), shared by the modules that need a model.
    Modules point ``SHOPLENS_HOME`` at it with ``use_home``."""
    from core.demo import demo
    from core.learn import embeddings
    path = tmp_path_factory.mktemp("demo_trained")
    with use_home(path):
        demo.create_demo_shop("demo")
        with Store.open("demo") as store:
            embeddings.train(store, "gru", epochs=6, seed=0)
    return path


@pytest.fixture(scope="session")
def evil_labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with ``tests/evil_shop.py``'s shop, whose imported labels are Markdown and
    HTML attacks (about 30 s), shared by the AppTest and browser checks of issue 15."""
    import evil_shop
    path = tmp_path_factory.mktemp("evil_labels")
    with use_home(path):
        evil_shop.build(path)
    return path


@pytest.fixture(scope="module")
def demo_home(trained_demo: Path) -> Iterator[Path]:
    """``trained_demo`` as the data folder for a whole test module."""
    with use_home(trained_demo):
        yield trained_demo


@contextmanager
def use_home(path: Path) -> Iterator[Path]:
    """``SHOPLENS_HOME`` set to ``path`` for a block (a module fixture's lifetime)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(path))
    try:
        yield path
    finally:
        mp.undo()


@pytest.fixture
def shoplens_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data folder; ``core.store.config.home()`` reads the variable on each call."""
    home = tmp_path / "shoplens_home"
    monkeypatch.setenv("SHOPLENS_HOME", str(home))
    return home


@pytest.fixture
def store(shoplens_home: Path) -> Iterator[Store]:
    """The read-write store of a new shop called ``test``, closed after the test."""
    st = Store.open("test")
    yield st
    st.close()


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """``write_file(name, text_or_bytes, encoding="utf-8")``: a small input file in ``tmp_path``."""

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / "input" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def run_python(shoplens_home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -c CODE`` (or ``python -m ...`` via ``args``) in the project root with the
    test's data folder; never hangs (60 s timeout)."""

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SHOPLENS_HOME": str(shoplens_home),
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                             if p)}
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)

    return run
