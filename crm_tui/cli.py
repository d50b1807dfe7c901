"""The crm-tui command: the app, and the administrator's shell commands.

    crm-tui                      start the app on the configured database
    crm-tui demo                 start the app on a demo database
    crm-tui demo-data ...        fill a database with generated data at scale
    crm-tui init                 create or upgrade the database
    crm-tui worker [--once]      the headless churn-alert worker
    crm-tui user add|passwd|disable|enable|list
    crm-tui mail fetch           file new mail of the IMAP mailbox in config.yaml

Every expected failure (bad config, unreachable database, bad input) ends
with one line on stderr and a non-zero exit status, never a traceback.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Callable

from crm_tui.config import Config, ConfigError, load_config
from crm_tui.i18n import set_locale

EXIT_USAGE = 2


class CliError(Exception):
    """An expected failure: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-tui", description="Customer relationship management in the terminal.")
    parser.add_argument("--config", help="path to config.yaml (default: $CRM_TUI_CONFIG, ./config.yaml, "
                                         "then the user's config folder)")
    commands = parser.add_subparsers(dest="command")

    demo = commands.add_parser("demo", help="start the app on a demo database (created on first use)")
    demo.add_argument("--path", default=None, help="demo database file (default: the user's data folder)")
    demo.add_argument("--fresh", action="store_true", help="build the demo database anew")

    fill = commands.add_parser("demo-data", help="fill the configured database with generated data")
    fill.add_argument("--customers", type=int, default=1000)
    fill.add_argument("--orders", type=int, default=10000)
    fill.add_argument("--seed", type=int, default=1)

    commands.add_parser("init", help="create or upgrade the database (safe to run again)")

    worker = commands.add_parser("worker", help="run the churn-alert scan on its schedule")
    worker.add_argument("--once", action="store_true", help="run one scan now and exit")

    user = commands.add_parser("user", help="manage user accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="create a user (asks for the password)")
    add.add_argument("login")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", required=True, choices=["admin", "executive", "supervisor", "manager"])
    for name in ("passwd", "disable", "enable"):
        user_commands.add_parser(name).add_argument("login")
    user_commands.add_parser("list")

    mail = commands.add_parser("mail", help="customer mail")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True)
    mail_commands.add_parser("fetch", help="file new mail of the IMAP mailbox as interactions "
                                           "of the senders' customers")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        set_locale(config.locale)
        return COMMANDS.get(args.command or "run")(args, config)
    except (ConfigError, CliError) as error:
        print(f"crm-tui: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def open_databases(config: Config, migrate: bool = True):
    """Bind the models to the configured databases; apply pending migrations."""
    from crm_tui import db

    try:
        crm_db, sales_db = db.bind(config)
        if migrate:
            db.init_databases(crm_db, sales_db)
    except db.DatabaseUnavailable as error:
        raise CliError(str(error)) from None
    return crm_db, sales_db


def run_app(args: argparse.Namespace, config: Config, demo: bool = False) -> int:
    from crm_tui.app import CrmApp

    open_databases(config)
    CrmApp(config, demo=demo).run()
    return 0


def run_demo(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import demo

    demo_config = demo.prepare_demo(config, path=args.path, fresh=args.fresh, progress=print)
    return run_app(args, demo_config, demo=True)


def run_demo_data(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import demo

    if args.customers < 1 or args.orders < 0:
        raise CliError("--customers must be at least 1 and --orders 0 or more")
    open_databases(config)
    demo.fill_at_scale(args.customers, args.orders, seed=args.seed, progress=print)
    return 0


def run_init(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import db

    crm_db, sales_db = open_databases(config, migrate=False)
    applied = db.init_databases(crm_db, sales_db)
    print(f"applied: {', '.join(applied)}" if applied else "the database is up to date")
    return 0


def run_worker(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import worker

    return worker.main(config, once=args.once)


def run_user(args: argparse.Namespace, config: Config) -> int:
    from crm_tui.models import accounts, users
    from crm_tui.models.errors import ValidationError

    open_databases(config)
    try:
        if args.user_command == "list":
            for user in users.User.select().order_by(users.User.login):
                state = "active" if user.active else "disabled"
                print(f"{user.login}\t{user.display_name}\t{user.role.key}\t{state}")
            return 0
        if args.user_command == "add":
            accounts.create_user(None, args.login, args.name, args.role, _ask_password())
            print(f"user {args.login} created")
            return 0
        user = users.User.get_or_none(users.User.login == args.login)
        if user is None:
            raise CliError(f"no user {args.login!r}")
        if args.user_command == "passwd":
            accounts.reset_password(None, user, _ask_password())
            print(f"password of {args.login} changed")
        else:
            accounts.set_active(None, user, args.user_command == "enable")
            print(f"user {args.login} {args.user_command}d")
    except ValidationError as error:
        raise CliError(str(error)) from None
    return 0


def run_mail(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import mail
    from crm_tui.models.errors import CrmError

    open_databases(config)
    try:
        result = mail.fetch_mail(config, progress=print)
    except CrmError as error:
        raise CliError(str(error)) from None
    print(f"fetched {result.total}: {result.filed} filed, {result.unmatched} unmatched, "
          f"{result.duplicates} already there")
    return 0


def _ask_password() -> str:
    """The password from the terminal (twice), or from CRM_TUI_PASSWORD for scripts."""
    from_env = os.environ.get("CRM_TUI_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask the password on: set CRM_TUI_PASSWORD")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise CliError("the two passwords differ")
    return first


COMMANDS: dict[str, Callable[[argparse.Namespace, Config], int]] = {
    "run": run_app,
    "demo": run_demo,
    "demo-data": run_demo_data,
    "init": run_init,
    "worker": run_worker,
    "user": run_user,
    "mail": run_mail,
}
