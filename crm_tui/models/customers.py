"""Customers (客户信息), their contacts (联系人) and interactions (交往记录).

Scope: `Customer.visible_to(user)` is the one query every list of customers
starts from. Writes check the actor's right and scope again here, whatever
the screen showed.
"""
from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import lru_cache, reduce
from typing import Any

from peewee import (
    JOIN,
    Case,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    Entity,
    Expression,
    ForeignKeyField,
    IntegerField,
    SQL,
    Table,
    TextField,
    fn,
)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database, is_postgres
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, DictionaryEntry
from crm_tui.models.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crm_tui.models.filters import dictionary_match, user_match, words_in
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, NUMBER, TEXT, Action, Column,
                                  FilterField, RecordKind, labelled_choices, register)
from crm_tui.models.names import company_key, phone_key, tax_key
from crm_tui.models.numbering import next_number
from crm_tui.models.users import MANAGER, Role, User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import (Visible, delete_as_read, record_id, update_as_read,
                                     visible_through)

NORMAL, LOST, DELETED = "normal", "lost", "deleted"
CUSTOMER_STATUSES = (NORMAL, LOST, DELETED)


class Customer(Visible, BaseModel):
    number = CharField(max_length=20, unique=True)
    name = CharField(max_length=100, index=True)
    region = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
    manager = ForeignKeyField(User, backref="customers", on_delete="RESTRICT")
    level = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
    satisfaction = IntegerField()
    credit = IntegerField()
    address = CharField(max_length=200)
    postcode = CharField(max_length=10)
    phone = CharField(max_length=30)
    fax = CharField(max_length=30, default="")
    website = CharField(max_length=100, default="")
    licence_number = CharField(max_length=50, default="")
    legal_representative = CharField(max_length=50)
    registered_capital = DecimalField(max_digits=14, decimal_places=2, null=True)
    annual_turnover = DecimalField(max_digits=14, decimal_places=2, null=True)
    bank = CharField(max_length=100)
    bank_account = CharField(max_length=50)
    local_tax_number = CharField(max_length=50)
    national_tax_number = CharField(max_length=50)
    status = CharField(max_length=10, default=NORMAL, index=True)
    lost_at = DateField(null=True)
    created_at = DateTimeField(default=clock.now)
    # Raised by every update; an update that finds another version lost a race.
    version = IntegerField(default=1)
    # The duplicate search's blocking keys (models/names.py), written with
    # every insert and update of the name, phone or tax number (`_keyed`).
    # name_key is also how a lead's conversion finds the company on file.
    name_key = CharField(max_length=100, default="")
    phone_key = CharField(max_length=30, default="")
    tax_key = CharField(max_length=50, default="")
    # Set when this customer was merged into another: its number stays an
    # alias of that one (the sales system's orders still name this id).
    merged_into = ForeignKeyField("self", null=True, backref="aliases", on_delete="SET NULL")

    class Meta:
        # The key indexes also hold what scope asks (status, manager), so
        # grouping by a key reads the index alone; so do region and level
        # (a list sorted by either counts the customers of each; the
        # foreign keys' own indexes give each one's customers in id order).
        indexes = ((("manager", "status"), False),
                   (("region", "status"), False),
                   (("level", "status"), False),
                   (("name_key", "status", "manager"), False),
                   (("phone_key", "status", "manager"), False),
                   (("tax_key", "status", "manager"), False))

    def __str__(self) -> str:
        return self.name

    # ----- the duplicate keys, kept in step with every write -------------
    @classmethod
    def insert(cls, __data=None, **insert):
        return super().insert(_keyed({**(__data or {}), **insert}))

    @classmethod
    def insert_many(cls, rows, fields=None):
        if fields is None:
            rows = [_keyed(dict(row)) if isinstance(row, dict) else row for row in rows]
        else:
            names = [field if isinstance(field, str) else field.name for field in fields]
            rows = [_keyed(dict(zip(names, row))) for row in rows]
            fields = None
        return super().insert_many(rows, fields)

    @classmethod
    def update(cls, __data=None, **update):
        return super().update(_keyed({**(__data or {}), **update}))

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None, include_deleted: bool = False):
        """The customers `user` may see; nothing for an unknown role."""
        query = cls.select()
        if not include_deleted:
            query = query.where(cls.status != DELETED)
        return scoped(query, user, perm.CUSTOMER_VIEW_ALL, {perm.CUSTOMER_VIEW},
                      lambda own: cls.manager == own.id)

    def check_editable_by(self, actor: User) -> None:
        """Raise unless `actor` may change this customer (right + scope + state)."""
        require(actor, perm.CUSTOMER_EDIT)
        if self.manager_id != actor.id and not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
            raise PermissionDenied(t("error.not_your_customer"))
        if self.status != NORMAL:
            raise InvalidTransition(t("customer.error.not_normal"))

    def _owned_by(self, actor: User) -> tuple[Any, ...]:
        """The write's own condition on scope: an account manager's writes
        touch only rows the database says are theirs, whatever this copy
        in memory says."""
        if actor.has_perm(perm.CUSTOMER_EDIT_ALL):
            return ()
        return (Customer.manager == actor.id,)

    def _refusal_for(self, actor: User):
        def why(current: Customer) -> Exception | None:
            if current.manager_id != actor.id and not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
                return PermissionDenied(t("error.not_your_customer"))
            if current.status != NORMAL:
                return InvalidTransition(t("customer.error.not_normal"))
            return None
        return why

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> Customer:
        require(actor, perm.CUSTOMER_EDIT)
        data = _clean_customer(values)
        check_new_customer_owner(actor, data)
        with database.atomic():
            customer = cls.create(number=next_number(Customer.number, "KH"), **data)
            audit.record(actor, "customer", customer.id, audit.CREATE)
        return customer

    def update_by(self, actor: User, values: dict[str, Any]) -> Customer:
        """Save the edited fields; refuse if someone saved since this was read."""
        data = self.checked_changes(actor, values)
        with database.atomic():
            changes = audit.diff(self, data)
            update_as_read(self, data, Customer.status == NORMAL, *self._owned_by(actor),
                           why=self._refusal_for(actor))
            audit.record(actor, "customer", self.id, audit.UPDATE, changes)
        return Customer.get_by_id(self.id)

    def checked_changes(self, actor: User, values: dict[str, Any],
                        references: CustomerReferences | None = None) -> dict[str, Any]:
        """The cleaned fields of an edit `actor` may make; raise otherwise."""
        self.check_editable_by(actor)
        data = _clean_customer(values, partial=True, references=references)
        if "manager" in data and data["manager"] != self.manager_id:
            if not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
                raise PermissionDenied(t("customer.error.reassign"))
        return data

    def delete_by(self, actor: User) -> None:
        """Soft delete: the status becomes deleted; history stays."""
        self.check_editable_by(actor)
        with database.atomic():
            update_as_read(self, {"status": DELETED}, Customer.status == NORMAL,
                           *self._owned_by(actor), why=self._refusal_for(actor))
            audit.record(actor, "customer", self.id, audit.DELETE, {"status": (self.status, DELETED)})

    def restore_by(self, actor: User) -> Customer:
        """Undo a soft delete: the customer is normal again (its own manager
        or whoever edits every customer)."""
        require(actor, perm.CUSTOMER_EDIT)
        if self.manager_id != actor.id and not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
            raise PermissionDenied(t("error.not_your_customer"))
        if self.status != DELETED:
            raise InvalidTransition(t("customer.error.not_deleted"))

        def why(current: Customer) -> Exception | None:
            if current.status != DELETED:
                return InvalidTransition(t("customer.error.not_deleted"))
            return None
        with database.atomic():
            update_as_read(self, {"status": NORMAL}, Customer.status == DELETED,
                           *self._owned_by(actor), why=why)
            audit.record(actor, "customer", self.id, "restore", {"status": (DELETED, NORMAL)})
        return Customer.get_by_id(self.id)


