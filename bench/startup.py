"""How long the app takes to show the login screen and the customer list,
and how much memory it needs, with 100 and with 100,000 customers.

Start to login screen is measured beside its floor, a bare Textual app
(one screen with one Input) started the same way in the same run, and the
ratio printed: the login screen needs nothing from the database but the
migrations check, so anything above the bare app is import and set-up
cost of the CRM itself.

For each size a SQLite file is filled with `crm_tui.demo.fill_at_scale`
(10 orders per customer) and an administrator, who sees every customer.
Each measurement runs in a fresh Python process: it starts the app
headless at 80x24 (`CrmApp.run_test`), signs in by typing, opens the
customer list from the home menu and waits until the list shows its first
row. The time counts from launching that process; the memory is its peak
resident set size.

    python bench/startup.py                          # 100 and 100,000 customers, 3 runs each
    python bench/startup.py --sizes 100 1000000 --runs 5
    python bench/startup.py --data-dir /tmp/crm-bench  # keep the generated files for next time
    python bench/startup.py --sizes 100000 --reports   # also the Reports screen's peak memory
    python bench/startup.py --url 'postgresql://...' --reports   # an existing database

With --reports, the Reports screen is opened instead of the list (the
company-wide contribution ranking, with the order figures summed first, as
the worker keeps them), and its peak memory is printed beside the list's.
"""
from __future__ import annotations

import time

LAUNCHED = time.time()  # before the heavy imports, when measuring

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LOGIN = "admin"
ORDERS_PER_CUSTOMER = 10
WAIT_SECONDS = 300


def database_url(target: Path | str) -> str:
    """A generated SQLite file's URL, or the URL given with --url."""
    return str(target) if "://" in str(target) else f"sqlite:///{target}"


def credentials(target: Path | str) -> tuple[str, str]:
    """Who signs in: the generated file's administrator, or on a database
    given with --url the benchmarks' own (bench/measure.py)."""
    from crm_tui.demo import DEMO_PASSWORD

    if "://" in str(target):
        return "bench-admin", "bench-admin-password"
    return LOGIN, DEMO_PASSWORD


def generate(path: Path, customers: int) -> None:
    """A database of `customers` customers, their orders and an administrator."""
    from crm_tui import db, demo
    from crm_tui.config import DatabaseConfig
    from crm_tui.models import accounts, users

    crm_db, sales_db = db.bind(DatabaseConfig(url=database_url(path)), create=True)
    db.init_databases(crm_db, sales_db)
    accounts.create_user(None, LOGIN, "系统管理员", users.ADMIN, demo.DEMO_PASSWORD)
    demo.fill_at_scale(customers, customers * ORDERS_PER_CUSTOMER, seed=1,
                       progress=lambda line: print(line, flush=True))
    crm_db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    crm_db.close()


# ----- one measurement, in its own process ------------------------------------

def measure(path: Path | str, launched: float, module: str = "customers") -> dict:
    import asyncio
    import resource

    from textual.widgets import Input

    from crm_tui.app import CrmApp
    from crm_tui.cli import open_databases
    from crm_tui.config import Config, DatabaseConfig
    from crm_tui.screens.customers import CustomerListScreen
    from crm_tui.screens.home import MENU_KEYS, HomeScreen
    from crm_tui.widgets.lazy_table import LazyTable

    moments = {"imported": time.time()}
    config = Config(database=DatabaseConfig(url=database_url(path)))
    open_databases(config)

    async def wait_until(pilot, condition) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not get there in time")
            await pilot.pause(0.005)

    async def drive() -> int:
        app = CrmApp(config)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.screen.query("#login-user"))
            moments["login_shown"] = time.time()
            # What a person types; the Pilot's key-by-key typing would time the Pilot.
            login, password = credentials(path)
            app.screen.query_one("#login-user", Input).value = login
            await pilot.press("enter")
            app.screen.query_one("#login-password", Input).value = password
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
            moments["signed_in"] = time.time()
            position = [entry.key for entry in app.allowed_modules()].index(module)
            await pilot.press(MENU_KEYS[position])
            if module == "customers":
                await wait_until(pilot, lambda: isinstance(app.screen, CustomerListScreen))
                table = app.screen.query_one(LazyTable)
            else:  # the Reports screen opens on the company-wide contribution ranking
                await wait_until(pilot, lambda: app.screen.query("#report-contribution LazyTable"))
                table = app.screen.query_one("#report-contribution").query_one(LazyTable)
            await wait_until(pilot, lambda: table.view.row_at(0) is not None)
            await pilot.pause()  # the frame with the rows
            moments["list_shown"] = time.time()
            return table.row_count

    rows = asyncio.run(drive())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "customers_listed": rows,
        "seconds_total": moments["list_shown"] - launched,
        "seconds_to_login_screen": moments["login_shown"] - launched,
        "seconds_sign_in": moments["signed_in"] - moments["login_shown"],
        "seconds_to_list": moments["list_shown"] - moments["signed_in"],
        "peak_rss_mb": peak_kib / 1024,
    }


