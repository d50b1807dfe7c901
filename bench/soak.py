"""Many people at once at their keyboards: does every keystroke land, and
is what the screen showed at Ctrl+S what gets saved?

N copies of the real app (default 8 account managers and 1 administrator)
run in their own tmux terminals of 80x24 on one database, with the headless
churn worker scanning every 30 s. A script drives each terminal the way a
person types: one key every `--interval` seconds (0.2), waiting for each
screen to show before typing into it. Each script goes round:

- search: open the customer list from the home menu, "/", a customer
  number, Enter; the list must say it searches for it, with 1 row;
- interaction: open that customer, its Interactions tab, n, then Tab, a
  place, Tab, a summary, Ctrl+S;
- fax (account managers): open the list, search one of their customers,
  e, Tab to the fax, Ctrl+A Ctrl+K, a new number, Ctrl+S.

Counted: typed sequences (a search text, a place, a summary, a fax) whose
text is not where it was typed 20 s later; searches that left the list
with no search at all (ignored); submits where the form showed
the typed values at Ctrl+S but the save refused them or saved something
else; searches the list ignored; saves acknowledged (the form closed) and
found in the database afterwards; latencies of screens, searches and saves.

    python bench/soak.py                                    # SQLite, 8+1 sessions, 5 minutes
    python bench/soak.py --backend postgresql --minutes 1
    python bench/soak.py --managers 4 --admins 1 --minutes 2 --interval 0.1
    python bench/soak.py --app-code /path/to/other/checkout  # run another version of the app

The database (20,000 customers by default) is generated in a temporary
folder (SQLite) or in the schema `crm_soak` of `--pg-url` (dropped and
made again). Exit status 0 only when nothing was lost.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "crm_soak"
ADMIN_LOGIN = "soakadmin"
# How long a typed text may take to show where it was typed.
LAND_SECONDS = 20.0
# How long a screen may take to show before the script gives up on it.
SCREEN_SECONDS = 30.0
POLL_SECONDS = 0.1
FAX_TABS = 9  # from the customer form's first field (name) to the fax


# ----- the database --------------------------------------------------------------

def database_url(backend: str, folder: Path, pg_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'crm.sqlite3'}"
    return f"{pg_url}?options=-c%20search_path%3D{PG_SCHEMA}"


def prepare_database(backend: str, url: str, pg_url: str, customers: int, orders: int) -> None:
    """A fresh, migrated database with generated customers and orders, the
    account managers sales001 ... and one administrator."""
    from crm_tui import db, demo
    from crm_tui.config import DatabaseConfig
    from crm_tui.models import accounts, users

    if backend == "postgresql":
        from playhouse.db_url import connect

        admin = connect(pg_url)
        admin.execute_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        admin.execute_sql(f"CREATE SCHEMA {PG_SCHEMA}")
        admin.close()
    crm_db, sales_db = db.bind(DatabaseConfig(url=url))
    db.init_databases(crm_db, sales_db)
    demo.fill_at_scale(customers, orders, seed=1, progress=lambda line: None)
    accounts.create_user(None, ADMIN_LOGIN, "管理员", users.ADMIN, demo.DEMO_PASSWORD)
    if backend == "sqlite":
        crm_db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def customers_of(login: str, count: int, rng: random.Random) -> list[tuple[int, str]]:
    """`count` (id, number) of customers `login` may see (any for the administrator)."""
    from crm_tui.models.customers import DELETED, Customer
    from crm_tui.models.users import User

    query = Customer.select(Customer.id, Customer.number).where(Customer.status != DELETED)
    if login != ADMIN_LOGIN:
        query = query.where(Customer.manager == User.get(User.login == login).id)
    rows = list(query.tuples())
    return rng.sample(rows, min(count, len(rows)))


def write_config(folder: Path, url: str, scan_seconds: int) -> Path:
    path = folder / "config.yaml"
    path.write_text(
        "database:\n"
        f"  url: {json.dumps(url)}\n"
        "locale: en\n"
        "churn:\n"
        # croniter's sixth field counts seconds.
        f"  schedule: \"* * * * * */{scan_seconds}\"\n"
        "  check_interval_minutes: 0\n"
        f"  log_file: {json.dumps(str(folder / 'worker.log'))}\n"
        "security:\n"
        "  idle_lock_minutes: 0\n"
        "  max_failed_logins: 1000\n", encoding="utf-8")
    return path


# ----- one terminal ----------------------------------------------------------------

class Terminal:
    """The app running in a tmux session of 80x24."""

    def __init__(self, name: str, config: Path, app_code: Path):
        self.name = name
        command = (f"cd {app_code} && PYTHONPATH={app_code} "
                   f"{sys.executable} -m crm_tui --config {config}")
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command],
                       check=True)

    def screen(self) -> str:
        result = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                                capture_output=True, text=True)
        return result.stdout

    def key(self, key: str) -> None:
        """One key: a tmux key name (Tab, Enter, C-s ...) or one character."""
        if len(key) == 1:
            subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", key], check=True)
        else:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def form_value(screen: str, label: str) -> str | None:
    """The text a form shows in the field labelled `label` (None: not on screen)."""
    match = re.search(r"│ " + re.escape(label) + r"(?: \*)?\s+(.*?)\s*▼?\s*│", screen)
    return match.group(1) if match else None


def list_search(screen: str) -> tuple[int | None, str | None]:
    """The list's row count and search text, from its status line."""
    # A notice may cover the right of the status line: keep what is left of it.
    uncovered = "\n".join(line.split("▌")[0] for line in screen.splitlines())
    match = re.search(r"(?:Row \d+ of ([\d,]+)|No rows)(?:\s+search: (.*?))?\s*$", uncovered, re.M)
    if not match:
        return None, None
    count = int(match.group(1).replace(",", "")) if match.group(1) else 0
    return count, match.group(2)