def customers_named(name: str):
    """Customers on file (not deleted) whose name is `name` however spelt
    (the same `company_key`), the oldest first."""
    key = company_key(name)
    if not key:
        return Customer.select().where(False)
    return (Customer.select()
            .where((Customer.name_key == key) & (Customer.status != DELETED))
            .order_by(Customer.id))


def customer_and_aliases(customer_id: int) -> list[int]:
    """The customer's id and those of the customers merged into it (and
    into those, ...): the ids the sales system's orders may name it by."""
    found, frontier = [customer_id], [customer_id]
    while frontier:
        frontier = [row_id for (row_id,) in Customer.select(Customer.id)
                    .where(Customer.merged_into.in_(frontier)).tuples()]
        frontier = [row_id for row_id in frontier if row_id not in found]
        found.extend(frontier)
    return found


def current_customer_id(customer_id: int) -> int:
    """The customer an id names now: itself, or the one it was merged into."""
    seen = {customer_id}
    while True:
        into = (Customer.select(Customer.merged_into)
                .where(Customer.id == customer_id).scalar())
        if into is None or into in seen:
            return customer_id
        seen.add(into)
        customer_id = into


# Each key, the field it is made from, and how.
CUSTOMER_KEYS = (("name_key", "name", company_key), ("phone_key", "phone", phone_key),
                 ("tax_key", "national_tax_number", tax_key))


def _keyed(values: dict) -> dict:
    """`values` of an insert or update, with the duplicate keys of the
    fields it writes (by name or as fields, as Peewee takes them); an SQL
    expression (name = other column) leaves its key as it is."""
    by_name = {(key if isinstance(key, str) else key.name): value for key, value in values.items()}
    for key_name, source, make_key in CUSTOMER_KEYS:
        value = by_name.get(source)
        if source in by_name and (value is None or isinstance(value, str)):
            values[key_name] = make_key(value)
    return values


def customer_keys(values: dict) -> dict[str, str]:
    """The duplicate keys of a customer's field values."""
    return {key_name: make_key(values.get(source))
            for key_name, source, make_key in CUSTOMER_KEYS}


def active_managers():
    """Active users with the account-manager role: who may own customers."""
    return (User.select().join(Role)
            .where((Role.key == MANAGER) & (User.active == True))
            .order_by(User.display_name))


def manager_choices() -> list[tuple[int, str]]:
    """Active account managers: who a customer, an opportunity or a service
    can go to."""
    return [(user.id, user.display_name) for user in active_managers()]


def active_manager(manager: User | int | str | None) -> User:
    """The active account manager `manager` names, or a ValidationError at
    the field "manager"."""
    manager_id = record_id(manager)
    if manager_id is None:
        raise ValidationError({"manager": t("error.required")})
    found = active_managers().where(User.id == manager_id).first()
    if found is None:
        raise ValidationError({"manager": t("customer.error.manager_inactive")})
    return found


