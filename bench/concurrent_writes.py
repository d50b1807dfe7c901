"""Many account managers writing to one database at once.

N processes (default 8), each signed in as its own account manager, write
for S seconds (default 30) through the model layer, as people on the
customer screens do: create customers, edit them, add interactions. Each
counts its successes and errors and times every write. Afterwards every
write is looked up in the database.

    python bench/concurrent_writes.py                        # SQLite, temporary file
    python bench/concurrent_writes.py --url sqlite:////tmp/crm.sqlite3
    python bench/concurrent_writes.py --url postgresql://postgres@127.0.0.1:5432/test \\
        --processes 8 --seconds 30

The database is created and migrated when needed; the writers' accounts
(writer01 ...) are created once and reused. Exit status 0 only when there
were no errors and every write was found.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WRITER_PASSWORD = "writer-password"
# Share of each kind of write: editing and recording calls is daily work,
# new customers are rarer.
WRITE_MIX = {"create_customer": 20, "edit_customer": 40, "add_interaction": 40}


def writer_login(number: int) -> str:
    return f"writer{number:02d}"


@dataclass
class WriterResult:
    login: str
    counts: dict[str, int] = field(default_factory=dict)
    error_count: int = 0
    first_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    # What should now be in the database.
    created: dict[int, str] = field(default_factory=dict)  # customer id -> name
    phones: dict[int, str] = field(default_factory=dict)  # customer id -> last phone written
    interactions: dict[int, int] = field(default_factory=dict)  # interaction id -> customer id


def bind(url: str):
    from crm_tui import db
    from crm_tui.config import DatabaseConfig

    return db.bind(DatabaseConfig(url=url), create=True)


def prepare(url: str, processes: int) -> None:
    """Migrate the database and make sure the writers' accounts exist."""
    from crm_tui import db
    from crm_tui.demo_vocabulary import SURNAMES
    from crm_tui.models import User, accounts, users

    crm_db, sales_db = bind(url)
    db.init_databases(crm_db, sales_db)
    for number in range(1, processes + 1):
        login = writer_login(number)
        if not User.select().where(User.login == login).exists():
            surname = SURNAMES[(number - 1) % len(SURNAMES)][0]
            accounts.create_user(None, login, f"{surname}经理{number:02d}", users.MANAGER,
                              WRITER_PASSWORD)
    crm_db.close()


def writer(url: str, number: int, seconds: float, barrier, results) -> None:
    """One account manager's session: sign in, wait for the others, write."""
    from crm_tui import clock
    from crm_tui.demo import CompanyMaker
    from crm_tui.models import Customer, DictionaryEntry, Interaction, users
    from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION

    bind(url)
    login = writer_login(number)
    user = users.authenticate(login, WRITER_PASSWORD, max_failures=5, lockout_minutes=1)
    rng = random.Random(number)
    regions = [(entry.id, entry.item) for entry in DictionaryEntry.of_type(REGION)]
    levels = [entry.id for entry in DictionaryEntry.of_type(CUSTOMER_LEVEL)]
    maker = CompanyMaker(rng, regions)
    result = WriterResult(login, counts={kind: 0 for kind in WRITE_MIX})
    kinds, weights = list(WRITE_MIX), list(WRITE_MIX.values())

    def create_customer() -> None:
        rank = rng.randrange(len(levels))
        values = {**maker.company(rank).fields, "manager": user.id, "level": levels[rank]}
        customer = Customer.create_by(user, values)
        result.created[customer.id] = customer.name
        result.phones[customer.id] = customer.phone

    def edit_customer() -> None:
        customer = Customer.get_by_id(rng.choice(list(result.created)))
        phone = maker.phone(maker.cities[0][0])
        customer.update_by(user, {"phone": phone, "satisfaction": rng.randint(1, 5)})
        result.phones[customer.id] = phone

    def add_interaction() -> None:
        customer_id = rng.choice(list(result.created))
        interaction = Interaction.create_by(user, customer_id, {
            "date": clock.today().isoformat(), "place": "电话", "summary": "电话回访",
            "detail": f"第 {sum(result.counts.values()) + 1} 次写入"})
        result.interactions[interaction.id] = customer_id

    actions = {"create_customer": create_customer, "edit_customer": edit_customer,
               "add_interaction": add_interaction}
    barrier.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0] if result.created else "create_customer"
        started = time.perf_counter()
        try:
            actions[kind]()
        except Exception as error:  # counted and reported: the figure that must stay 0
            result.error_count += 1
            if len(result.first_errors) < 5:
                result.first_errors.append(f"{kind}: {type(error).__name__}: {error}")
            continue
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.counts[kind] += 1
    results.put(asdict(result))