# ----- what a session counts ---------------------------------------------------------

@dataclass
class Tally:
    sequences_typed: int = 0
    sequences_lost: int = 0
    searches: int = 0
    searches_ignored: int = 0
    submits: int = 0
    submits_differing: int = 0
    saves_acknowledged: int = 0
    stuck: int = 0
    screen_ms: dict[str, list[float]] = field(default_factory=dict)
    search_ms: list[float] = field(default_factory=list)
    save_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # What must be in the database: (summary, place) of each interaction
    # acknowledged, and the last fax acknowledged per customer id.
    interactions: list[tuple[str, str]] = field(default_factory=list)
    faxes: dict[int, str] = field(default_factory=dict)

    def note(self, problem: str) -> None:
        if len(self.problems) < 30:
            self.problems.append(problem)


class ScreenTimeout(Exception):
    pass


class Person:
    """A script typing into one terminal like a person."""

    def __init__(self, terminal: Terminal, login: str, password: str, customers: list[tuple[int, str]],
                 interval: float, can_edit: bool, rng: random.Random):
        self.terminal = terminal
        self.login = login
        self.password = password
        self.customers = customers
        self.interval = interval
        self.can_edit = can_edit
        self.rng = rng
        self.tally = Tally()
        self.count = 0

    # ----- typing and looking --------------------------------------------------
    def type(self, *keys: str) -> None:
        for key in keys:
            self.terminal.key(key)
            time.sleep(self.interval)

    def text(self, text: str) -> None:
        self.type(*text)

    def wait_for(self, found, seconds: float = SCREEN_SECONDS, what: str = "") -> str:
        """Look at the screen until `found(screen)` is true; the screen then."""
        deadline = time.monotonic() + seconds
        while True:
            screen = self.terminal.screen()
            if found(screen):
                return screen
            if time.monotonic() > deadline:
                raise ScreenTimeout(what)
            time.sleep(POLL_SECONDS)

    def timed_wait(self, found, what: str) -> str:
        started = time.monotonic()
        screen = self.wait_for(found, what=what)
        self.tally.screen_ms.setdefault(what, []).append((time.monotonic() - started) * 1000)
        return screen

    def landed(self, check, what: str) -> bool:
        """A typed sequence: True when `check(screen)` holds within LAND_SECONDS."""
        self.tally.sequences_typed += 1
        try:
            self.wait_for(check, LAND_SECONDS, what)
            return True
        except ScreenTimeout:
            self.tally.sequences_lost += 1
            self.tally.note(f"{self.login}: {what} did not land")
            return False

    # ----- the round -----------------------------------------------------------
    def sign_in(self) -> None:
        self.wait_for(lambda s: "User name" in s, what="login screen")
        self.text(self.login)
        self.type("Enter")
        self.text(self.password)
        self.type("Enter")
        self.timed_wait(lambda s: "Modules (number key" in s, "home screen")

    def home(self) -> None:
        """Back to the home screen, whatever is in front."""
        for _ in range(8):
            screen = self.terminal.screen()
            if "Modules (number key" in screen:
                return
            if "Discard" in screen or "discard" in screen:
                self.type("y")
            else:
                self.type("Escape")
            time.sleep(1.0)
        raise ScreenTimeout("back to the home screen")

    def search(self, number: str) -> bool:
        """From home: the customer list, searched for `number`."""
        self.type("1")
        self.timed_wait(lambda s: "Number        Name" in s, "customer list")
        self.tally.searches += 1
        self.type("/")
        self.text(number)
        started = time.monotonic()
        self.type("Enter")
        self.tally.sequences_typed += 1
        try:
            self.wait_for(lambda s: list_search(s) == (1, number), LAND_SECONDS, "search")
        except ScreenTimeout:
            count, shown = list_search(self.terminal.screen())
            if shown is None:  # no search at all
                self.tally.searches_ignored += 1
                self.tally.note(f"{self.login}: search {number!r} ignored (list: {count} rows)")
            else:
                self.tally.sequences_lost += 1
                self.tally.note(f"{self.login}: searched {shown!r} for {number!r} "
                                f"({count} rows)")
            return False
        self.tally.search_ms.append((time.monotonic() - started) * 1000)
        return True

    def submit(self, title: str, expected: dict[str, str]) -> bool:
        """Ctrl+S on a form showing `expected`; True when it closed (acknowledged)."""
        shown = {label: form_value(self.terminal.screen(), label) for label in expected}
        self.tally.submits += 1
        started = time.monotonic()
        self.type("C-s")
        try:
            self.wait_for(lambda s: title not in s, LAND_SECONDS, "save")
        except ScreenTimeout:
            screen = self.terminal.screen()
            if shown == expected:
                self.tally.submits_differing += 1
                errors = [line.strip(" │") for line in screen.splitlines()
                          if "required" in line or "not a" in line or "must" in line]
                self.tally.note(f"{self.login}: form showed {shown} at Ctrl+S, "
                                f"the save refused it: {errors[:3]}")
            self.home()
            return False
        self.tally.save_ms.append((time.monotonic() - started) * 1000)
        self.tally.saves_acknowledged += 1
        return True

    def add_interaction(self, number: str) -> None:
        if not self.search(number):
            self.home()
            return
        self.type("Enter")
        self.timed_wait(lambda s: number in s and "Information" in s, "customer screen")
        self.type("3")
        self.timed_wait(lambda s: "Date       Place" in s, "interactions tab")
        self.type("n")
        self.timed_wait(lambda s: "New interaction" in s, "interaction form")
        self.count += 1
        place = f"Soak office {self.count}"
        summary = f"soak-{self.login}-{self.count}"
        self.type("Tab")
        self.text(place)
        self.type("Tab")
        self.text(summary)
        expected = {"Place": place, "Summary": summary}
        place_ok = self.landed(lambda s: form_value(s, "Place") == place, f"place {place!r}")
        summary_ok = self.landed(lambda s: form_value(s, "Summary") == summary,
                                 f"summary {summary!r}")
        if not (place_ok and summary_ok):
            screen = self.terminal.screen()
            self.tally.note(f"{self.login}: form shows place {form_value(screen, 'Place')!r}, "
                            f"summary {form_value(screen, 'Summary')!r}, "
                            f"date {form_value(screen, 'Date')!r}")
        if self.submit("New interaction", expected):
            self.tally.interactions.append((summary, place))
        self.home()

    def edit_fax(self, customer_id: int, number: str) -> None:
        if not self.search(number):
            self.home()
            return
        self.type("e")
        self.timed_wait(lambda s: "Edit customer" in s, "customer form")
        self.count += 1
        fax = f"021-{self.rng.randrange(10_000_000, 99_999_999)}"
        self.type(*["Tab"] * FAX_TABS, "C-a", "C-k")
        self.text(fax)
        self.landed(lambda s: form_value(s, "Fax") == fax, f"fax {fax!r}")
        if self.submit("Edit customer", {"Fax": fax}):
            self.tally.faxes[customer_id] = fax
        self.home()

    def run(self, until: float) -> None:
        try:
            self.sign_in()
        except ScreenTimeout as error:
            self.tally.stuck += 1
            self.tally.note(f"{self.login}: never signed in ({error})")
            return
        turn = 0
        while time.monotonic() < until:
            customer_id, number = self.customers[turn % len(self.customers)]
            try:
                if self.can_edit and turn % 3 == 2:
                    self.edit_fax(customer_id, number)
                else:
                    self.add_interaction(number)
            except ScreenTimeout as error:
                self.tally.stuck += 1
                self.tally.note(f"{self.login}: {error} did not show")
                try:
                    self.home()
                except ScreenTimeout:
                    self.tally.note(f"{self.login}: lost, stopping")
                    return
            turn += 1