CUSTOMER_FIELDS = (
    Field("name", "customer.name", required=True, max_length=100),
    Field("region", "customer.region", kind="choice", required=True,
          choices=lambda: DictionaryEntry.choices(REGION)),
    Field("manager", "customer.manager", kind="choice", required=True, choices=manager_choices),
    Field("level", "customer.level", kind="choice", required=True,
          choices=lambda: DictionaryEntry.choices(CUSTOMER_LEVEL)),
    Field("satisfaction", "customer.satisfaction", kind="int", required=True, minimum=1, maximum=5),
    Field("credit", "customer.credit", kind="int", required=True, minimum=1, maximum=5),
    Field("address", "customer.address", required=True, max_length=200),
    Field("postcode", "customer.postcode", kind="postcode", required=True),
    Field("phone", "customer.phone", kind="phone", required=True),
    Field("fax", "customer.fax", kind="phone"),
    Field("website", "customer.website", kind="website"),
    Field("licence_number", "customer.licence_number", max_length=50),
    Field("legal_representative", "customer.legal_representative", required=True, max_length=50),
    Field("registered_capital", "customer.registered_capital", kind="decimal", minimum=0),
    Field("annual_turnover", "customer.annual_turnover", kind="decimal", minimum=0),
    Field("bank", "customer.bank", required=True, max_length=100),
    Field("bank_account", "customer.bank_account", required=True, max_length=50),
    Field("local_tax_number", "customer.local_tax_number", required=True, max_length=50),
    Field("national_tax_number", "customer.national_tax_number", required=True, max_length=50),
)


@dataclass(frozen=True)
class CustomerReferences:
    """The ids a customer's region, level and manager may take."""

    regions: frozenset[int]
    levels: frozenset[int]
    managers: frozenset[int]


def customer_references() -> CustomerReferences:
    """Read once, they check many rows (an import) without a query each."""
    def entries(type_name: str) -> frozenset[int]:
        return frozenset(entry_id for (entry_id,) in DictionaryEntry.select(DictionaryEntry.id)
                         .where(DictionaryEntry.type == type_name).tuples())
    managers = frozenset(user_id for (user_id,) in active_managers().select(User.id).tuples())
    return CustomerReferences(entries(REGION), entries(CUSTOMER_LEVEL), managers)


def check_new_customer_owner(actor: User, data: dict[str, Any]) -> None:
    """An account manager's new customers are their own."""
    if not actor.has_perm(perm.CUSTOMER_EDIT_ALL) and data["manager"] != actor.id:
        raise PermissionDenied(t("error.not_your_customer"))


def _clean_customer(values: dict[str, Any], partial: bool = False,
                    references: CustomerReferences | None = None) -> dict[str, Any]:
    data = clean(CUSTOMER_FIELDS, values, partial=partial)
    known = references or customer_references()
    errors = {}
    for name, ids in (("region", known.regions), ("level", known.levels)):
        if name in data and record_id(data[name]) not in ids:
            errors[name] = t("error.not_a_choice")
    if "manager" in data and record_id(data["manager"]) not in known.managers:
        errors["manager"] = t("customer.error.manager_inactive")
    if errors:
        raise ValidationError(errors)
    for name in ("region", "level", "manager"):
        if name in data:
            data[name] = record_id(data[name])
    return data


# ----- contacts (联系人) and interactions (交往记录) ---------------------
# They belong to a customer: whoever may edit the customer's record may
# change them (customer.edit on own customers, customer.edit_all on any).
# A lost customer's history stays open, so later calls and mail with it
# can still be recorded; a deleted customer's is closed.

def customer_for_write(actor: User, customer: Customer | int | None) -> Customer:
    """The customer read afresh, and held against a concurrent delete until
    the transaction ends; raise unless `actor` may change its contacts and
    interactions. Call inside `database.atomic()`."""
    require(actor, perm.CUSTOMER_EDIT)
    query = Customer.select().where(Customer.id == record_id(customer))
    if database.for_update:
        # PostgreSQL: a shared row lock. SQLite's write transactions already
        # exclude each other (BEGIN IMMEDIATE).
        query = query.for_update("FOR SHARE")
    found = query.first()
    check_records_editable(actor, found)
    return found


def check_records_editable(actor: User, customer: Customer | None) -> None:
    """Raise unless `actor` may change the contacts and interactions of
    `customer` (the right, not deleted, own customer or every customer)."""
    require(actor, perm.CUSTOMER_EDIT)
    if customer is None or customer.status == DELETED:
        raise NotFound(t("error.not_found"))
    if customer.manager_id != actor.id and not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
        raise PermissionDenied(t("error.not_your_customer"))


def _owned_by(customer: Customer):
    """The refusal for a contact or interaction found under another customer
    than the one checked: the write's WHERE names the checked customer, so a
    record whose customer was changed in memory touches no row."""
    def why(current) -> Exception | None:
        if current.customer_id != customer.id:
            return PermissionDenied(t("error.not_your_customer"))
        return None
    return why


def _checked_update(model, record, actor: User, table: str, data: dict[str, Any],
                    owner: Customer) -> None:
    """UPDATE one row of `owner` if nobody saved it since `record` was read; audit it."""
    changes = audit.diff(record, data)
    update_as_read(record, data, model.customer == owner.id, why=_owned_by(owner))
    audit.record(actor, table, record.id, audit.UPDATE, changes)


def _checked_delete(model, record, actor: User, table: str, label: str,
                    owner: Customer) -> None:
    delete_as_read(record, model.customer == owner.id, why=_owned_by(owner))
    audit.record(actor, table, record.id, audit.DELETE, {"name": (label, "")})


SEXES = ("M", "F")


def _sex_choices() -> list[tuple[str, str]]:
    return [(sex, t(f"contact.sex.{sex}")) for sex in SEXES]


CONTACT_FIELDS = (
    Field("name", "contact.name", required=True, max_length=50),
    Field("sex", "contact.sex", kind="choice", required=True, choices=_sex_choices),
    Field("position", "contact.position", required=True, max_length=50),
    Field("office_phone", "contact.office_phone", kind="phone", required=True, max_length=30),
    Field("mobile", "contact.mobile", kind="phone", max_length=30),
    Field("email", "contact.email", kind="email", max_length=100),
    Field("note", "contact.note", max_length=1000, multiline=True),
)


