"""The data dictionary (数据字典): regions, customer levels, service types."""
from __future__ import annotations

import operator
from functools import reduce

from peewee import BooleanField, CharField, IntegerField, IntegrityError

from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models.base import BaseModel, database
from crm_tui.models.errors import CrmError, InvalidTransition, ValidationError
from crm_tui.models.permissions import DICTIONARY_MANAGE
from crm_tui.models.users import require
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import delete_as_read, update_as_read

# Dictionary types the CRM itself relies on (the users' own words).
REGION = "地区"
CUSTOMER_LEVEL = "客户等级"
SERVICE_TYPE = "服务类型"
# The sales funnel's stages, in funnel order (sort_order). An entry's value
# is the stage's default success rate in percent (0-100): the dictionary's
# own text column, so the administrator tunes a rate where the stages are.
OPPORTUNITY_STAGE = "商机阶段"


class DictionaryEntry(BaseModel):
    type = CharField(max_length=40, index=True)
    item = CharField(max_length=60)
    value = CharField(max_length=60)
    editable = BooleanField(default=True)
    sort_order = IntegerField(default=0)
    # Raised by every edit; an edit that finds another version is stale.
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("type", "item"), True),)

    def __str__(self) -> str:
        return self.item

    @classmethod
    def of_type(cls, type_name: str):
        return cls.select().where(cls.type == type_name).order_by(cls.sort_order, cls.id)

    @classmethod
    def choices(cls, type_name: str) -> list[tuple[int, str]]:
        return [(entry.id, entry.item) for entry in cls.of_type(type_name)]


# ----- management (数据字典维护) -------------------------------------------
# Entries marked not editable are locked: neither changed nor deleted. An
# entry in use (a customer's region or level, a service's type, any record
# of a table with a foreign key to DictionaryEntry) cannot be deleted: the
# message says how many records of which table use it.

DICTIONARY_FIELDS = (
    Field("type", "dictionary.type", required=True, max_length=40),
    Field("item", "dictionary.item", required=True, max_length=60),
    Field("value", "dictionary.value", required=True, max_length=60),
    Field("editable", "dictionary.editable", kind="choice", required=True,
          choices=lambda: [("1", t("dictionary.editable.yes")), ("0", t("dictionary.editable.no"))]),
    Field("sort_order", "dictionary.sort_order", kind="int", minimum=0, maximum=9999),
)


def stage_rate(entry: DictionaryEntry) -> int:
    """The default success rate of a stage entry (0 for a value that is no
    rate, which the rules below never store)."""
    try:
        return min(max(int(entry.value), 0), 100)
    except (TypeError, ValueError):
        return 0


def _check_stage_rate(type_name: str, value: str) -> None:
    if type_name != OPPORTUNITY_STAGE:
        return
    try:
        rate = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"value": t("dictionary.error.stage_rate")}) from None
    if not 0 <= rate <= 100:
        raise ValidationError({"value": t("dictionary.error.stage_rate")})


def dictionary_types() -> list[str]:
    """The types present, for the list's filter."""
    query = DictionaryEntry.select(DictionaryEntry.type).distinct().order_by(DictionaryEntry.type)
    return [type_name for (type_name,) in query.tuples()]


def dictionary_query(type_name: str = "", text: str = ""):
    """Entries of `type_name` (all when empty) whose item or value contains `text`."""
    query = DictionaryEntry.select().order_by(DictionaryEntry.type, DictionaryEntry.sort_order,
                                              DictionaryEntry.id)
    if type_name:
        query = query.where(DictionaryEntry.type == type_name)
    if text.strip():
        query = query.where(DictionaryEntry.item.contains(text.strip())
                            | DictionaryEntry.value.contains(text.strip())
                            | DictionaryEntry.type.contains(text.strip()))
    return query


def _tables_using_entries() -> dict[type[BaseModel], list]:
    """Each table with a foreign key to DictionaryEntry, with those keys.

    Peewee registers every ForeignKeyField on the model it points to, so a
    new table that uses the dictionary is counted as soon as it is declared,
    without this module importing it.
    """
    tables: dict[type[BaseModel], list] = {}
    for key, model in DictionaryEntry._meta.backrefs.items():
        tables.setdefault(model, []).append(key)
    return tables