def measure_login(path: Path | str, launched: float) -> dict:
    """Start as `crm-tui` does (config, database, app) until the login screen shows."""
    import asyncio

    from crm_tui.cli import load_config, open_databases, set_locale

    if "://" in str(path):
        config_file = Path(tempfile.mkdtemp()) / "crm.yaml"
    else:
        config_file = path.with_suffix(".yaml")
    if not config_file.exists():
        config_file.write_text(f"database:\n  url: '{database_url(path)}'\n")
    config = load_config(str(config_file))
    set_locale(config.locale)
    open_databases(config)
    from crm_tui.app import CrmApp

    async def drive() -> float:
        app = CrmApp(config)
        async with app.run_test(size=(80, 24)) as pilot:
            while not app.screen.query("#login-user"):
                await pilot.pause(0.002)
            await pilot.pause()  # the frame with the form
            return time.time()

    return {"seconds_to_screen": asyncio.run(drive()) - launched}


def measure_bare(launched: float) -> dict:
    """The floor: a bare Textual app showing one Input, started the same way."""
    import asyncio

    from textual.app import App
    from textual.widgets import Input

    class Bare(App):
        def compose(self):
            yield Input(id="login-user")

    async def drive() -> float:
        app = Bare()
        async with app.run_test(size=(80, 24)) as pilot:
            while not app.screen.query("#login-user"):
                await pilot.pause(0.002)
            await pilot.pause()
            return time.time()

    return {"seconds_to_screen": asyncio.run(drive()) - launched}


def run_once(path: Path | None, mode: str = "--measure", module: str = "customers") -> dict:
    started = time.time()
    finished = subprocess.run(
        [sys.executable, __file__, mode, str(path), "--launched", repr(started),
         "--module", module],
        capture_output=True, text=True, check=False, timeout=WAIT_SECONDS + 60)
    if finished.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def report(size: int, runs: list[dict]) -> str:
    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    return (f"{size:>9,} customers ({runs[0]['customers_listed']:,} listed), median of {len(runs)}: "
            f"list shown {median('seconds_total'):.2f} s after launch "
            f"(login screen {median('seconds_to_login_screen'):.2f} s, "
            f"sign-in {median('seconds_sign_in'):.2f} s, "
            f"list {median('seconds_to_list'):.2f} s); "
            f"peak RSS {max(run['peak_rss_mb'] for run in runs):.0f} MB")


def target(text: str) -> Path | str:
    return text if "://" in text else Path(text)


