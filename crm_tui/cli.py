"""The crm-tui command: the app, and the administrator's shell commands.

    crm-tui                      start the app on the configured database
    crm-tui demo                 start the app on a demo database
    crm-tui demo-data ...        fill a database with generated data at scale
    crm-tui init                 create or upgrade the database
    crm-tui worker [--once]      the headless churn-alert worker
    crm-tui user add|passwd|disable|enable|unlock|list
    crm-tui mail fetch           file new mail of the IMAP mailbox in config.yaml
    crm-tui import KIND FILE     import customers, contacts or interactions (CSV, XLSX)
    crm-tui backup [FILE]        database and documents into one verified archive
    crm-tui restore FILE         put a backup back
    crm-tui config show|init     the effective configuration; a commented sample
    crm-tui completion SHELL     shell completion for bash, zsh or fish

Every expected failure (bad config, unreachable database, bad input) ends
with one line on stderr and a non-zero exit status, never a traceback. An
unexpected error prints one line naming the app log, where its traceback is.
"""
from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import sys
from pathlib import Path
from typing import Callable


from crm_tui import applog
from crm_tui.config import SECRET_ENVIRONMENT, Config, ConfigError, load_config, user_config_path
from crm_tui.i18n import set_locale

EXIT_USAGE = 2
EXIT_CRASH = 1
ROLES = ["admin", "executive", "supervisor", "manager"]
SHELLS = ["bash", "zsh", "fish"]

ENVIRONMENT_HELP = """environment:
  CRM_TUI_CONFIG         the config file, when --config is not given
  CRM_TUI_PASSWORD       the password for `user add` and `user passwd`, and of the
                         user `import --user` signs in as, in scripts
  CRM_TUI_SMTP_PASSWORD  the SMTP password, instead of mail.smtp.password in the file
  CRM_TUI_IMAP_PASSWORD  the IMAP password, instead of mail.imap.password in the file

First install: crm-tui config init; crm-tui init; crm-tui user add LOGIN --name NAME --role admin."""


class CliError(Exception):
    """An expected failure: printed as one line, exit status 2."""


def version() -> str:
    from importlib import metadata  # only for --version: slow to import
    try:
        return metadata.version("crm-tui")
    except metadata.PackageNotFoundError:
        from crm_tui import __version__
        return __version__


