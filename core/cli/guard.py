"""``shoplens password set|clear`` and ``shoplens folders allow|list|remove``: what a browser
reaching the dashboard may do (``core.guard``)."""

from __future__ import annotations

import argparse
import getpass
import sys

from core.guard import folders, password


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("password", help="the dashboard's optional password")
    what = p.add_subparsers(dest="action", required=True)
    s = what.add_parser("set", help="ask for a password before any page (read from the terminal, "
                                    "or the first line of stdin when it is not a terminal)")
    s.set_defaults(func=cmd_password_set)
    c = what.add_parser("clear", help="ask for no password again")
    c.set_defaults(func=cmd_password_clear)

    p = sub.add_parser("folders", help="folders the Data page may read server paths from")
    what = p.add_subparsers(dest="action", required=True)
    a = what.add_parser("allow", help="allow a folder (and everything inside it)")
    a.add_argument("path")
    a.set_defaults(func=cmd_folders_allow)
    r = what.add_parser("remove", help="stop allowing a folder")
    r.add_argument("path")
    r.set_defaults(func=cmd_folders_remove)
    ls = what.add_parser("list", help="the allowed folders")
    ls.set_defaults(func=cmd_folders_list)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New dashboard password: ")
        if getpass.getpass("Again: ") != first:
            raise password.PasswordError("The two passwords differ: nothing changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_password_set(args: argparse.Namespace) -> int:
    where = password.set_password(_read_password())
    print(f"Password set (its hash is in {where}). The dashboard asks for it from the next page load.")
    return 0


def cmd_password_clear(args: argparse.Namespace) -> int:
    if password.clear():
        print("Password removed: the dashboard asks for none.")
    else:
        print("No password was set.")
    return 0


def cmd_folders_allow(args: argparse.Namespace) -> int:
    print(f"Allowed: {folders.allow(args.path)}")
    return 0


def cmd_folders_remove(args: argparse.Namespace) -> int:
    if folders.remove(args.path):
        print(f"No longer allowed: {args.path}")
        return 0
    print(f"{args.path} was not an allowed folder (see `shoplens folders list`).", file=sys.stderr)
    return 1


def cmd_folders_list(args: argparse.Namespace) -> int:
    found = folders.allowed()
    for folder in found:
        print(folder)
    if not found:
        print("No folder allowed: the Data page reads uploads only "
              "(`shoplens folders allow PATH` to allow one).", file=sys.stderr)
    return 0
