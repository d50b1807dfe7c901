"""Likely duplicate customers: on create (the form's hint) and across all
the customers a user may see (the duplicates screen).

Customers are compared only within blocks that share a key (`name_key`,
`phone_key`, `tax_key`, see models/names.py): the database groups by each
indexed key, so 100,000 customers cost a few index scans, not five billion
comparisons. Each pair found is then scored on its name, phone, tax number
and address.
"""
from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from peewee import SQL, fn

from crm_tui.models.customers import Customer, customer_keys
from crm_tui.models.names import address_key
from crm_tui.models.users import User

NAME, PHONE, TAX, ADDRESS = "name", "phone", "tax", "address"
# What each kind of match adds to a pair's score (100 at most).
WEIGHTS = {NAME: 45, TAX: 35, PHONE: 25, ADDRESS: 15}
# Names alike but not the same (found by phone or tax number) add up to this.
SIMILAR_NAME_WEIGHT = 30
SIMILAR_ADDRESS = 0.8
# A key shared by more customers than this (a switchboard number typed for
# a hundred branches) gives its first ones only: pairs grow as its square.
LARGEST_BLOCK = 25
KEY_COLUMNS = ((NAME, Customer.name_key), (PHONE, Customer.phone_key), (TAX, Customer.tax_key))
DETAIL_CHUNK = 500


@dataclass(frozen=True)
class DuplicatePair:
    left_id: int
    right_id: int
    score: int
    reasons: tuple[str, ...]
    left_number: str
    left_name: str
    right_number: str
    right_name: str


def _in_scope(user: User | None):
    """The customers a duplicate may be among: visible, not deleted."""
    return Customer.visible_to(user)


def _blocks(user: User | None) -> set[tuple[int, int]]:
    """Pairs of customer ids that share a key."""
    pairs: set[tuple[int, int]] = set()
    for _reason, column in KEY_COLUMNS:
        shared = (_in_scope(user).select(column).where(column != "")
                  .group_by(column).having(fn.COUNT(SQL("*")) > 1))
        members = (_in_scope(user).select(column, Customer.id)
                   .where(column.in_(shared)).order_by(column, Customer.id).tuples())
        block: list[int] = []
        current = None
        for key, customer_id in members.iterator():
            if key != current:
                pairs.update(combinations(block[:LARGEST_BLOCK], 2))
                block, current = [], key
            block.append(customer_id)
        pairs.update(combinations(block[:LARGEST_BLOCK], 2))
    return pairs


def _details(ids: set[int]) -> dict[int, tuple]:
    found = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), DETAIL_CHUNK):
        chunk = ordered[start:start + DETAIL_CHUNK]
        for row in (Customer.select(Customer.id, Customer.number, Customer.name,
                                    Customer.name_key, Customer.phone_key, Customer.tax_key,
                                    Customer.address)
                    .where(Customer.id.in_(chunk)).tuples()):
            found[row[0]] = row
    return found


def score(left: dict[str, str], right: dict[str, str]) -> tuple[int, tuple[str, ...]]:
    """How alike two customers are (0-100) and why, from their keys
    (name_key, phone_key, tax_key) and addresses."""
    reasons, total = [], 0
    if left["name_key"] and left["name_key"] == right["name_key"]:
        reasons.append(NAME)
        total += WEIGHTS[NAME]
    elif left["name_key"] and right["name_key"]:
        ratio = difflib.SequenceMatcher(None, left["name_key"], right["name_key"]).ratio()
        total += round(SIMILAR_NAME_WEIGHT * ratio)
    for reason, key in ((PHONE, "phone_key"), (TAX, "tax_key")):
        if left[key] and left[key] == right[key]:
            reasons.append(reason)
            total += WEIGHTS[reason]
    left_address, right_address = address_key(left["address"]), address_key(right["address"])
    if left_address and right_address and (left_address == right_address or difflib.SequenceMatcher(
            None, left_address, right_address).ratio() >= SIMILAR_ADDRESS):
        reasons.append(ADDRESS)
        total += WEIGHTS[ADDRESS]
    return min(total, 100), tuple(reasons)


def _as_keys(row: tuple) -> dict[str, str]:
    _id, _number, _name, name_key, phone_key, tax_key, address = row
    return {"name_key": name_key, "phone_key": phone_key, "tax_key": tax_key,
            "address": address}


def duplicate_pairs(user: User | None) -> list[DuplicatePair]:
    """Likely duplicates among the customers `user` may see, the likeliest
    first."""
    pairs = _blocks(user)
    details = _details({customer_id for pair in pairs for customer_id in pair})
    found = []
    for left_id, right_id in pairs:
        left, right = details.get(left_id), details.get(right_id)
        if left is None or right is None:
            continue
        value, reasons = score(_as_keys(left), _as_keys(right))
        found.append(DuplicatePair(left_id, right_id, value, reasons,
                                   left[1], left[2], right[1], right[2]))
    found.sort(key=lambda pair: (-pair.score, pair.left_id, pair.right_id))
    return found


@dataclass(frozen=True)
class SimilarCustomer:
    id: int
    number: str
    name: str
    reasons: tuple[str, ...]


def similar_customers(user: User | None, values: dict[str, Any], exclude_id: int | None = None,
                      limit: int = 5) -> list[SimilarCustomer]:
    """Customers `user` may see with the same name key, phone or tax number
    as the form's `values`: the hint before a new customer is saved."""
    keys = customer_keys(values)
    condition = None
    for _reason, column in KEY_COLUMNS:
        key = keys[column.name]
        if key:
            term = column == key
            condition = term if condition is None else condition | term
    if condition is None:
        return []
    query = _in_scope(user).where(condition)
    if exclude_id is not None:
        query = query.where(Customer.id != exclude_id)
    found = []
    for customer in query.order_by(Customer.id).limit(limit):
        reasons = tuple(reason for reason, column in KEY_COLUMNS
                        if keys[column.name] and getattr(customer, column.name) == keys[column.name])
        found.append(SimilarCustomer(customer.id, customer.number, customer.name, reasons))
    return found