def _clean_contact(values: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    data = clean(CONTACT_FIELDS, values, partial=partial)
    if "sex" in data:
        sex = data["sex"].strip().upper() if isinstance(data["sex"], str) else None
        if sex not in SEXES:
            raise ValidationError({"sex": t("error.not_a_choice")})
        data["sex"] = sex
    return data


class Contact(BaseModel):
    customer = ForeignKeyField(Customer, backref="contacts", on_delete="CASCADE")
    name = CharField(max_length=50)
    sex = CharField(max_length=1)  # M or F
    position = CharField(max_length=50)
    office_phone = CharField(max_length=30)
    mobile = CharField(max_length=30, default="")
    email = CharField(max_length=100, default="", index=True)
    note = TextField(default="")
    version = IntegerField(default=1)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def of_customer(cls, user: User, customer_id: int):
        """The contacts of one customer `user` may see (NotFound otherwise)."""
        Customer.get_visible(user, customer_id)
        return cls.select().where(cls.customer == customer_id).order_by(cls.name, cls.id)

    @classmethod
    def create_by(cls, actor: User, customer: Customer | int, values: dict[str, Any]) -> Contact:
        with database.atomic():
            owner = customer_for_write(actor, customer)
            data = _clean_contact(values)
            contact = cls.create(customer=owner.id, **data)
            audit.record(actor, "contact", contact.id, audit.CREATE)
        return contact

    def update_by(self, actor: User, values: dict[str, Any]) -> Contact:
        """Save the edited fields; required ones stay required."""
        with database.atomic():
            owner = customer_for_write(actor, self.customer_id)
            data = _clean_contact(values, partial=True)
            _checked_update(Contact, self, actor, "contact", data, owner)
        return Contact.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        """Remove the contact; interactions with them stay, without the name."""
        with database.atomic():
            owner = customer_for_write(actor, self.customer_id)
            _checked_delete(Contact, self, actor, "contact", self.name, owner)


def contact_choices(customer_id: int | None) -> list[tuple[int, str]]:
    if customer_id is None:
        return []
    query = (Contact.select(Contact.id, Contact.name).where(Contact.customer == customer_id)
             .order_by(Contact.name, Contact.id))
    return [(contact_id, name) for contact_id, name in query.tuples()]


def interaction_fields(customer_id: int | None = None) -> tuple[Field, ...]:
    """The interaction form; its contact choice lists the customer's contacts."""
    return (
        Field("date", "interaction.date", kind="date", required=True),
        Field("place", "interaction.place", required=True, max_length=100),
        Field("summary", "interaction.summary", required=True, max_length=200),
        Field("contact", "interaction.contact", kind="choice",
              choices=lambda: contact_choices(customer_id)),
        Field("detail", "interaction.detail", max_length=4000, multiline=True),
        Field("note", "interaction.note", max_length=1000, multiline=True),
    )


INTERACTION_FIELDS = interaction_fields()
INTERACTION_SOURCES = ("manual", "mail_in", "mail_out", "import")


def _clean_interaction(customer_id: int, values: dict[str, Any],
                       partial: bool = False) -> dict[str, Any]:
    data = clean(INTERACTION_FIELDS, values, partial=partial)
    if isinstance(data.get("date"), dt.datetime):
        data["date"] = data["date"].date()
    if data.get("contact") is not None:
        contact_id = record_id(data["contact"])
        belongs = contact_id is not None and Contact.select().where(
            (Contact.id == contact_id) & (Contact.customer == customer_id)).exists()
        if not belongs:
            raise ValidationError({"contact": t("error.not_a_choice")})
        data["contact"] = contact_id
    return data


class Interaction(BaseModel):
    customer = ForeignKeyField(Customer, backref="interactions", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, backref="interactions", on_delete="SET NULL")
    date = DateField(index=True)
    place = CharField(max_length=100)
    summary = CharField(max_length=200)
    detail = TextField(default="")
    note = TextField(default="")
    # manual, mail_in or mail_out: how the record came to be.
    source = CharField(max_length=10, default="manual")
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("customer", "date"), False),)

    def __str__(self) -> str:
        return self.summary

    @classmethod
    def of_customer(cls, user: User, customer_id: int):
        """One customer's interactions, newest first, with the contact's name."""
        Customer.get_visible(user, customer_id)
        return (cls.select(cls, Contact.name.alias("contact_name"))
                .join_from(cls, Contact, JOIN.LEFT_OUTER, on=(cls.contact == Contact.id))
                .where(cls.customer == customer_id)
                .order_by(cls.date.desc(), cls.id.desc())
                .objects())

    @classmethod
    def create_by(cls, actor: User, customer: Customer | int, values: dict[str, Any],
                  source: str = "manual") -> Interaction:
        if source not in INTERACTION_SOURCES:
            raise ValueError(f"unknown interaction source {source!r}")
        with database.atomic():
            owner = customer_for_write(actor, customer)
            data = _clean_interaction(owner.id, values)
            interaction = cls.create(customer=owner.id, source=source, created_by=actor.id,
                                     created_at=clock.now(), **data)
            audit.record(actor, "interaction", interaction.id, audit.CREATE)
        return interaction

    def update_by(self, actor: User, values: dict[str, Any]) -> Interaction:
        with database.atomic():
            owner = customer_for_write(actor, self.customer_id)
            data = _clean_interaction(owner.id, values, partial=True)
            _checked_update(Interaction, self, actor, "interaction", data, owner)
        return Interaction.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        with database.atomic():
            owner = customer_for_write(actor, self.customer_id)
            _checked_delete(Interaction, self, actor, "interaction", self.summary, owner)


