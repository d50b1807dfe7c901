"""Customers (客户信息), their contacts (联系人) and interactions (交往记录).

Scope: `Customer.visible_to(user)` is the one query every list of customers
starts from. Writes check the actor's right and scope again here, whatever
the screen showed.
"""
from __future__ import annotations

from typing import Any

from peewee import (JOIN, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, IntegrityError, TextField)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, DictionaryEntry
from crm_tui.models.errors import (ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied,
                                   ValidationError)
from crm_tui.models.users import MANAGER, Role, User, require
from crm_tui.models.validation import Field, clean

NORMAL, LOST, DELETED = "normal", "lost", "deleted"
CUSTOMER_STATUSES = (NORMAL, LOST, DELETED)


class Customer(BaseModel):
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

    class Meta:
        indexes = ((("manager", "status"), False),)

    def __str__(self) -> str:
        return self.name

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None, include_deleted: bool = False):
        """The customers `user` may see; nothing for an unknown role."""
        query = cls.select()
        if not include_deleted:
            query = query.where(cls.status != DELETED)
        if user is None or not user.active:
            return query.where(False)
        granted = user.permissions()
        if perm.CUSTOMER_VIEW_ALL in granted:
            return query
        if perm.CUSTOMER_VIEW in granted:
            return query.where(cls.manager == user.id)
        return query.where(False)

    @classmethod
    def get_visible(cls, user: User, customer_id: int) -> "Customer":
        customer = cls.visible_to(user).where(cls.id == customer_id).first()
        if customer is None:
            raise NotFound(t("error.not_found"))
        return customer

    def check_editable_by(self, actor: User) -> None:
        """Raise unless `actor` may change this customer (right + scope + state)."""
        require(actor, perm.CUSTOMER_EDIT)
        if self.manager_id != actor.id and not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
            raise PermissionDenied(t("error.not_your_customer"))
        if self.status != NORMAL:
            raise InvalidTransition(t("customer.error.not_normal"))

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> "Customer":
        require(actor, perm.CUSTOMER_EDIT)
        data = _clean_customer(values)
        if not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
            # An account manager's new customers are their own.
            if data["manager"] != actor.id:
                raise PermissionDenied(t("error.not_your_customer"))
        for attempt in range(5):
            try:
                with database.atomic():
                    customer = cls.create(number=next_customer_number(), **data)
                    audit.record(actor, "customer", customer.id, audit.CREATE)
                    return customer
            except IntegrityError:
                # Two customers created at the same moment took the same
                # number; take the next one.
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def update_by(self, actor: User, values: dict[str, Any]) -> "Customer":
        """Save the edited fields; refuse if someone saved since this was read."""
        self.check_editable_by(actor)
        data = _clean_customer(values, partial=True)
        if "manager" in data and data["manager"] != self.manager_id:
            if not actor.has_perm(perm.CUSTOMER_EDIT_ALL):
                raise PermissionDenied(t("customer.error.reassign"))
        with database.atomic():
            changes = audit.diff(self, data)
            updated = (Customer.update(version=Customer.version + 1, **data)
                       .where((Customer.id == self.id) & (Customer.version == self.version)
                              & (Customer.status == NORMAL))
                       .execute())
            if updated != 1:
                raise ConcurrentEdit(t("error.changed_since_opened"))
            audit.record(actor, "customer", self.id, audit.UPDATE, changes)
        return Customer.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        """Soft delete: the status becomes deleted; history stays."""
        self.check_editable_by(actor)
        with database.atomic():
            updated = (Customer.update(status=DELETED, version=Customer.version + 1)
                       .where((Customer.id == self.id) & (Customer.version == self.version))
                       .execute())
            if updated != 1:
                raise ConcurrentEdit(t("error.changed_since_opened"))
            audit.record(actor, "customer", self.id, audit.DELETE, {"status": (self.status, DELETED)})


def next_customer_number() -> str:
    """KH + today's date + a sequence of at least three digits (KH20261124001)."""
    prefix = "KH" + clock.today().strftime("%Y%m%d")
    last = (Customer.select(Customer.number).where(Customer.number.startswith(prefix))
            .order_by(Customer.number.desc()).scalar())
    sequence = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{sequence:03d}"


def active_managers():
    """Active users with the account-manager role: who may own customers."""
    return (User.select().join(Role)
            .where((Role.key == MANAGER) & (User.active == True))  # noqa: E712
            .order_by(User.display_name))


def _manager_choices() -> list[tuple[int, str]]:
    return [(user.id, user.display_name) for user in active_managers()]


CUSTOMER_FIELDS = (
    Field("name", "customer.name", required=True, max_length=100),
    Field("region", "customer.region", kind="choice", required=True,
          choices=lambda: DictionaryEntry.choices(REGION)),
    Field("manager", "customer.manager", kind="choice", required=True, choices=_manager_choices),
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


def _clean_customer(values: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    data = clean(CUSTOMER_FIELDS, values, partial=partial)
    errors = {}
    for name, type_name in (("region", REGION), ("level", CUSTOMER_LEVEL)):
        if name in data and not (DictionaryEntry.select()
                                 .where((DictionaryEntry.id == _id(data[name]))
                                        & (DictionaryEntry.type == type_name)).exists()):
            errors[name] = t("error.not_a_choice")
    if "manager" in data and not active_managers().where(User.id == _id(data["manager"])).exists():
        errors["manager"] = t("customer.error.manager_inactive")
    if errors:
        raise ValidationError(errors)
    for name in ("region", "level", "manager"):
        if name in data:
            data[name] = _id(data[name])
    return data


def _id(value: Any) -> int | None:
    if hasattr(value, "_meta"):
        return value.id
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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


def customer_list_query(user: User, search: str = ""):
    """Customers visible to `user` with region, level and manager joined in,
    filtered by number, name, region, manager or level containing `search`."""
    region = DictionaryEntry.alias("region")
    level = DictionaryEntry.alias("level")
    query = (Customer.visible_to(user)
             .select_extend(region.item.alias("region_name"), level.item.alias("level_name"),
                            User.display_name.alias("manager_name"))
             .join_from(Customer, region, JOIN.INNER, on=(Customer.region == region.id))
             .join_from(Customer, level, JOIN.INNER, on=(Customer.level == level.id))
             .join_from(Customer, User, JOIN.INNER, on=(Customer.manager == User.id)))
    search = search.strip()
    if search:
        query = query.where(
            Customer.number.contains(search) | Customer.name.contains(search)
            | region.item.contains(search) | level.item.contains(search)
            | User.display_name.contains(search))
    return query
