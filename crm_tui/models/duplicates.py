"""Likely duplicate customers across all the customers a user may see (the
duplicates screen); the hint on create is `customers.similar_customers`.

Customers are compared only within blocks that share a key (`name_key`,
`phone_key`, `tax_key`, see models/names.py): the database groups by each
indexed key, so 100,000 customers cost a few index scans, not five billion
comparisons. Each pair found is then scored on its name, phone, tax number
and address.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any, NamedTuple

from peewee import SQL, fn

from crm_tui.models.customers import KEY_COLUMNS, Customer
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


class DuplicatePair(NamedTuple):
    """Two customers that may be one, and why (a tuple: made by the
    hundred thousand)."""

    left_id: int
    right_id: int
    score: int
    reasons: tuple[str, ...]
    left_number: str
    left_name: str
    right_number: str
    right_name: str


class _Candidate:
    """What a customer is compared by, worked out once per customer: its
    keys, and its name key's and address's character pairs as bit masks."""

    __slots__ = ("id", "number", "name", "name_key", "phone_key", "tax_key", "address",
                 "name_mask", "address_mask")

    def __init__(self, row: tuple):
        (self.id, self.number, self.name, self.name_key, self.phone_key, self.tax_key,
         address) = row
        self.address = address_key(address)
        self.name_mask = _mask(self.name_key)
        self.address_mask = _mask(self.address)


def _in_scope(user: User | None):
    """The customers a duplicate may be among: visible, not deleted."""
    return Customer.visible_to(user)


# Bits of a mask of character pairs: enough that two pairs seldom share one.
MASK_BITS = 1024


def _mask(text: str) -> int:
    """The pairs of neighbouring characters of `text` (the text itself when
    shorter), each as one bit: two spellings are alike by the bits they
    share, counted in one AND instead of comparing sets of strings."""
    pairs = [text[index:index + 2] for index in range(len(text) - 1)] or ([text] if text else [])
    mask = 0
    for pair in pairs:
        # hash() differs between processes, never within one: masks are
        # only compared in the process that made them.
        mask |= 1 << (hash(pair) % MASK_BITS)
    return mask


def _alike(left: int, right: int) -> float:
    """0 (nothing shared) to 1 (the same): the Dice coefficient of two masks."""
    if not left or not right:
        return 0.0
    return 2 * (left & right).bit_count() / (left.bit_count() + right.bit_count())


def _candidates(user: User | None) -> list[_Candidate]:
    """The customers in scope that share a key with another one: for each
    key, the database groups by it (an index scan), and reads the members
    of the groups of two or more."""
    shared = None
    for _reason, column in KEY_COLUMNS:
        keys = (_in_scope(user).select(column).where(column != "")
                .group_by(column).having(fn.COUNT(SQL("*")) > 1))
        condition = column.in_(keys)
        shared = condition if shared is None else shared | condition
    query = (_in_scope(user).select(Customer.id, Customer.number, Customer.name,
                                    Customer.name_key, Customer.phone_key, Customer.tax_key,
                                    Customer.address)
             .where(shared).order_by(Customer.id).tuples())
    return [_Candidate(row) for row in query.iterator()]


def _pairs(candidates: list[_Candidate]) -> set[tuple[int, int]]:
    """Positions in `candidates` of the pairs that share a key (the first
    LARGEST_BLOCK of a block)."""
    pairs: set[tuple[int, int]] = set()
    for key_name in ("name_key", "phone_key", "tax_key"):
        blocks: dict[str, list[int]] = defaultdict(list)
        for position, candidate in enumerate(candidates):
            key = getattr(candidate, key_name)
            if key:
                blocks[key].append(position)
        for block in blocks.values():
            if len(block) > 1:
                pairs.update(combinations(block[:LARGEST_BLOCK], 2))
    return pairs


def score(left: Any, right: Any) -> tuple[int, tuple[str, ...]]:
    """How alike two customers are (0-100) and why."""
    reasons, total = [], 0
    if left.name_key and left.name_key == right.name_key:
        reasons.append(NAME)
        total += WEIGHTS[NAME]
    else:
        total += round(SIMILAR_NAME_WEIGHT * _alike(left.name_mask, right.name_mask))
    if left.phone_key and left.phone_key == right.phone_key:
        reasons.append(PHONE)
        total += WEIGHTS[PHONE]
    if left.tax_key and left.tax_key == right.tax_key:
        reasons.append(TAX)
        total += WEIGHTS[TAX]
    if left.address and (left.address == right.address or _alike(
            left.address_mask, right.address_mask) >= SIMILAR_ADDRESS):
        reasons.append(ADDRESS)
        total += WEIGHTS[ADDRESS]
    return min(total, 100), tuple(reasons)


def duplicate_pairs(user: User | None) -> list[DuplicatePair]:
    """Likely duplicates among the customers `user` may see, the likeliest
    first."""
    candidates = _candidates(user)
    found = []
    for left_at, right_at in _pairs(candidates):
        left, right = candidates[left_at], candidates[right_at]
        value, reasons = score(left, right)
        found.append(DuplicatePair(left.id, right.id, value, reasons,
                                   left.number, left.name, right.number, right.name))
    found.sort(key=lambda pair: (-pair.score, pair.left_id, pair.right_id))
    return found