def reports_report(path: Path | str, size: int, list_runs: list[dict], runs: int) -> str:
    """The Reports screen opened instead of the list, with the order figures
    summed beforehand (as the worker keeps them): its peak memory beside the list's."""
    from crm_tui import db
    from crm_tui.config import DatabaseConfig
    from crm_tui.models import order_figures

    crm_db, _sales_db = db.bind(DatabaseConfig(url=database_url(path)))
    order_figures.refresh(order_figures.FULL)
    crm_db.close()
    reports = [run_once(path, module="reports") for _ in range(runs)]
    list_peak = max(run["peak_rss_mb"] for run in list_runs)
    reports_peak = max(run["peak_rss_mb"] for run in reports)
    shown = statistics.median(run["seconds_to_list"] for run in reports)
    return (f"{size:>9,} customers, Reports screen: contribution rows shown {shown:.2f} s after "
            f"signing in; peak RSS {reports_peak:.0f} MB, {reports_peak / list_peak:.2f}x the "
            f"customer list's {list_peak:.0f} MB")


def login_report(path: Path, runs: int) -> str:
    """Start to login screen beside a bare Textual app, runs interleaved so load hits both alike."""
    crm, bare = [], []
    for _ in range(runs):
        bare.append(run_once(path, "--measure-bare")["seconds_to_screen"])
        crm.append(run_once(path, "--measure-login")["seconds_to_screen"])
    crm_median, bare_median = statistics.median(crm), statistics.median(bare)
    return (f"start to login screen, median of {runs}: crm-tui {crm_median * 1000:.0f} ms, "
            f"bare Textual app {bare_median * 1000:.0f} ms, ratio {crm_median / bare_median:.2f}x")


def measure_existing(args: argparse.Namespace) -> int:
    """Login, list and (with --reports) Reports screen on the database of --url."""
    from crm_tui import db
    from crm_tui.config import DatabaseConfig

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from measure import administrator

    crm_db, _sales_db = db.bind(DatabaseConfig(url=args.url))
    administrator()  # who signs in, made once
    crm_db.close()
    lines = [login_report(args.url, args.runs)]
    print(lines[-1], flush=True)
    if not args.login_only:
        runs = [run_once(args.url) for _ in range(args.runs)]
        size = runs[0]["customers_listed"]
        lines.append(report(size, runs))
        print(lines[-1], flush=True)
        if args.reports:
            lines.append(reports_report(args.url, size, runs, args.runs))
            print(lines[-1], flush=True)
    print("\n".join(["", "summary:"] + lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", help="where the generated databases are kept and reused")
    parser.add_argument("--login-only", action="store_true",
                        help="only start to login screen beside a bare Textual app")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--measure-login", help=argparse.SUPPRESS)
    parser.add_argument("--measure-bare", help=argparse.SUPPRESS)
    parser.add_argument("--launched", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--module", default="customers", help=argparse.SUPPRESS)
    parser.add_argument("--url", help="measure on this existing database (SQLite or "
                        "PostgreSQL) instead of generated files; signs in as bench-admin")
    parser.add_argument("--reports", action="store_true",
                        help="also open the Reports screen (its contribution ranking) and "
                             "compare its peak memory with the customer list's")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(target(args.measure), args.launched or LAUNCHED, args.module)))
        return 0
    if args.measure_login:
        print(json.dumps(measure_login(target(args.measure_login), args.launched or LAUNCHED)))
        return 0
    if args.measure_bare:
        print(json.dumps(measure_bare(args.launched or LAUNCHED)))
        return 0
    if args.url:
        return measure_existing(args)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.data_dir or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        sizes = args.sizes[:1] if args.login_only else args.sizes
        for size in sizes:
            path = folder / f"startup-{size}.sqlite3"
            if not path.exists():
                print(f"generating {size:,} customers into {path} ...", flush=True)
                generating = folder / f"startup-{size}.generating.sqlite3"
                for leftover in folder.glob(generating.name + "*"):
                    leftover.unlink()
                generate(generating, size)
                generating.rename(path)
            lines.append(login_report(path, args.runs))
            print(lines[-1], flush=True)
            if args.login_only:
                continue
            runs = [run_once(path) for _ in range(args.runs)]
            lines.append(report(size, runs))
            print(lines[-1], flush=True)
            if args.reports:
                lines.append(reports_report(path, size, runs, args.runs))
                print(lines[-1], flush=True)
    print("\n".join(["", "summary:"] + lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