# ----- after the run ------------------------------------------------------------------

def check_database(people: list[Person], backend: str) -> dict:
    """Every acknowledged save looked up; the worker's runs; integrity."""
    from crm_tui.models import Customer, Interaction
    from crm_tui.models.base import database

    found = missing = differing = 0
    for person in people:
        for summary, place in person.tally.interactions:
            rows = list(Interaction.select().where(Interaction.summary == summary))
            if not rows:
                missing += 1
                person.tally.note(f"{person.login}: interaction {summary!r} acknowledged, not found")
            elif len(rows) != 1 or rows[0].place != place:
                differing += 1
                person.tally.note(f"{person.login}: interaction {summary!r} saved as "
                                  f"{[(row.place, row.summary) for row in rows]}")
            else:
                found += 1
        for customer_id, fax in person.tally.faxes.items():
            saved = Customer.get_by_id(customer_id).fax
            if saved == fax:
                found += 1
            else:
                missing += 1
                person.tally.note(f"{person.login}: fax {fax!r} acknowledged, {saved!r} saved")
    integrity = "n/a"
    if backend == "sqlite":
        integrity = database.execute_sql("PRAGMA integrity_check").fetchone()[0]
    from crm_tui.models.churn import WorkerRun

    worker_runs = WorkerRun.select().count()
    return {"found": found, "missing": missing, "saved_differently": differing,
            "integrity": integrity, "worker_runs": worker_runs}


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms"


