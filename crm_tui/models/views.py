"""Saved views (视图): a list's filter, sort and columns under a name.

Each user keeps their own views; an administrator (saved_view.publish) may
publish one of theirs to every user. A view belongs to one record kind's
list (`kind`); its filter is in the filter language (crm_tui.models.filters)
and is checked when saved, its columns and sort are the keys of the kind's
columns.

For campaigns: `customer_views(user)` lists the views of the customer list
`user` may use, and `view_customers(user, view_id)` gives the customers
such a view selects, in `user`'s scope (the scope of the user who runs it,
never that of the view's author).
"""
from __future__ import annotations

from typing import Any, Sequence

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.errors import NotFound, PermissionDenied, ValidationError
from crm_tui.models.filter_language import FilterError
from crm_tui.models.filters import check, error_text, list_query
from crm_tui.models.kinds import RecordKind, kind
from crm_tui.models.users import User, require
from crm_tui.models.workflow import delete_as_read, record_id, update_as_read

NAME_LENGTH = 60


class SavedView(BaseModel):
    owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=40)
    name = CharField(max_length=NAME_LENGTH)
    filter_text = TextField(default="")
    # The key of the column sorted by ("" for the list's own order).
    sort = CharField(max_length=60, default="")
    descending = BooleanField(default=False)
    # The keys of the columns shown, comma separated, in order ("" for all).
    columns = TextField(default="")
    shared = BooleanField(default=False, index=True)
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    class Meta:
        table_name = "saved_view"
        indexes = ((("owner", "kind", "name"), True),)

    def __str__(self) -> str:
        return self.name

    @property
    def column_keys(self) -> list[str]:
        return [key for key in self.columns.split(",") if key]

    # ----- scope -------------------------------------------------------
    @classmethod
    def usable_by(cls, user: User | None, kind_name: str | None = None):
        """The views `user` may open: their own and the published ones."""
        if user is None:
            return cls.select().where(False)
        query = cls.select().where((cls.owner == user.id) | (cls.shared == True))  # noqa: E712
        if kind_name is not None:
            query = query.where(cls.kind == kind_name)
        return query.order_by(cls.name, cls.id)

    @classmethod
    def get_usable(cls, user: User | None, view_id: Any) -> SavedView:
        found = cls.usable_by(user).where(cls.id == record_id(view_id)).first()
        if found is None:
            raise NotFound(t("error.not_found"))
        return found

    def check_changeable_by(self, actor: User | None) -> None:
        """Raise unless `actor` may change or delete this view: its owner, or
        for a published view anyone who may publish."""
        if actor is None:
            raise PermissionDenied(t("views.error.not_yours"))
        if self.owner_id == actor.id:
            return
        if self.shared and actor.has_perm(perm.VIEW_PUBLISH):
            return
        raise PermissionDenied(t("views.error.not_yours"))

    # ----- writes ------------------------------------------------------
    @classmethod
    def save_by(cls, actor: User | None, kind_name: str, name: str, filter_text: str = "",
                sort: str = "", descending: bool = False,
                columns: Sequence[str] = ()) -> SavedView:
        """Save the list's state as the actor's view `name`; an own view of
        that name and list is replaced."""
        if actor is None:
            raise PermissionDenied(t("views.error.not_yours"))
        data = _clean_view(kind_name, name, filter_text, sort, descending, columns)
        with database.atomic():
            existing = cls.get_or_none((cls.owner == actor.id) & (cls.kind == kind_name)
                                       & (cls.name == data["name"]))
            if existing is None:
                view = cls.create(owner=actor.id, kind=kind_name, **data)
                audit.record(actor, "saved_view", view.id, audit.CREATE)
                return view
            data["updated_at"] = clock.now()
            changes = audit.diff(existing, data)
            update_as_read(existing, data)
            audit.record(actor, "saved_view", existing.id, audit.UPDATE, changes)
        return cls.get_by_id(existing.id)

    def publish_by(self, actor: User | None, shared: bool = True) -> SavedView:
        """Publish the view to every user (or take it back)."""
        require(actor, perm.VIEW_PUBLISH)
        self.check_changeable_by(actor)
        with database.atomic():
            update_as_read(self, {"shared": shared, "updated_at": clock.now()})
            audit.record(actor, "saved_view", self.id, audit.UPDATE,
                         {"shared": (self.shared, shared)})
        return SavedView.get_by_id(self.id)

    def delete_by(self, actor: User | None) -> None:
        self.check_changeable_by(actor)
        with database.atomic():
            delete_as_read(self)
            audit.record(actor, "saved_view", self.id, audit.DELETE, {"name": (self.name, "")})

    # ----- using a view -----------------------------------------------
    def query_for(self, user: User | None) -> Any:
        """The rows this view shows to `user`, in its order, in `user`'s scope."""
        record_kind = kind(self.kind)
        query = list_query(record_kind, user, self.filter_text, {})
        column = next((column for column in record_kind.columns
                       if column.key == self.sort and column.expression is not None), None)
        if column is not None:
            ordering = column.expression.desc() if self.descending else column.expression.asc()
            # The primary key breaks ties, so the order is the same every time.
            query = query.order_by(ordering, query.model._meta.primary_key)
        return query


def _clean_view(kind_name: str, name: str, filter_text: str, sort: str, descending: bool,
                columns: Sequence[str]) -> dict[str, Any]:
    errors = {}
    record_kind = _known_kind(kind_name)
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = t("error.required")
    elif len(name) > NAME_LENGTH:
        errors["name"] = t("views.error.name_length", length=NAME_LENGTH)
    if record_kind is None:
        raise ValidationError({"kind": t("views.error.no_list")})
    filter_text = (filter_text or "").strip()
    try:
        check(record_kind, filter_text)
    except FilterError as error:
        errors["filter_text"] = error_text(error)
    keys = [column.key for column in record_kind.columns]
    columns = [key for key in columns if key]
    if any(key not in keys for key in columns) or len(set(columns)) != len(columns):
        errors["columns"] = t("views.error.columns")
    sortable = [column.key for column in record_kind.columns if column.expression is not None]
    if sort and sort not in sortable:
        errors["sort"] = t("views.error.sort")
    if errors:
        raise ValidationError(errors)
    # All columns in the list's own order is no choice at all: stored as "".
    chosen = "" if columns == keys else ",".join(columns)
    return {"name": name, "filter_text": filter_text, "sort": sort or "",
            "descending": bool(descending and sort), "columns": chosen}


def _known_kind(kind_name: str) -> RecordKind | None:
    try:
        return kind(kind_name)
    except KeyError:
        return None


# ----- for campaigns --------------------------------------------------------

def customer_views(user: User | None) -> list[tuple[int, str]]:
    """(id, name) of the customer-list views `user` may use as a target."""
    return [(view.id, view.name) for view in SavedView.usable_by(user, "customer")]


def view_customers(user: User | None, view_id: Any) -> Any:
    """The customers view `view_id` selects for `user`, in `user`'s scope
    (a select of Customer rows with the list's joined names); NotFound when
    `user` may not use the view or it is not a customer view."""
    view = SavedView.get_usable(user, view_id)
    if view.kind != "customer":
        raise NotFound(t("error.not_found"))
    return view.query_for(user)


__all__ = ["SavedView", "customer_views", "view_customers"]