def interaction_search_query(user: User, date_from: dt.date | None = None,
                             date_to: dt.date | None = None, keyword: str = ""):
    """Interactions of every customer `user` may see, between two dates
    (both included, either open), whose place, summary, detail, note,
    customer or contact contains each word of `keyword`; newest first."""
    visible = Customer.visible_to(user).select(Customer.id)
    query = (Interaction.select(Interaction, Customer.number.alias("customer_number"),
                                Customer.name.alias("customer_name"),
                                Contact.name.alias("contact_name"))
             .join_from(Interaction, Customer, JOIN.INNER, on=(Interaction.customer == Customer.id))
             .join_from(Interaction, Contact, JOIN.LEFT_OUTER, on=(Interaction.contact == Contact.id))
             .where(Interaction.customer.in_(visible))
             .order_by(Interaction.date.desc(), Interaction.id.desc())
             .objects())
    if date_from is not None:
        query = query.where(Interaction.date >= date_from)
    if date_to is not None:
        query = query.where(Interaction.date <= date_to)
    for word in keyword.split():
        query = query.where(
            Interaction.place.contains(word) | Interaction.summary.contains(word)
            | Interaction.detail.contains(word) | Interaction.note.contains(word)
            | Customer.name.contains(word) | Contact.name.contains(word))
    return query


INTERACTION_EXPORT_COLUMNS = (
    ("interaction.date", "date"), ("customer.number", "customer_number"),
    ("customer.name", "customer_name"), ("interaction.contact", "contact_name"),
    ("interaction.place", "place"), ("interaction.summary", "summary"),
    ("interaction.detail", "detail"), ("interaction.note", "note"),
)


def interaction_export(query) -> tuple[list[str], Any]:
    """Headers and a stream of rows for exporting an interaction search."""
    headers = [t(label) for label, _ in INTERACTION_EXPORT_COLUMNS]
    names = [name for _, name in INTERACTION_EXPORT_COLUMNS]

    def rows():
        for row in query.dicts().iterator():
            yield [_cell(row.get(name)) for name in names]
    return headers, rows()


# Levels sort by their rank in the dictionary (普通客户 ... 战略合作伙伴), not by name.
LEVEL_ORDER = SQL("level_rank")


def customer_list_query(user: User, search: str = ""):
    """Customers visible to `user` with region, level (and its rank,
    `level_rank`) and manager joined in, filtered by number, name, region,
    manager or level containing `search`."""
    region = DictionaryEntry.alias("region")
    level = DictionaryEntry.alias("level")
    query = (Customer.visible_to(user)
             .select_extend(region.item.alias("region_name"), level.item.alias("level_name"),
                            level.sort_order.alias("level_rank"),
                            User.display_name.alias("manager_name"))
             .join_from(Customer, region, JOIN.INNER, on=(Customer.region == region.id))
             .join_from(Customer, level, JOIN.INNER, on=(Customer.level == level.id))
             .join_from(Customer, User, JOIN.INNER, on=(Customer.manager == User.id)))
    search = search.strip()
    if search:
        query = query.where(customer_search(search))
    return query


# The text index finds substrings of this many characters or more.
TEXT_INDEX_MIN_LENGTH = 3
# Text found in more customers than this is looked for row by row (see
# text_index_contains): measured in bench/filters.py.
COMMON_TEXT_MATCHES = 5000


def customer_search(search: str):
    """Customers whose number, name, region, level or account manager's name
    contains `search`.

    Number and name go through the text index (migration 0007: SQLite FTS5
    trigrams, PostgreSQL pg_trgm), so a search costs what its matches cost,
    not a read of every customer. Regions, levels and managers are few: the
    matching ones are looked up first and compared by id."""
    entries = [entry_id for (entry_id,) in DictionaryEntry.select(DictionaryEntry.id).where(
        DictionaryEntry.item.contains(search)).tuples()]
    managers = [user_id for (user_id,) in User.select(User.id).where(
        User.display_name.contains(search)).tuples()]
    condition = _number_or_name_contains(search)
    # Only the lookups that found something: an always-false term would
    # keep the database from using the text index.
    if entries:
        condition = condition | Customer.region.in_(entries) | Customer.level.in_(entries)
    if managers:
        condition = condition | Customer.manager.in_(managers)
    return condition


def _number_or_name_contains(search: str):
    return text_index_contains(search, "number", "name")


def text_index_contains(search: str, *columns: str):
    """Customers whose `columns` (number, name or both) contain `search`."""
    fields = [getattr(Customer, column) for column in columns]
    row_by_row = reduce(operator.or_, [field.contains(search) for field in fields])
    if len(search) < TEXT_INDEX_MIN_LENGTH:
        # No trigram to look up: row by row (a page of matches, or a
        # bounded count, is found early unless the text is rare).
        return row_by_row
    if is_postgres():
        # ILIKE uses the trigram indexes by itself; but a bitmap of the
        # index cannot stop early, so text in very many customers is looked
        # for with strpos, which no index serves and which the planner
        # takes to match many rows: it reads in the list's order and stops
        # at the page (or the bounded count).
        if _common_on_postgres(search, tuple(columns), COMMON_TEXT_SHARE):
            wanted = search.lower()
            return reduce(operator.or_, [fn.STRPOS(fn.LOWER(field), wanted) > 0
                                         for field in fields])
        # Rarer text: its customers are found through the index first, as
        # an array, so that a page ordered by id does not walk the table in
        # id order looking for them (the planner's choice with a LIMIT).
        matching = Customer.alias("text_match")
        found = matching.select(matching.id).where(reduce(
            operator.or_, [getattr(matching, column).contains(search) for column in columns]))
        return Customer.id == fn.ANY(fn.ARRAY(found))
    text = Table("customer_text", ("rowid",))
    phrase = '"' + search.replace('"', '""') + '"'  # the whole text, not FTS5 syntax
    if len(columns) == 1:
        phrase = f"{columns[0]} : {phrase}"  # FTS5's column filter
    if _common_in_text_index(phrase, COMMON_TEXT_MATCHES):
        # Text in very many customers ("有限公司", "KH2024"): the index would
        # hand over every one of them before the first page; read row by row
        # instead, which finds a page of them (or a bounded count) at once.
        return row_by_row
    return Customer.id.in_(text.select(text.rowid).where(
        Expression(Entity("customer_text"), "MATCH", phrase)))