def soak(backend: str, args: argparse.Namespace) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="crm-soak-"))
    url = database_url(backend, folder, args.pg_url)
    print(f"[{backend}] generating {args.customers:,} customers, {args.orders:,} orders ...",
          flush=True)
    prepare_database(backend, url, args.pg_url, args.customers, args.orders)
    config = write_config(folder, url, args.scan_seconds)
    rng = random.Random(7)
    logins = [f"sales{number:03d}" for number in range(1, args.managers + 1)]
    logins += [ADMIN_LOGIN] * args.admins
    worker = subprocess.Popen(
        [sys.executable, "-m", "crm_tui", "--config", str(config), "worker"],
        cwd=args.app_code, env={**os.environ, "PYTHONPATH": str(args.app_code)},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    people: list[Person] = []
    for position, login in enumerate(logins):
        terminal = Terminal(f"{args.tmux_prefix}-{backend}-{position + 1}", config, args.app_code)
        people.append(Person(terminal, login, "demo1234", customers_of(login, 40, rng),
                             args.interval, can_edit=login != ADMIN_LOGIN,
                             rng=random.Random(position)))
    print(f"[{backend}] {len(people)} sessions for {args.minutes} min, a key every "
          f"{args.interval} s, churn worker every {args.scan_seconds} s", flush=True)
    started = time.monotonic()
    until = started + args.minutes * 60
    threads = [threading.Thread(target=person.run, args=(until,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for person in people:
        person.terminal.key("C-q")
    time.sleep(2)
    for person in people:
        person.terminal.close()
    worker.terminate()
    worker.wait(timeout=60)
    database = check_database(people, backend)
    shutil.rmtree(folder, ignore_errors=True)
    tallies = [person.tally for person in people]

    def total(name: str) -> int:
        return sum(getattr(tally, name) for tally in tallies)

    result = {
        "backend": backend, "sessions": len(people), "seconds": round(elapsed),
        "interval": args.interval,
        **{name: total(name) for name in (
            "sequences_typed", "sequences_lost", "searches", "searches_ignored", "submits",
            "submits_differing", "saves_acknowledged", "stuck")},
        "saves_found": database["found"], "saves_missing": database["missing"],
        "saves_saved_differently": database["saved_differently"],
        "integrity": database["integrity"], "worker_runs": database["worker_runs"],
        "screen_ms": percentiles([ms for tally in tallies for values in tally.screen_ms.values()
                                  for ms in values]),
        "screen_ms_by_screen": {what: percentiles([ms for tally in tallies
                                                   for ms in tally.screen_ms.get(what, [])])
                                for what in sorted({what for tally in tallies
                                                    for what in tally.screen_ms})},
        "search_ms": percentiles([ms for tally in tallies for ms in tally.search_ms]),
        "save_ms": percentiles([ms for tally in tallies for ms in tally.save_ms]),
        "problems": [problem for tally in tallies for problem in tally.problems][:40],
    }
    return result


def report(result: dict) -> None:
    print(f"\n== {result['backend']}: {result['sessions']} sessions, {result['seconds']} s, "
          f"a key every {result['interval']} s")
    print(f"typed sequences (search, place, summary, fax): {result['sequences_typed']}, "
          f"lost {result['sequences_lost']}")
    print(f"searches: {result['searches']}, ignored {result['searches_ignored']}")
    print(f"submits: {result['submits']}, differing from the screen "
          f"{result['submits_differing']}")
    print(f"saves acknowledged: {result['saves_acknowledged']}, found {result['saves_found']}, "
          f"missing {result['saves_missing']}, saved differently "
          f"{result['saves_saved_differently']}")
    print(f"screens that never showed: {result['stuck']}; integrity: {result['integrity']}; "
          f"worker runs: {result['worker_runs']}")
    print(f"screen shown after its key: {result['screen_ms']}")
    for what, figures in result["screen_ms_by_screen"].items():
        print(f"  {what}: {figures}")
    print(f"search applied after Enter: {result['search_ms']}")
    print(f"save acknowledged after Ctrl+S: {result['save_ms']}")
    for problem in result["problems"]:
        print("  -", problem)


def lost_anything(result: dict) -> bool:
    return bool(result["sequences_lost"] or result["searches_ignored"]
                or result["submits_differing"] or result["saves_missing"]
                or result["saves_saved_differently"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--managers", type=int, default=8)
    parser.add_argument("--admins", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between keys")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=60_000)
    parser.add_argument("--scan-seconds", type=int, default=30,
                        help="the churn worker's schedule, in seconds (at most 59)")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--app-code", type=Path, default=ROOT,
                        help="the checkout whose crm_tui the sessions run")
    parser.add_argument("--tmux-prefix", default="crm-soak")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        result = soak(backend, args)
        report(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(lost_anything(result) for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
