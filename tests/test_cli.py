"""The `shoplens` command (``python -m core.cli``): JSON reports, exit codes, dry runs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from core.cli.main import main as shoplens
from core.store import config
from core.store.schema import DATA_TABLES
from core.store.store import Store

ORDERS = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,abc,17850,United Kingdom
C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527,United Kingdom
"""
ALL_BAD = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
1,A,a,one,2010-12-01 08:26:00,2.55,1,UK
2,B,b,1,2010-12-01 08:26:00,NaN,1,UK
3,C,c,1,2010-12-01 08:26:00,-4,1,UK
"""


def test_import_json_report(shoplens_home: Path, write_file, run_python) -> None:
    path = write_file("orders.csv", ORDERS)
    done = run_python("-m", "core.cli", "import", "--shop", "cli-shop", str(path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["accepted"], report["rejected"], report["lines_read"]) == (2, 1, 4)
    assert report["committed"] is True and report["dry_run"] is False
    table = report["tables"][0]
    assert table["preset"] == "uci_online_retail" and table["returns"] == 1
    assert table["rejections"][0] == {
        "file": "orders.csv", "row": 4, "column": "UnitPrice", "value": "abc",
        "rule": "bad_unit_price", "problem": "not a number",
        "suggestion": "write the price as a number such as 4.95"}
    assert done.stderr == ""  # --json keeps the progress bar quiet
    with Store.open("cli-shop", read_only=True) as st:
        assert st.table_counts()["events"] == 3


def test_nothing_importable_exits_1(shoplens_home: Path, write_file, run_python) -> None:
    path = write_file("bad.csv", ALL_BAD)
    done = run_python("-m", "core.cli", "import", "--shop", "s", str(path), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["accepted"], report["rejected"]) == (0, 3)
    rules = report["tables"][0]["rejected_by_rule"]
    assert rules == {"bad_quantity": 1, "nonfinite_unit_price": 1, "negative_unit_price": 1}


def test_unknown_file_exits_2_with_a_clear_message(shoplens_home: Path, tmp_path: Path,
                                                   run_python) -> None:
    missing = tmp_path / "no-such-export.csv"
    done = run_python("-m", "core.cli", "import", "--shop", "s", str(missing))
    assert done.returncode == 2
    assert done.stderr.startswith("shoplens: ")
    assert "no-such-export.csv does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    with_json = run_python("-m", "core.cli", "import", "--shop", "s", str(missing), "--json")
    assert with_json.returncode == 2
    assert "does not exist" in json.loads(with_json.stdout)["error"]


def test_locked_shop_exits_2(store: Store, write_file, run_python) -> None:
    path = write_file("orders.csv", ORDERS)
    done = run_python("-m", "core.cli", "import", "--shop", "test", str(path))
    assert done.returncode == 2
    assert str(store.path) in done.stderr and "read-write" in done.stderr
    assert store.table_counts()["events"] == 0


@pytest.mark.parametrize("argv, words", [
    (["import", "--shop", "../up", "x.csv"], "is not allowed"),
    (["import", "--shop", "s", "{png}"], "PNG image"),
])
def test_bad_arguments_exit_2(shoplens_home: Path, write_file, capsys: pytest.CaptureFixture,
                              argv: list[str], words: str) -> None:
    png = write_file("picture.csv", b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert shoplens([a.format(png=png) for a in argv]) == 2
    assert words in capsys.readouterr().err


def test_unknown_preset_is_refused_by_the_parser(shoplens_home: Path, write_file) -> None:
    with pytest.raises(SystemExit) as info:
        shoplens(["import", "--shop", "s", "--preset", "nope", str(write_file("o.csv", ORDERS))])
    assert info.value.code == 2


def test_dry_run_writes_nothing_to_an_existing_shop(shoplens_home: Path, write_file,
                                                    capsys: pytest.CaptureFixture) -> None:
    first = write_file("first.csv", ORDERS)
    assert shoplens(["import", "--shop", "s", str(first), "--json"]) == 0
    capsys.readouterr()
    with Store.open("s", read_only=True) as st:
        before = st.table_counts()
        imports = st.scalar("SELECT count(*) FROM imports")
    more = write_file("more.csv", ORDERS.replace("536365", "600001"))
    assert shoplens(["import", "--shop", "s", str(more), "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True and report["committed"] is False
    assert report["accepted"] == 2 and report["tables"][0]["inserted"] == 2  # would be new
    with Store.open("s", read_only=True) as st:
        assert st.table_counts() == before
        assert st.scalar("SELECT count(*) FROM imports") == imports
        assert st.scalar("SELECT count(*) FROM rejections") == 1


def test_dry_run_leaves_no_new_shop_behind(shoplens_home: Path, write_file,
                                           capsys: pytest.CaptureFixture) -> None:
    path = write_file("orders.csv", ORDERS)
    assert shoplens(["import", "--shop", "trial", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "checked, nothing written (dry run)" in out
    assert "2 accepted" in out
    assert not config.shop_db_path("trial").exists()
    assert "trial" not in config.list_shops()
    assert not (config.home() / "secrets" / "trial.key").exists()


def test_human_summary_and_date_format(shoplens_home: Path, write_file,
                                       capsys: pytest.CaptureFixture) -> None:
    text = ORDERS.replace("2010-12-01", "12/01/2010").replace(",abc,", ",1.00,")
    path = write_file("orders.csv", text)
    assert shoplens(["import", "--shop", "s", str(path), "--date-format", "%m/%d/%Y %H:%M:%S"]) == 0
    out = capsys.readouterr().out
    assert "orders.csv (events, preset uci_online_retail): 4 lines read, 3 accepted" in out
    assert "1 non-product lines" in out
    assert "imported into shop 's'" in out
    with Store.open("s", read_only=True) as st:
        assert st.scalar("SELECT min(ts) FROM events") == datetime(2010, 12, 1, 8, 26)


def test_shops_lists_counts(shoplens_home: Path, write_file, capsys: pytest.CaptureFixture) -> None:
    assert shoplens(["import", "--shop", "alpha", str(write_file("o.csv", ORDERS)), "--json"]) == 0
    Store.open("beta").close()
    capsys.readouterr()
    assert shoplens(["shops", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"shop": "alpha", "customers": 2, "products": 3, "events": 3, "reviews": 0,
                     "currency": None},
                    {"shop": "beta", **dict.fromkeys(DATA_TABLES, 0), "currency": None}]