# How many customers the estimate of `_common_on_postgres` reads, and the
# share of them (1 in COMMON_TEXT_SHARE) that makes a text common.
COMMON_TEXT_SAMPLE = 2000
COMMON_TEXT_SHARE = 100


# Whether a text is common decides only how it is looked for, never what is
# found: the answers are kept for the next keystroke's count and pages.
@lru_cache(maxsize=512)
def _common_in_text_index(phrase: str, matches: int) -> bool:
    """Whether the FTS5 `phrase` is in more than `matches` customers: the
    index hands its matches over one by one, so this stops after that many."""
    text = Table("customer_text", ("rowid",))
    return (text.select(text.rowid)
            .where(Expression(Entity("customer_text"), "MATCH", phrase))
            .limit(1).offset(matches).exists(database))


@lru_cache(maxsize=512)
def _common_on_postgres(search: str, columns: tuple[str, ...], share: int) -> bool:
    """Whether `search` is in one customer in `share` or more, as seen in
    the first COMMON_TEXT_SAMPLE rows of the table: then a scan finds a
    page of matches (or a bounded count) after a few thousand rows."""
    fields = [getattr(Customer, column) for column in columns]
    sample = Customer.select(*fields).limit(COMMON_TEXT_SAMPLE).alias("sample")
    sampled = [getattr(sample.c, field.column_name) for field in fields]
    matches = reduce(operator.or_, [column.contains(search) for column in sampled])
    rows, hits = (Customer.select(fn.COUNT(SQL("*")), fn.SUM(Case(None, [(matches, 1)], 0)))
                  .from_(sample).tuples().get())
    return bool(hits) and hits * share >= rows


def customer_text_contains(word: str):
    """A customer's number or name contains `word` (through the text
    index): for lists of records of customers that join the customer."""
    return text_index_contains(word, "number", "name")


def customer_text_match(column: str):
    """`match` of the number and name fields: through the text index."""
    def match(op: str, value: str):
        return text_index_contains(value, column)
    return match


def _cell(value: Any) -> Any:
    """An export cell: blanks as empty text, everything else as it is."""
    return "" if value is None else value


# Export columns of the customer list: (label key, column of the list query).
CUSTOMER_EXPORT_COLUMNS = (
    ("customer.number", "number"), ("customer.name", "name"),
    ("customer.region", "region_name"), ("customer.manager", "manager_name"),
    ("customer.level", "level_name"), ("customer.satisfaction", "satisfaction"),
    ("customer.credit", "credit"), ("customer.address", "address"),
    ("customer.postcode", "postcode"), ("customer.phone", "phone"), ("customer.fax", "fax"),
    ("customer.website", "website"), ("customer.licence_number", "licence_number"),
    ("customer.legal_representative", "legal_representative"),
    ("customer.registered_capital", "registered_capital"),
    ("customer.annual_turnover", "annual_turnover"), ("customer.bank", "bank"),
    ("customer.bank_account", "bank_account"), ("customer.local_tax_number", "local_tax_number"),
    ("customer.national_tax_number", "national_tax_number"), ("customer.status", "status"),
)


def customer_export(query) -> tuple[list[str], Any]:
    """Headers and a stream of rows for exporting exactly the customers of
    `query` (a `customer_list_query`, filtered and sorted as on screen).

    Only the exported columns are read, as plain tuples, with the status
    translated in SQL: a hundred thousand rows go straight from the cursor
    to the file without a dictionary or a Python step per row."""
    headers = [t(label) for label, _ in CUSTOMER_EXPORT_COLUMNS]
    return headers, customer_export_query(query).iterator()


def customer_export_query(query):
    """`query` reading only the exported columns, as tuples, status translated."""
    selected = {_selected_name(node): node for node in query._returning}
    statuses = [(status, t(f"customer.status.{status}")) for status in CUSTOMER_STATUSES]
    selected["status"] = Case(Customer.status, statuses, Customer.status)
    columns = [selected[name] for _, name in CUSTOMER_EXPORT_COLUMNS]
    return query.select(*columns).tuples()


def _selected_name(node: Any) -> str:
    """The name a column of a select list is read back under."""
    return getattr(node, "_alias", None) or getattr(node, "name", None) or str(node)


# ----- the record kinds ----------------------------------------------------
def customer_status_label(status: str) -> str:
    return t(f"customer.status.{status}") if status else ""


# Shown on the customer's information tab, in this order.
INFORMATION_ROWS = ["number", *[field.name for field in CUSTOMER_FIELDS], "status"]


def _customer_rows(customer: Customer) -> list[tuple[str, Any]]:
    shown = {
        "number": customer.number, "region": customer.region.item,
        "level": customer.level.item, "manager": customer.manager.display_name,
        "status": customer_status_label(customer.status),
    }
    return [(f"customer.{name}", shown.get(name, getattr(customer, name)))
            for name in INFORMATION_ROWS]


def _new_customer_values(_parent: Any, actor: User) -> dict[str, Any]:
    """An account manager's new customer is their own."""
    if active_managers().where(User.id == actor.id).exists():
        return {"manager": actor.id}
    return {}


def _customer_form_values(customer: Customer, _actor: User) -> dict[str, Any]:
    return {field.name: customer.__data__.get(field.name) for field in CUSTOMER_FIELDS}