class VersionAction(argparse.Action):
    """--version: the version is read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"crm-tui {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-tui", description="Customer relationship management in the terminal.",
                                     epilog=ENVIRONMENT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=VersionAction)
    parser.add_argument("--ascii", action="store_true",
                        help="draw lines, boxes and arrows with ASCII characters (the default "
                             "when TERM is linux or vt100)")
    parser.add_argument("--config", help="path to config.yaml (default: $CRM_TUI_CONFIG, ./config.yaml, "
                                         "then the user's config folder)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(parent, name: str, text: str) -> argparse.ArgumentParser:
        """A subcommand whose help line and description say `text`."""
        return parent.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")

    demo = command(commands, "demo", "start the app on a demo database (created on first use)")
    demo.add_argument("--path", default=None, help="demo database file (default: the user's data folder)")
    demo.add_argument("--fresh", action="store_true", help="build the demo database anew")

    fill = command(commands, "demo-data", "fill the configured database with generated data")
    fill.add_argument("--customers", type=int, default=1000, help="customers to add (default 1000)")
    fill.add_argument("--orders", type=int, default=10000, help="orders to add (default 10000)")
    fill.add_argument("--contracts", type=int, default=None,
                      help="contracts to add, four instalments each (default: half the customers)")
    fill.add_argument("--survey-responses", type=int, default=None,
                      help="satisfaction survey responses to add (default: a tenth of the customers)")
    fill.add_argument("--leads", type=int, default=None,
                      help="leads to add, in campaigns (default: a tenth of the customers)")
    fill.add_argument("--opportunities", type=int, default=None,
                      help="sales opportunities to add, in every state and stage "
                           "(default: three per customer)")
    fill.add_argument("--seed", type=int, default=1, help="random seed, for the same data again")

    init = command(commands, "init", "create or upgrade the database (safe to run again); prints where "
                                     "the database, documents and logs are")
    init.add_argument("--no-backup", action="store_true",
                      help="upgrade without the backup otherwise made before the schema changes")

    worker = command(commands, "worker", "run the churn-alert scan on its schedule")
    worker.add_argument("--once", action="store_true", help="run one scan now and exit")

    user = command(commands, "user", "manage user accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = command(user_commands, "add", "create a user (asks for the password, or reads CRM_TUI_PASSWORD)")
    add.add_argument("login", help="the user name to sign in with")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", required=True, choices=ROLES, help="one of " + ", ".join(ROLES))
    for name, text in (("passwd", "set a user's password (asks, or reads CRM_TUI_PASSWORD)"),
                       ("disable", "stop a user from signing in"), ("enable", "let a disabled user sign in")):
        command(user_commands, name, text).add_argument("login", help="the user's login")
    command(user_commands, "unlock", "lift a lockout after too many failed logins"
            ).add_argument("login", help="the user's login")
    command(user_commands, "list", "list users: login, name, role, state")

    mail = command(commands, "mail", "customer mail")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True, metavar="ACTION")
    command(mail_commands, "fetch", "file new mail of the IMAP mailbox as interactions of the senders' customers")

    importing = command(commands, "import", "import customers, contacts, interactions or leads "
                                            "from a CSV (UTF-8 or GBK) or XLSX file, as a user")
    importing.add_argument("kind", help="customer, contact, interaction or lead")
    importing.add_argument("file", help="the CSV or XLSX file")
    importing.add_argument("--user", required=True,
                           help="sign in as this user (asks the password, or reads "
                                "CRM_TUI_PASSWORD): the import has their rights and scope")
    importing.add_argument("--dry-run", action="store_true",
                           help="only count what would be created, updated, skipped and refused")
    importing.add_argument("--mapping", help="a JSON file correcting the mapping: "
                                             '{"columns": {"header": "field" or null}, '
                                             '"values": {"region": {"京": "北京"}}}')
    importing.add_argument("--save-mapping", action="store_true",
                           help="keep the mapping for the next file with the same headers")
    importing.add_argument("--refused", metavar="FOLDER",
                           help="the folder to write the refused rows into, as "
                                "FILE.refused-DATE.csv (default: FILE's folder)")

    backup = command(commands, "backup", "back up the database and the documents into one verified archive "
                                         "(safe while people work)")
    backup.add_argument("file", nargs="?", help="archive to write, or a folder for a dated one "
                                                "(default: backup.folder of config.yaml)")

    restore = command(commands, "restore", "replace the database and the documents by a backup")
    restore.add_argument("file", help="an archive made by crm-tui backup")
    restore.add_argument("--yes", action="store_true", help="do not ask before replacing")

    config = command(commands, "config", "the configuration file")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    command(config_commands, "show", "print the effective configuration, secrets masked, and its file")
    config_init = command(config_commands, "init", "write the commented sample config.yaml")
    config_init.add_argument("path", nargs="?", help=f"where to write it (default: {user_config_path()})")
    config_init.add_argument("--force", action="store_true", help="replace an existing file")

    completion = command(commands, "completion", "print the shell completion script "
                                                 "(e.g. eval \"$(crm-tui completion bash)\")")
    completion.add_argument("shell", choices=SHELLS, help="one of " + ", ".join(SHELLS))
    return parser


# Commands that run without a config file (or with a broken one).
WITHOUT_CONFIG = {"completion"}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:
        # The shell asks for completions: argcomplete answers and exits.
        import argcomplete
        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    command = args.command or "run"
    try:
        if command in WITHOUT_CONFIG or (command == "config" and args.config_command == "init"):
            return COMMANDS[command](args, None)
        config = load_config(args.config)
        set_locale(config.locale)
        if command in LOGGED:
            applog.start(config)
        return COMMANDS[command](args, config)
    except (ConfigError, CliError) as error:
        print(f"crm-tui: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the last resort: one line here, the traceback in the log
        path = applog.record_crash(error)
        print(f"crm-tui: {applog.crash_message(error, path)}", file=sys.stderr)
        return EXIT_CRASH


def open_databases(config: Config, create: bool = False, ready: bool = True):
    """Bind the models to the configured databases.

    Only `init` creates (`create`); the others refuse a database `init` has
    not made or not yet upgraded (`ready`)."""
    from crm_tui import db

    try:
        crm_db, sales_db = db.bind(config, create=create)
        if ready:
            db.check_ready(crm_db, config.database.effective_url)
    except db.DatabaseUnavailable as error:
        raise CliError(str(error)) from None
    return crm_db, sales_db


def run_app(args: argparse.Namespace, config: Config, demo: bool = False) -> int:
    from textual.theme import BUILTIN_THEMES

    from crm_tui.app import CrmApp
    from crm_tui.widgets.ascii import is_ascii_terminal

    if config.theme not in BUILTIN_THEMES:
        raise CliError(f"{config.source}: theme: unknown theme {config.theme!r}; one of "
                       f"{', '.join(sorted(BUILTIN_THEMES))}")
    open_databases(config)
    ascii = getattr(args, "ascii", False) or is_ascii_terminal(os.environ.get("TERM", ""))
    app = CrmApp(config, demo=demo, ascii=ascii)
    app.run()
    return app.return_code or 0


def run_demo(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import demo

    demo_config = demo.prepare_demo(config, path=args.path, fresh=args.fresh, progress=print)
    return run_app(args, demo_config, demo=True)


def run_demo_data(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import demo, demo_funnel

    contracts = args.customers // 2 if args.contracts is None else args.contracts
    if args.customers < 1 or args.orders < 0 or contracts < 0:
        raise CliError("--customers must be at least 1, --orders and --contracts 0 or more")
    open_databases(config)
    leads = args.customers // 10 if args.leads is None else max(args.leads, 0)
    demo.fill_at_scale(args.customers, args.orders, seed=args.seed, progress=print,
                       contracts=contracts, leads=leads)
    opportunities = 3 * args.customers if args.opportunities is None else args.opportunities
    demo_funnel.fill_opportunities_at_scale(max(opportunities, 0), seed=args.seed, progress=print)
    from crm_tui.demo_surveys import fill_surveys_at_scale

    responses = (args.customers // 10 if args.survey_responses is None
                 else max(0, args.survey_responses))
    fill_surveys_at_scale(responses, seed=args.seed, progress=print)
    return 0


def run_init(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import db

    crm_db, sales_db = open_databases(config, create=True, ready=False)
    pending, applied_before = db.pending_migrations(crm_db), db.applied_migrations(crm_db)
    if pending and applied_before and not args.no_backup:
        # The schema is about to change under existing data: keep a way back.
        try:
            backup = _backup(config, crm_db, None)
        except CliError as error:
            raise CliError(f"{error} (nothing was upgraded; `crm-tui init --no-backup` "
                           f"upgrades without a backup)") from None
        print(f"backup before the upgrade: {backup.path}")
    applied = db.init_databases(crm_db, sales_db)
    print(f"applied: {', '.join(applied)}" if applied else "the database is up to date")
    _print_locations(config)
    from crm_tui.models.users import User
    if not User.select().exists():
        print("no user yet: create the first administrator with\n"
              "  crm-tui user add LOGIN --name NAME --role admin")
    return 0


def _print_locations(config: Config) -> None:
    from crm_tui.db import redact, sqlite_path
    from crm_tui.documents import DocumentStore

    url = config.database.effective_url
    print(f"database:  {sqlite_path(url) or redact(url)}")
    print(f"documents: {DocumentStore.from_config(config).folder}")
    print(f"logs:      {config.log_folder}")


def run_backup(args: argparse.Namespace, config: Config) -> int:
    crm_db, _sales_db = open_databases(config, ready=False)
    backup = _backup(config, crm_db, args.file)
    print(f"backup written and verified: {backup.path} ({backup.kind} database, schema "
          f"{backup.migrations[-1] if backup.migrations else 'empty'}, documents: {backup.documents}, "
          f"{backup.size:,} bytes)")
    return 0


def _backup(config: Config, crm_db, target):
    from crm_tui import backup

    try:
        return backup.make_backup(config, crm_db, target)
    except (backup.BackupError, OSError) as error:
        raise CliError(f"backup failed: {error}") from None


def run_restore(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import backup
    from crm_tui.db import known_migrations, redact, sqlite_path
    from crm_tui.documents import DocumentStore

    crm_db, _sales_db = open_databases(config, create=True, ready=False)
    try:
        manifest = backup.check_restorable(args.file, config, crm_db)
        url = config.database.effective_url
        if not args.yes:
            _confirm(f"Replace the database {sqlite_path(url) or redact(url)} and the documents in "
                     f"{DocumentStore.from_config(config).folder} by the backup of {manifest.created_at}? [y/N] ")
        backup.restore(args.file, config, crm_db)
    except (backup.BackupError, OSError) as error:
        raise CliError(f"restore failed: {error}") from None
    print(f"restored the backup of {manifest.created_at} "
          f"(documents: {len(manifest.files) - 1})")
    if set(known_migrations()) - set(manifest.migrations):
        print("the backup has an older schema: run `crm-tui init` to upgrade it")
    return 0


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask on: pass --yes to restore without asking")
    if input(question).strip().lower() not in ("y", "yes"):
        raise CliError("nothing restored")


def run_config(args: argparse.Namespace, config: Config | None) -> int:
    if args.config_command == "init":
        return _write_sample_config(args.path, args.force)
    print(f"# from: {config.source}")
    for key in config.from_environment:
        variable = next(name for name, (server, field) in SECRET_ENVIRONMENT.items()
                        if key == f"mail.{server}.{field}")
        print(f"# {key}: from ${variable}")
    print(config_text(config), end="")
    return 0


def config_text(config: Config) -> str:
    """The effective configuration as YAML, defaults filled in, secrets masked."""
    import yaml

    from crm_tui.db import redact
    from crm_tui.documents import DocumentStore

    values = dataclasses.asdict(config)
    for key in ("source", "from_environment"):
        values.pop(key)
    values["database"]["url"] = redact(config.database.effective_url)
    values["database"]["sales_url"] = redact(config.database.sales_url)
    for server in ("smtp", "imap"):
        if values["mail"][server]["password"]:
            values["mail"][server]["password"] = "***"
    values["documents"]["folder"] = str(DocumentStore.from_config(config).folder)
    values["logs"]["folder"] = str(config.log_folder)
    values["backup"]["folder"] = str(config.backup_folder)
    return yaml.safe_dump(values, allow_unicode=True, sort_keys=False)


def sample_config() -> str:
    from importlib import resources

    return resources.files("crm_tui").joinpath("config.default.yaml").read_text(encoding="utf-8")


def _write_sample_config(path: str | None, force: bool) -> int:
    target = Path(path).expanduser() if path else user_config_path()
    if target.is_dir():
        target = target / "config.yaml"
    if target.exists() and not force:
        raise CliError(f"{target} exists: pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only: the file may come to hold passwords.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as output:
        output.write(sample_config())
    print(f"wrote {target}")
    return 0


def run_completion(args: argparse.Namespace, config: Config | None) -> int:
    import argcomplete
    print(argcomplete.shellcode(["crm-tui"], shell=args.shell), end="")
    return 0


def run_worker(args: argparse.Namespace, config: Config) -> int:
    from crm_tui import worker

    return worker.main(config, once=args.once)


def run_user(args: argparse.Namespace, config: Config) -> int:
    from crm_tui.models import accounts, users
    from crm_tui.models.errors import InvalidTransition, ValidationError
    from crm_tui.plain_text import plain

    open_databases(config)
    try:
        if args.user_command == "list":
            for user in users.User.select().order_by(users.User.login):
                state = "active" if user.active else "disabled"
                if users.is_locked(user):
                    state += f", locked since {user.locked_at:%Y-%m-%d %H:%M}"
                print(f"{plain(user.login)}\t{plain(user.display_name)}\t{user.role.key}\t{state}")
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
        elif args.user_command == "unlock":
            accounts.unlock(None, user)
            print(f"user {args.login} unlocked")
        else:
            accounts.set_active(None, user, args.user_command == "enable")
            print(f"user {args.login} {args.user_command}d")
    except (ValidationError, InvalidTransition) as error:
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
    print(result.summary())
    return 0


def run_import(args: argparse.Namespace, config: Config) -> int:
    from crm_tui.models import importing
    from crm_tui.models.errors import CrmError, ValidationError
    from crm_tui.plain_text import plain

    open_databases(config)
    actor = _sign_in(config, args.user)
    try:
        spec = importing.import_spec(args.kind)
        table, source = importing.open_table(args.file)
    except ValidationError as error:
        raise CliError(" ".join(error.errors.values())) from None
    with source:
        mapping, saved = importing.mapping_for(spec, table.headers)
        try:
            if args.mapping:
                answers = _read_json(args.mapping)
                mapping = importing.mapping_from_answers(spec, table.headers, answers, mapping)
            if args.save_mapping:
                importing.save_mapping(actor, spec, table.headers, mapping)
        except ValidationError as error:
            raise CliError("; ".join(f"{name}: {text}" for name, text in error.errors.items())
                           ) from None
        except CrmError as error:
            raise CliError(str(error)) from None
        print(f"{table.encoding}; mapping {'saved' if saved else 'guessed'} for these headers:")
        for header, name in zip(table.headers, mapping.columns):
            print(f"  {plain(header)}\t-> {name or '-'}")
        folder = Path(args.refused) if args.refused else Path(args.file).resolve().parent
        try:
            refused_to, refused_path = (importing.refused_file(folder, Path(args.file).name)
                                        if not args.dry_run else (None, None))
        except (ValidationError, OSError) as error:
            raise CliError(f"cannot write the refused rows into {folder}: "
                           f"{getattr(error, 'strerror', None) or error}") from None
        try:
            report = importing.run_import(
                actor, spec, table, mapping, dry_run=args.dry_run, file_name=Path(args.file).name,
                refused_to=refused_to, progress=_import_progress)
        except CrmError as error:
            if refused_path is not None:
                refused_to.close()
                refused_path.unlink()
            raise CliError(str(error)) from None
        finally:
            if refused_to is not None:
                refused_to.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(report.summary())
    for row, reason in report.refusals[:20]:
        print(f"  row {row}: {plain(reason)}")
    if report.refused > 20:
        print(f"  ... {report.refused - 20} more")
    if refused_path is not None:
        if report.refused:
            print(f"refused rows with their reasons: {refused_path}")
        else:
            refused_path.unlink()
    return 0


def _import_progress(report) -> None:
    if sys.stderr.isatty():
        print(f"\r{report.rows:,} rows", end="", file=sys.stderr, flush=True)


def _read_json(path: str) -> dict:
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise CliError(f"cannot read the mapping {path}: {error}") from None
    if not isinstance(data, dict):
        raise CliError(f"the mapping {path} is not a JSON object")
    return data


def _sign_in(config: Config, login: str):
    """The user `login`, signed in with the password of CRM_TUI_PASSWORD or
    asked on the terminal: the same check, lockout included, as the app's."""
    from crm_tui.models.users import LoginFailed, authenticate

    password = os.environ.get("CRM_TUI_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CliError("no terminal to ask the password on: set CRM_TUI_PASSWORD")
        password = getpass.getpass(f"password of {login}: ")
    try:
        return authenticate(login, password, config.security.max_failed_logins,
                            config.security.lockout_minutes)
    except LoginFailed as error:
        raise CliError(str(error)) from None


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
    "import": run_import,
    "backup": run_backup,
    "restore": run_restore,
    "config": run_config,
    "completion": run_completion,
}
# Commands that write the app log.
LOGGED = {"run", "demo", "demo-data", "init", "worker", "user", "mail", "import", "backup",
          "restore"}