def entry_usage(entry: DictionaryEntry) -> dict[str, int]:
    """How many records of each table refer to `entry` (in any status), by
    table name: {"customer": 2, "service": 0}."""
    usage = {}
    for model, keys in _tables_using_entries().items():
        refers = reduce(operator.or_, (key == entry.id for key in keys))
        usage[model._meta.table_name] = model.select().where(refers).count()
    return dict(sorted(usage.items()))


def _in_use_message(usage: dict[str, int]) -> str:
    uses = t("dictionary.used_by.separator").join(
        _used_by(table, count) for table, count in usage.items() if count)
    return t("dictionary.error.in_use", uses=uses)


def _used_by(table: str, count: int) -> str:
    key = f"dictionary.used_by.{table}"
    text = t(key, count=count)
    # A table whose words are not written yet is still named, by its table name.
    return text if text != key else t("dictionary.used_by.other", count=count, table=table)


def _clean_entry(values: dict, partial: bool = False) -> dict:
    data = clean(DICTIONARY_FIELDS, values, partial=partial)
    if "editable" in data:
        if str(data["editable"]) not in ("0", "1", "True", "False"):
            raise ValidationError({"editable": t("error.not_a_choice")})
        data["editable"] = str(data["editable"]) in ("1", "True")
    if data.get("sort_order") is None:
        data.pop("sort_order", None)
    return data


def _check_item_free(type_name: str, item: str, except_id: int | None = None) -> None:
    query = DictionaryEntry.select().where((DictionaryEntry.type == type_name)
                                           & (DictionaryEntry.item == item))
    if except_id is not None:
        query = query.where(DictionaryEntry.id != except_id)
    if query.exists():
        raise ValidationError({"item": t("dictionary.error.item_taken")})


def create_entry(actor, values: dict) -> DictionaryEntry:
    require(actor, DICTIONARY_MANAGE)
    data = _clean_entry(values)
    try:
        _check_stage_rate(data["type"], data["value"])
        with database.atomic():
            _check_item_free(data["type"], data["item"])
            entry = DictionaryEntry.create(**data)
            audit.record(actor, "dictionary_entry", entry.id, audit.CREATE,
                         {name: (None, value) for name, value in data.items()})
    except IntegrityError:
        # Created by someone else at the same moment.
        raise ValidationError({"item": t("dictionary.error.item_taken")}) from None
    return entry


def _locked(current: DictionaryEntry) -> CrmError | None:
    """Why a write of a still existing entry touched no row: locked meanwhile,
    or (None) saved by someone else since it was opened."""
    return None if current.editable else InvalidTransition(t("dictionary.error.locked"))


def update_entry(actor, entry: DictionaryEntry, values: dict) -> DictionaryEntry:
    """Change an editable entry. Its type cannot change while it is in use."""
    require(actor, DICTIONARY_MANAGE)
    if not entry.editable:
        raise InvalidTransition(t("dictionary.error.locked"))
    data = _clean_entry(values, partial=True)
    _check_stage_rate(data.get("type", entry.type), data.get("value", entry.value))
    try:
        with database.atomic():
            if data.get("type", entry.type) != entry.type:
                usage = entry_usage(entry)
                if any(usage.values()):
                    raise ValidationError({"type": _in_use_message(usage)})
            _check_item_free(data.get("type", entry.type), data.get("item", entry.item), entry.id)
            changes = audit.diff(entry, data)
            update_as_read(entry, data, DictionaryEntry.editable == True,  # noqa: E712
                           why=_locked)
            audit.record(actor, "dictionary_entry", entry.id, audit.UPDATE, changes)
    except IntegrityError:
        raise ValidationError({"item": t("dictionary.error.item_taken")}) from None
    return DictionaryEntry.get_by_id(entry.id)


def delete_entry(actor, entry: DictionaryEntry) -> None:
    """Delete an editable entry that no record uses."""
    require(actor, DICTIONARY_MANAGE)
    if not entry.editable:
        raise InvalidTransition(t("dictionary.error.locked"))
    usage = entry_usage(entry)
    if any(usage.values()):
        raise InvalidTransition(_in_use_message(usage))
    try:
        with database.atomic():
            delete_as_read(entry, DictionaryEntry.editable == True,  # noqa: E712
                           why=_locked)
            audit.record(actor, "dictionary_entry", entry.id, audit.DELETE,
                         {"type": (entry.type, None), "item": (entry.item, None)})
    except IntegrityError:
        # A record took it into use after the check above; the
        # database's foreign key refused the delete.
        raise InvalidTransition(_in_use_message(entry_usage(entry))) from None
