"""The ``shoplens`` command: arguments onto the same core functions the pages call."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from core.cli import data, guard, learn
from core.cli import privacy as cli_privacy
from core.cli import recommend as cli_recommend
from core.cli import simulate as cli_simulate
from core.ingest.plan import IngestError
from core.store import config
from core.store.store import StoreError

log = logging.getLogger("shoplens")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: one sub-command per task, grouped by module."""
    parser = argparse.ArgumentParser(prog="shoplens", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)
    data.add_parsers(sub)
    learn.add_parsers(sub)
    cli_recommend.add_parser(sub)
    cli_simulate.add_parser(sub)
    cli_privacy.add_parsers(sub)
    guard.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (IngestError, StoreError, config.ShopNameError, ValueError, RuntimeError) as err:
        if isinstance(err, RuntimeError) and not type(err).__module__.startswith("core."):
            raise  # not one of ours (e.g. torch): keep the traceback
        if getattr(args, "json", False):
            print(json.dumps({"error": str(err)}))
        print(f"shoplens: {err}", file=sys.stderr)
        return 2


