"""A customer's timeline at length: counting it, the first page, walking
page after page, the last page, and a jump into the middle, with one
customer of --events events among --others customers of as many each.

    python bench/timeline.py                                  # a new SQLite file
    python bench/timeline.py --events 20000 --others 20
    python bench/timeline.py --url 'postgresql://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dcrm_bench'

The events are spread like a busy customer's: 55% interactions, 20% mail,
15% orders of the sales system, 8% service steps, 2% documents. The pages
are read as the timeline tab reads them (`TimelineRows`, PAGE_SIZE rows),
each figure the best of --repeat runs in milliseconds.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind, init_databases  # noqa: E402
from crm_tui.models import (Customer, Document, Interaction, MailMessage, Order,  # noqa: E402
                            Service, ServiceEvent, database, sales_database)
from crm_tui.models.dictionary import REGION, CUSTOMER_LEVEL, SERVICE_TYPE, DictionaryEntry  # noqa: E402
from crm_tui.models.timeline import TimelineRows  # noqa: E402
from crm_tui.widgets.lazy_table import PAGE_SIZE  # noqa: E402

START = dt.datetime(2000, 1, 1, 8)
SHARES = (("interaction", 55), ("mail", 20), ("order", 15), ("service", 8), ("document", 2))


def first_entry(type_name: str) -> int:
    return DictionaryEntry.of_type(type_name).first().id


def make_customer(number: int, manager_id: int) -> Customer:
    return Customer.create(
        number=f"TL{number:09d}", name=f"时间线客户{number}", region=first_entry(REGION),
        manager=manager_id, level=first_entry(CUSTOMER_LEVEL), satisfaction=3, credit=3,
        address="-", postcode="100000", phone="010-1", legal_representative="-", bank="-",
        bank_account="-", local_tax_number="-", national_tax_number="-")


def fill(customer: Customer, events: int, serial: int, actor_id: int) -> None:
    """`events` events of the customer, one every few hours from START."""
    counts = {kind: events * share // 100 for kind, share in SHARES}
    counts["interaction"] += events - sum(counts.values())
    moment = lambda n: START + dt.timedelta(hours=5 * n)  # noqa: E731
    rows = {
        Interaction: [dict(customer=customer.id, date=moment(n).date(), place="厂区",
                           summary=f"拜访 {n}") for n in range(counts["interaction"])],
        MailMessage: [dict(message_id=f"<{serial}.{n}@bench>", direction="in" if n % 2 else "out",
                           sender="chen@example.cn", subject=f"询价 {n}", date=moment(n),
                           customer=customer.id, status="filed") for n in range(counts["mail"])],
        Order: [dict(number=f"SO{serial}-{n}", customer_id=customer.id, date=moment(n).date(),
                     status=6, amount=100) for n in range(counts["order"])],
        Document: [dict(customer=customer.id, name=f"扫描{n}.pdf", size=1, sha256="0" * 64,
                        uploaded_at=moment(n)) for n in range(counts["document"])],
    }
    with database.atomic():
        for model, batch in rows.items():
            for first in range(0, len(batch), 500):
                model.insert_many(batch[first:first + 500]).execute()
        services = max(1, counts["service"] // 4)
        for number in range(services):
            service = Service.create(type=first_entry(SERVICE_TYPE), summary=f"服务{number}",
                                     customer=customer.id, request="-", created_by=actor_id)
            ServiceEvent.insert_many([dict(service=service.id, kind="create",
                                           at=moment(number * 4 + step))
                                      for step in range(4)]).execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/timeline.sqlite3"
    crm_db, sales_db = bind(DatabaseConfig(url=url), create=True)
    init_databases(crm_db, sales_db)
    admin = administrator()
    started = time.perf_counter()
    base = Customer.select().count()
    customers = [make_customer(base + number, admin.id) for number in range(args.others + 1)]
    for serial, customer in enumerate(customers):
        fill(customer, args.events, base + serial, admin.id)
    print(f"{url}: {len(customers)} customers x {args.events} events made in "
          f"{time.perf_counter() - started:.1f} s")

    customer = customers[0]
    rows = TimelineRows(admin, customer.id)
    count_ms, count = best_ms(lambda: rows.count(""), args.repeat)
    print(f"count ({count} events)            {count_ms:8.1f} ms")
    first_ms, _ = best_ms(lambda: rows.fetch("", None, False, 0, PAGE_SIZE), args.repeat)
    print(f"first page                      {first_ms:8.1f} ms")

    def walk(pages: int) -> None:
        rows.count("")
        for page in range(pages):
            rows.fetch("", None, False, page * PAGE_SIZE, PAGE_SIZE)
    pages = min(200, count // PAGE_SIZE)
    walk_ms, _ = best_ms(lambda: walk(pages), max(1, args.repeat // 2))
    print(f"next page, walking {pages} pages   {walk_ms / pages:8.1f} ms a page")
    rows.count("")
    last = (count - 1) // PAGE_SIZE * PAGE_SIZE
    last_ms, _ = best_ms(lambda: rows.fetch("", None, False, last, PAGE_SIZE), args.repeat)
    print(f"last page                       {last_ms:8.1f} ms")

    def jump() -> None:
        rows.count("")
        rows.fetch("", None, False, count // 2 // PAGE_SIZE * PAGE_SIZE, PAGE_SIZE)
    jump_ms, _ = best_ms(jump, args.repeat)
    print(f"jump to the middle (no key)     {jump_ms:8.1f} ms")
    rows.group = "mail"
    mail_ms, _ = best_ms(lambda: (rows.count(""), rows.fetch("", None, False, 0, PAGE_SIZE)),
                         args.repeat)
    print(f"mail only: count + first page   {mail_ms:8.1f} ms")
    rows.group = None
    search_ms, _ = best_ms(lambda: (rows.count("询价 9"), rows.fetch("询价 9", None, False, 0,
                                                                    PAGE_SIZE)), args.repeat)
    print(f"search '询价 9': count + page    {search_ms:8.1f} ms")
    database.close()
    if sales_database.obj is not database.obj:
        sales_database.close()


if __name__ == "__main__":
    main()