# The keys duplicates are found by, each with the word for its match.
KEY_COLUMNS = (("name", Customer.name_key), ("phone", Customer.phone_key),
                ("tax", Customer.tax_key))


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
    found: dict[int, Customer] = {}
    # One query per key, each answered by that key's index (an OR of the
    # three may be read row by row in id order).
    for _reason, column in KEY_COLUMNS:
        if keys[column.name]:
            query = Customer.visible_to(user).where(column == keys[column.name])
            if exclude_id is not None:
                query = query.where(Customer.id != exclude_id)
            for customer in query.order_by(Customer.id).limit(limit):
                found[customer.id] = customer
    similar = []
    for customer in sorted(found.values(), key=lambda customer: customer.id)[:limit]:
        reasons = tuple(reason for reason, column in KEY_COLUMNS
                        if keys[column.name] == getattr(customer, column.name) != "")
        similar.append(SimilarCustomer(customer.id, customer.number, customer.name, reasons))
    return similar


def _similar_to_new(_parent: Any, actor: User, values: dict[str, Any]) -> list[tuple[int, str]]:
    """Customers the actor may see with the same name, phone or tax number
    as the new one's form."""
    return [(found.id, t("duplicates.hint", number=found.number, name=found.name,
                         what=", ".join(t(f"duplicates.reason.{reason}")
                                        for reason in found.reasons)))
            for found in similar_customers(actor, values)]


def _customers_query(user: User, search: str, _within: dict[str, Any]):
    return customer_list_query(user, search)


CUSTOMER_FILTERS = (
    FilterField("number", ("编号", "客户编号"), TEXT, Customer.number,
                match=customer_text_match("number")),
    FilterField("name", ("名称", "客户名称", "客户"), TEXT, Customer.name,
                match=customer_text_match("name")),
    FilterField("region", ("地区",), LOOKUP, match=dictionary_match(Customer.region, REGION)),
    FilterField("level", ("等级", "客户等级"), LOOKUP,
                match=dictionary_match(Customer.level, CUSTOMER_LEVEL)),
    FilterField("manager", ("经理", "客户经理"), LOOKUP, match=user_match(Customer.manager)),
    FilterField("satisfaction", ("满意度",), NUMBER, Customer.satisfaction),
    FilterField("credit", ("信用度", "信用"), NUMBER, Customer.credit),
    FilterField("status", ("状态",), CHOICE, Customer.status,
                choices=labelled_choices(CUSTOMER_STATUSES, "customer.status.")),
    FilterField("created", ("创建", "创建时间"), DATE, Customer.created_at),
    FilterField("lost", ("流失日期",), DATE, Customer.lost_at),
    FilterField("address", ("地址",), TEXT, Customer.address),
    FilterField("phone", ("电话",), TEXT, Customer.phone),
    FilterField("postcode", ("邮编",), TEXT, Customer.postcode),
    FilterField("legal", ("法人",), TEXT, Customer.legal_representative),
    FilterField("bank", ("开户银行", "银行"), TEXT, Customer.bank),
    FilterField("capital", ("注册资金",), NUMBER, Customer.registered_capital),
    FilterField("turnover", ("年营业额",), NUMBER, Customer.annual_turnover),
)


# The joined names are sorted by their output alias (region_name ...),
# which SQLite and PostgreSQL both accept in ORDER BY.
CUSTOMER = register(RecordKind(
    name="customer", title="customers.title", opens="customer",
    columns=[
        Column("number", "customers.column.number", 13, Customer.number),
        Column("name", "customers.column.name", 26, Customer.name, max_width=40),
        Column("region_name", "customers.column.region", 6, SQL("region_name")),
        Column("level_name", "customers.column.level", 12, LEVEL_ORDER),
        Column("manager_name", "customers.column.manager", 10, SQL("manager_name")),
        Column("status", "customers.column.status", 6, Customer.status,
               format=lambda value: t(f"customers.status.{value}") if value else ""),
        # Shown when the terminal is wide enough, in this order.
        Column("phone", "customer.phone", 15, Customer.phone, priority=1),
        Column("satisfaction", "ops_ui.column.satisfaction", 7, Customer.satisfaction,
               priority=2),
        Column("credit", "ops_ui.column.credit", 6, Customer.credit, priority=2),
        Column("address", "customer.address", 30, Customer.address, priority=3, max_width=50),
        Column("website", "customer.website", 24, Customer.website, priority=4),
    ],
    query=_customers_query, get=Customer.get_visible, status_label=customer_status_label,
    filters=CUSTOMER_FILTERS, search=customer_search,
    words=lambda customer: {"name": customer.name, "number": customer.number},
    heading=lambda customer: t("customer.detail_title", number=customer.number,
                               name=customer.name,
                               status=customer_status_label(customer.status)),
    rows=_customer_rows,
    actions=[
        Action("new", "n", "customer.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.CUSTOMER_EDIT),
               form=lambda _parent, _actor: CUSTOMER_FIELDS, prefill=_new_customer_values,
               title="customer.new_title",
               done=lambda customer: t("customer.created", number=customer.number),
               similar=_similar_to_new,
               run=lambda _parent, actor, values: Customer.create_by(actor, values)),
        Action("edit", "e", "customer.edit",
               check=lambda customer, actor: customer.check_editable_by(actor),
               form=lambda _customer, _actor: CUSTOMER_FIELDS, prefill=_customer_form_values,
               title="customer.edit_title", done="customer.saved",
               run=lambda customer, actor, values: customer.update_by(actor, values)),
        Action("delete", "d", "customer.delete", leaves=True,
               check=lambda customer, actor: customer.check_editable_by(actor),
               ask="customer.confirm_delete", done="customer.deleted",
               run=lambda customer, actor, _values: customer.delete_by(actor)),
    ],
    bulk=[Action(f"bulk_{name}", "", f"customer.bulk.{name}",
                 check=lambda customer, actor: customer.check_editable_by(actor),
                 form=lambda _customer, _actor, name=name: [
                     field for field in CUSTOMER_FIELDS if field.name == name],
                 run=lambda customer, actor, values, name=name: customer.update_by(
                     actor, {name: values.get(name)}))
          for name in ("manager", "level", "region")],
))