def verify(url: str, results: list[dict]) -> dict[str, int]:
    """Look every write up: how many are missing or differ."""
    from crm_tui.models import Customer, Interaction

    crm_db, _ = bind(url)
    missing = {"customers": 0, "phones": 0, "interactions": 0}
    for result in results:
        created = {int(key): name for key, name in result["created"].items()}
        found = dict(Customer.select(Customer.id, Customer.name)
                     .where(Customer.id.in_(list(created))).tuples()) if created else {}
        missing["customers"] += sum(1 for key, name in created.items() if found.get(key) != name)
        phones = {int(key): phone for key, phone in result["phones"].items()}
        stored = dict(Customer.select(Customer.id, Customer.phone)
                      .where(Customer.id.in_(list(phones))).tuples()) if phones else {}
        missing["phones"] += sum(1 for key, phone in phones.items() if stored.get(key) != phone)
        interactions = {int(key): owner for key, owner in result["interactions"].items()}
        rows = dict(Interaction.select(Interaction.id, Interaction.customer)
                    .where(Interaction.id.in_(list(interactions))).tuples()) if interactions else {}
        missing["interactions"] += sum(1 for key, owner in interactions.items()
                                       if rows.get(key) != owner)
    crm_db.close()
    return missing


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def run(url: str, processes: int, seconds: float) -> dict:
    prepare(url, processes)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    queue = context.Queue()
    workers = [context.Process(target=writer, args=(url, number, seconds, barrier, queue))
               for number in range(1, processes + 1)]
    for process in workers:
        process.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    results = [queue.get(timeout=seconds + 300) for _ in workers]
    elapsed = time.perf_counter() - started
    for process in workers:
        process.join()
    latencies = sorted(value for result in results for value in result["latencies_ms"])
    counts = {kind: sum(result["counts"][kind] for result in results) for kind in WRITE_MIX}
    errors = sum(result["error_count"] for result in results)
    writes = sum(counts.values())
    return {
        "database": url.split("@")[-1], "processes": processes, "seconds": seconds,
        "elapsed": round(elapsed, 2), "writes": writes, "by_kind": counts,
        "writes_per_second": round(writes / seconds, 1), "errors": errors,
        "first_errors": [message for result in results for message in result["first_errors"]][:5],
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else 0.0,
        "missing": verify(url, results),
        "created_customers": sum(len(result["created"]) for result in results),
        "interactions": sum(len(result["interactions"]) for result in results),
    }


def report(summary: dict) -> str:
    lines = [
        f"database        {summary['database']}",
        f"processes       {summary['processes']} x {summary['seconds']} s",
        f"writes          {summary['writes']} "
        + "(" + ", ".join(f"{kind} {count}" for kind, count in summary["by_kind"].items()) + ")",
        f"writes/s        {summary['writes_per_second']}",
        f"errors          {summary['errors']}",
        f"latency ms      p50 {summary['p50_ms']}  p95 {summary['p95_ms']}  "
        f"p99 {summary['p99_ms']}  max {summary['max_ms']}",
        "verified        " + ("every write found" if not any(summary["missing"].values())
                              else f"MISSING {summary['missing']}"),
    ]
    lines += [f"  {message}" for message in summary["first_errors"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'writes.sqlite3'}"
        summary = run(url, args.processes, args.seconds)
    print(report(summary))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(summary, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    return 0 if summary["errors"] == 0 and not any(summary["missing"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
