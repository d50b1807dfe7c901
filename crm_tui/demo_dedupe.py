"""Near-duplicate customers for the demo and for `demo-data` at scale.

People type the same company again: with another legal form, full-width
letters, spaces, the region in brackets, the phone with a country code.
`add_near_duplicates` copies some existing customers with such changes
(through the model, so their duplicate keys are written), for the
duplicates screen and bench/duplicates.py to find.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from peewee import fn

from crm_tui.models.base import database
from crm_tui.models.customers import NORMAL, Contact, Customer

# Customers the small demo database gets as near-duplicates.
DEMO_DUPLICATES = 6
# At scale: one customer in this many gets a near-duplicate.
SCALE_SHARE = 100
BATCH = 500

_FORMS = ("有限公司", "股份有限公司", "有限责任公司", "公司", "集团", "")
_FULL_WIDTH = {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)}


def _bare(name: str) -> str:
    for form in sorted(_FORMS, key=len, reverse=True):
        if form and name.endswith(form) and len(name) > len(form):
            return name[: -len(form)]
    return name


def respell(name: str, rng: random.Random) -> str:
    """The same company's name as someone else would type it."""
    bare = _bare(name)
    way = rng.randrange(4)
    if way == 0:  # another legal form
        return bare + rng.choice([form for form in _FORMS if not name.endswith(form or "\0")])
    if way == 1:  # spaces between the parts
        middle = max(1, len(bare) // 2)
        return f"{bare[:middle]} {bare[middle:]} {rng.choice(_FORMS)}".strip()
    if way == 2:  # full-width letters and digits, brackets
        return bare.translate(str.maketrans(_FULL_WIDTH)) + "（" + rng.choice(_FORMS[:2]) + "）"
    return bare  # the legal form left out


def respell_phone(phone: str, rng: random.Random) -> str:
    """The same line written another way (+86, spaces instead of a dash)."""
    if rng.random() < 0.5 and phone.startswith("0"):
        return "+86 " + phone[1:].replace("-", " ")
    return phone.replace("-", " ")


def _copy(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    copy = {name: value for name, value in row.items()
            if name not in ("id", "number", "name_key", "phone_key", "tax_key", "merged_into",
                            "version", "created_at", "status", "lost_at")}
    copy["name"] = respell(row["name"], rng)[:100]
    if rng.random() < 0.6:
        copy["phone"] = respell_phone(row["phone"], rng)
    if rng.random() < 0.5:
        tax = row["national_tax_number"]
        copy["national_tax_number"] = f"{tax[:6]} {tax[6:]}"
    else:
        copy["national_tax_number"] = "".join(rng.choice("0123456789") for _ in range(15))
    # Typed again on the same day as the original: numbered that day.
    copy.update(status=NORMAL, version=1, created_at=row["created_at"])
    return copy


class _Numbers:
    """Customer numbers of a given day, following the ones there."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def next(self, day: Any) -> str:
        prefix = "KH" + (day.strftime("%Y%m%d") if hasattr(day, "strftime")
                         else str(day)[:10].replace("-", ""))
        if prefix not in self.last:
            last = (Customer.select(Customer.number).where(Customer.number.startswith(prefix))
                    .order_by(fn.LENGTH(Customer.number).desc(), Customer.number.desc())
                    .scalar())
            self.last[prefix] = int(last[len(prefix):]) if last else 0
        self.last[prefix] += 1
        return f"{prefix}{self.last[prefix]:03d}"


def _copy_contacts(numbers: dict[int, str]) -> None:
    """The first contact of each original, entered again under its copy
    (numbers: original id -> the copy's number)."""
    copies = dict(Customer.select(Customer.number, Customer.id)
                  .where(Customer.number.in_(list(numbers.values()))).tuples())
    rows, seen = [], set()
    for contact in (Contact.select().where(Contact.customer.in_(list(numbers)))
                    .order_by(Contact.customer, Contact.id).dicts()):
        if contact["customer"] in seen:
            continue
        seen.add(contact["customer"])
        copy = {name: value for name, value in contact.items() if name not in ("id", "version")}
        rows.append({**copy, "customer": copies[numbers[contact["customer"]]]})
    if rows:
        Contact.insert_many(rows).execute()


def add_near_duplicates(count: int, rng: random.Random,
                        progress: Callable[[str], None] = print) -> int:
    """Copy `count` randomly chosen customers as near-duplicates; returns
    how many were added."""
    largest = Customer.select(fn.MAX(Customer.id)).scalar() or 0
    if not largest or count <= 0:
        return 0
    numbering = _Numbers()
    chosen = rng.sample(range(1, largest + 1), min(count, largest))
    added = 0
    for start in range(0, len(chosen), BATCH):
        originals = list(Customer.select().where(
            Customer.id.in_(chosen[start:start + BATCH]) & (Customer.status == NORMAL)).dicts())
        numbers = {}
        rows = []
        for original in originals:
            copy = _copy(original, rng)
            numbers[original["id"]] = numbering.next(copy["created_at"])
            rows.append({**copy, "number": numbers[original["id"]]})
        with database.atomic():
            if rows:
                Customer.insert_many(rows).execute()
                _copy_contacts(numbers)
        added += len(rows)
    progress(f"added {added:,} near-duplicate customers")
    return added