def _words_match(query: Any, search: str, *columns: Any) -> Any:
    """Rows where every word of `search` is in one of `columns`."""
    for word in search.split():
        condition = columns[0].contains(word)
        for column in columns[1:]:
            condition |= column.contains(word)
        query = query.where(condition)
    return query


def _check_contact_editable(record: Any, actor: User) -> None:
    check_records_editable(actor, Customer.get_or_none(Customer.id == record.customer_id))


def _contact_sex(value: str | None) -> str:
    return t(f"contact.sex.{value}") if value else ""


CONTACT_FILTERS = (
    FilterField("name", ("姓名", "名字"), TEXT, Contact.name),
    FilterField("sex", ("性别",), CHOICE, Contact.sex,
                choices=labelled_choices(SEXES, "contact.sex.")),
    FilterField("position", ("职位",), TEXT, Contact.position),
    FilterField("phone", ("电话", "办公电话"), TEXT, Contact.office_phone),
    FilterField("mobile", ("手机",), TEXT, Contact.mobile),
    FilterField("email", ("邮箱", "邮件"), TEXT, Contact.email),
    FilterField("note", ("备注",), TEXT, Contact.note),
)

CONTACT = register(RecordKind(
    name="contact", title="customer.tab.contacts", parent="customer", changes=("interaction",),
    columns=[
        Column("name", "contact.name", 10, Contact.name),
        Column("sex", "contact.sex", 4, Contact.sex, format=_contact_sex),
        Column("position", "contact.position", 12, Contact.position),
        Column("office_phone", "contact.office_phone", 15, Contact.office_phone),
        Column("mobile", "contact.mobile", 13, Contact.mobile),
        Column("email", "contact.email", 22, Contact.email, max_width=40),
    ],
    query=lambda user, search, within: _words_match(
        Contact.of_customer(user, within["parent"]), search,
        Contact.name, Contact.position, Contact.email),
    filters=CONTACT_FILTERS, search=words_in(Contact.name, Contact.position, Contact.email),
    get=visible_through(Contact.customer),
    words=lambda contact: {"name": contact.name},
    actions=[
        Action("new", "n", "contact.new", on_row=False,
               check=lambda customer, actor: check_records_editable(actor, customer),
               form=lambda _customer, _actor: CONTACT_FIELDS, title="contact.new_title",
               done="customer.saved",
               run=lambda customer, actor, values: Contact.create_by(actor, customer, values)),
        Action("edit", "e", "contact.edit", check=_check_contact_editable,
               form=lambda _contact, _actor: CONTACT_FIELDS,
               prefill=lambda contact, _actor: {field.name: getattr(contact, field.name)
                                                for field in CONTACT_FIELDS},
               title="contact.edit_title", done="customer.saved",
               run=lambda contact, actor, values: contact.update_by(actor, values)),
        Action("delete", "d", "contact.delete", check=_check_contact_editable,
               ask="contact.confirm_delete",
               run=lambda contact, actor, _values: contact.delete_by(actor)),
    ],
))

INTERACTION_FILTERS = (
    FilterField("date", ("日期",), DATE, Interaction.date),
    FilterField("place", ("地点",), TEXT, Interaction.place),
    FilterField("summary", ("概要",), TEXT, Interaction.summary),
    FilterField("detail", ("详细", "详细信息"), TEXT, Interaction.detail),
    FilterField("note", ("备注",), TEXT, Interaction.note),
    FilterField("contact", ("联系人",), TEXT, Contact.name),
)

INTERACTION = register(RecordKind(
    name="interaction", title="customer.tab.interactions", parent="customer",
    columns=[
        Column("date", "interaction.date", 10, Interaction.date),
        Column("place", "interaction.place", 14, Interaction.place),
        Column("summary", "interaction.summary", 34, Interaction.summary, max_width=100),
        Column("contact_name", "interaction.contact", 10),
    ],
    query=lambda user, search, within: _words_match(
        Interaction.of_customer(user, within["parent"]), search,
        Interaction.place, Interaction.summary, Interaction.detail),
    filters=INTERACTION_FILTERS,
    search=words_in(Interaction.place, Interaction.summary, Interaction.detail),
    get=visible_through(Interaction.customer),
    words=lambda interaction: {"summary": interaction.summary},
    actions=[
        Action("new", "n", "interaction.new", on_row=False,
               check=lambda customer, actor: check_records_editable(actor, customer),
               form=lambda customer, _actor: interaction_fields(customer.id),
               prefill=lambda _customer, _actor: {"date": clock.today().isoformat()},
               title="interaction.new_title", done="customer.saved",
               run=lambda customer, actor, values: Interaction.create_by(actor, customer,
                                                                         values)),
        Action("edit", "e", "interaction.edit", check=_check_contact_editable,
               form=lambda interaction, _actor: interaction_fields(interaction.customer_id),
               prefill=lambda interaction, _actor: {
                   field.name: interaction.__data__.get(field.name)
                   for field in interaction_fields(interaction.customer_id)},
               title="interaction.edit_title", done="customer.saved",
               run=lambda interaction, actor, values: interaction.update_by(actor, values)),
        Action("delete", "d", "interaction.delete", check=_check_contact_editable,
               ask="interaction.confirm_delete",
               run=lambda interaction, actor, _values: interaction.delete_by(actor)),
    ],
))
