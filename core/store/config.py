"""Where shoplens keeps its files: the data folder, one DuckDB file per shop, per-shop secrets."""

from __future__ import annotations

import os
import re
from pathlib import Path

DEMO_SHOP = "demo"
BUILDING_SUFFIX = "__building"  # a shop file still being built; never listed
_SHOP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class ShopNameError(ValueError):
    """A shop name that cannot be used as a file name."""


def home() -> Path:
    """The data folder: ``$SHOPLENS_HOME`` or ``~/.shoplens``; created on first use."""
    root = Path(os.environ.get("SHOPLENS_HOME") or Path.home() / ".shoplens").expanduser()
    (root / "shops").mkdir(parents=True, exist_ok=True)
    return root


def check_shop_name(name: str) -> str:
    """Return ``name`` if it is a valid shop name, else raise a clear error."""
    if not isinstance(name, str) or not _SHOP_NAME.match(name):
        raise ShopNameError(
            f"Shop name {name!r} is not allowed: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit (for example 'my-shop')."
        )
    return name


def shop_db_path(name: str) -> Path:
    """The DuckDB file of one shop."""
    return home() / "shops" / f"{check_shop_name(name)}.duckdb"


def secrets_dir() -> Path:
    """Per-shop secrets live here, outside the shop's database file (mode 0700)."""
    path = home() / "secrets"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def list_shops() -> list[str]:
    """Names of the shops that have a database file, sorted, demo first."""
    names = sorted(p.stem for p in (home() / "shops").glob("*.duckdb")
                   if not p.stem.endswith(BUILDING_SUFFIX) and not p.name.startswith("."))
    return sorted(names, key=lambda n: (n != DEMO_SHOP, n))
