"""A customer's organisation (客户组织结构, M14): departments as a tree,
and contacts placed in a department with a position (岗位).

- A department has a name and, but for the top ones, a parent department
  of the same customer; sibling names differ. A department moves under
  another only where that makes no cycle (not under itself or under one of
  its own sub-departments). A department with sub-departments or people is
  not deleted: they are moved first.
- A contact's position is the contact's own 职务 field; placing a contact
  sets its department and position together, and every placement is kept
  as a `ContactMove` (who, when, from, to).

Rights: whoever may change the customer's contacts (customer.edit on own
customers, customer.edit_all on any) changes its organisation; whoever
sees the customer sees it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, IntegerField

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models.base import BaseModel, database
from crm_tui.models.customers import (Contact, Customer, check_records_editable,
                                      customer_for_write)
from crm_tui.models.errors import InvalidTransition, NotFound, ValidationError
from crm_tui.models.kinds import Action, Column, RecordKind, moment_text, register, user_name
from crm_tui.models.users import User
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import delete_as_read, record_id, update_as_read, visible_through

NAME_FIELDS = (Field("name", "department.name", required=True, max_length=60),)


def _department_choices(customer_id: int, leaving_out: "Department | None" = None
                        ) -> list[tuple[int, str]]:
    """The customer's departments by their path ("销售部 / 华北组"), less
    `leaving_out` and its sub-departments (where it cannot move)."""
    paths = department_paths(customer_id)
    excluded = set(subtree_ids(leaving_out)) if leaving_out is not None else set()
    return sorted(((department_id, path) for department_id, path in paths.items()
                   if department_id not in excluded), key=lambda choice: choice[1])


def parent_fields(department: "Department") -> tuple[Field, ...]:
    return (Field("parent", "department.parent", kind="choice",
                  choices=lambda: _department_choices(department.customer_id, department)),)


def place_fields(customer_id: int) -> tuple[Field, ...]:
    return (Field("department", "department.place.department", kind="choice", required=True,
                  choices=lambda: _department_choices(customer_id)),
            Field("position", "department.place.position", required=True, max_length=50))


class Department(BaseModel):
    customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    name = CharField(max_length=60)
    parent = ForeignKeyField("self", null=True, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("customer", "parent"), False),)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create_by(cls, actor: User, customer: Customer | int, values: dict[str, Any],
                  parent: "Department | None" = None) -> "Department":
        """A department of the customer: at the top, or under `parent`."""
        data = clean(NAME_FIELDS, values)
        with database.atomic():
            owner = _customer_held(actor, customer)
            if parent is not None:
                parent = _department_of(owner.id, parent.id, "parent")
            _check_name_free(owner.id, parent.id if parent else None, data["name"])
            department = cls.create(customer=owner.id, name=data["name"],
                                    parent=parent.id if parent else None,
                                    created_at=clock.now())
            audit.record(actor, "department", department.id, audit.CREATE,
                         {"name": (None, data["name"]),
                          "parent": (None, parent.name if parent else None)})
        return department

    def rename_by(self, actor: User, values: dict[str, Any]) -> "Department":
        data = clean(NAME_FIELDS, values)
        with database.atomic():
            owner = _customer_held(actor, self.customer_id)
            _check_name_free(owner.id, self.parent_id, data["name"], self.id)
            changes = audit.diff(self, data)
            update_as_read(self, data, Department.customer == owner.id)
            audit.record(actor, "department", self.id, audit.UPDATE, changes)
        return Department.get_by_id(self.id)

    def move_under_by(self, actor: User, values: dict[str, Any]) -> "Department":
        """Under another department of the customer, or (no parent) to the
        top; never under itself or its own sub-departments."""
        data = clean(parent_fields(self), values)
        with database.atomic():
            owner = _customer_held(actor, self.customer_id)
            parent = None
            if data["parent"] is not None:
                parent = _department_of(owner.id, record_id(data["parent"]), "parent")
                if parent.id in subtree_ids(self):
                    raise ValidationError({"parent": t("department.error.cycle")})
            _check_name_free(owner.id, parent.id if parent else None, self.name, self.id)
            update_as_read(self, {"parent": parent.id if parent else None},
                           Department.customer == owner.id)
            old_parent = Department.get_or_none(Department.id == self.parent_id)
            audit.record(actor, "department", self.id, "move",
                         {"parent": (old_parent.name if old_parent else None,
                                     parent.name if parent else None)})
        return Department.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        with database.atomic():
            owner = _customer_held(actor, self.customer_id)
            if Department.select().where(Department.parent == self.id).exists():
                raise InvalidTransition(t("department.error.has_children"))
            if ContactPlacement.select().where(ContactPlacement.department == self.id).exists():
                raise InvalidTransition(t("department.error.has_people"))
            delete_as_read(self, Department.customer == owner.id)
            audit.record(actor, "department", self.id, audit.DELETE, {"name": (self.name, "")})


class ContactPlacement(BaseModel):
    """Where a contact is now: one department of its customer."""

    contact = ForeignKeyField(Contact, unique=True, backref="+", on_delete="CASCADE")
    department = ForeignKeyField(Department, backref="+", on_delete="RESTRICT")


class ContactMove(BaseModel):
    """One placement of a contact: from where (none at first) to where,
    with the positions, by whom and when. Names are kept as they were, so
    the history reads the same after a department is renamed or removed."""

    customer = ForeignKeyField(Customer, backref="+", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, backref="+", on_delete="CASCADE")
    from_department = ForeignKeyField(Department, null=True, backref="+", on_delete="SET NULL")
    from_name = CharField(max_length=300, default="")
    to_department = ForeignKeyField(Department, null=True, backref="+", on_delete="SET NULL")
    to_name = CharField(max_length=300, default="")
    from_position = CharField(max_length=50, default="")
    to_position = CharField(max_length=50, default="")
    moved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    moved_at = DateTimeField(default=clock.now, index=True)


def place_contact_by(actor: User, contact: Contact, values: dict[str, Any]) -> ContactMove:
    """Put a contact in a department of its customer with a position (a
    move when it was elsewhere); kept as a ContactMove."""
    with database.atomic():
        owner = _customer_held(actor, contact.customer_id)
        data = clean(place_fields(owner.id), values)
        current = Contact.get_or_none((Contact.id == contact.id)
                                      & (Contact.customer == owner.id))
        if current is None:
            raise NotFound(t("error.not_found"))
        department = _department_of(owner.id, record_id(data["department"]), "department")
        placement = ContactPlacement.get_or_none(ContactPlacement.contact == current.id)
        before = (Department.get_by_id(placement.department_id) if placement else None)
        if before is not None and before.id == department.id and \
                current.position == data["position"]:
            raise ValidationError({"department": t("department.error.same_place")})
        paths = department_paths(owner.id)
        if placement is None:
            ContactPlacement.create(contact=current.id, department=department.id)
        else:
            (ContactPlacement.update(department=department.id)
             .where(ContactPlacement.id == placement.id).execute())
        if current.position != data["position"]:
            update_as_read(current, {"position": data["position"]})
        move = ContactMove.create(
            customer=owner.id, contact=current.id,
            from_department=before.id if before else None,
            from_name=paths.get(before.id, "") if before else "",
            to_department=department.id, to_name=paths[department.id],
            from_position=current.position, to_position=data["position"],
            moved_by=actor.id, moved_at=clock.now())
        audit.record(actor, "contact", current.id, "move",
                     {"department": (move.from_name or None, move.to_name),
                      "position": (current.position, data["position"])})
    return move


# ----- rules shared by the writes ------------------------------------------------

def _customer_held(actor: User, customer: Customer | int) -> Customer:
    """The customer, checked for the actor's right to change it; on
    PostgreSQL its row is locked for the transaction, so two changes of
    one customer's tree (which could make a cycle between them) go one
    after the other. SQLite's write transactions already do."""
    if database.for_update:
        (Customer.select(Customer.id).where(Customer.id == record_id(customer))
         .for_update().execute())
    return customer_for_write(actor, customer)


def _department_of(customer_id: int, department_id: int | None, field_name: str) -> Department:
    found = Department.get_or_none((Department.id == department_id)
                                   & (Department.customer == customer_id))
    if found is None:
        raise ValidationError({field_name: t("error.not_a_choice")})
    return found


def _check_name_free(customer_id: int, parent_id: int | None, name: str,
                     leaving_out: int | None = None) -> None:
    query = Department.select().where((Department.customer == customer_id)
                                      & (Department.name == name))
    query = query.where(Department.parent.is_null() if parent_id is None
                        else Department.parent == parent_id)
    if leaving_out is not None:
        query = query.where(Department.id != leaving_out)
    if query.exists():
        raise ValidationError({"name": t("department.error.name_taken")})


def subtree_ids(department: Department) -> list[int]:
    """The department and all departments under it."""
    children: dict[int | None, list[int]] = {}
    for department_id, parent_id in (Department.select(Department.id, Department.parent)
                                     .where(Department.customer == department.customer_id)
                                     .tuples()):
        children.setdefault(parent_id, []).append(department_id)
    found, waiting = [], [department.id]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, []))
    return found


def department_paths(customer_id: int) -> dict[int, str]:
    """Each department of the customer → "top / … / name"."""
    rows = {department_id: (name, parent_id) for department_id, name, parent_id in
            Department.select(Department.id, Department.name, Department.parent)
            .where(Department.customer == customer_id).tuples()}
    paths: dict[int, str] = {}

    def path(department_id: int, seen: frozenset = frozenset()) -> str:
        if department_id in paths:
            return paths[department_id]
        name, parent_id = rows[department_id]
        # `seen` guards against a cycle the rules never make.
        if parent_id is None or parent_id not in rows or parent_id in seen:
            paths[department_id] = name
        else:
            paths[department_id] = f"{path(parent_id, seen | {department_id})} / {name}"
        return paths[department_id]

    for department_id in rows:
        path(department_id)
    return paths


# ----- reading the tree --------------------------------------------------------------

@dataclass(frozen=True)
class OrgNode:
    """A department and what is under it, or a contact (department None)."""

    kind: str  # "department" or "contact"
    id: int
    label: str
    children: tuple["OrgNode", ...] = ()


def organisation_of(user: User, customer_id: int) -> tuple[list[OrgNode], list[OrgNode]]:
    """The customer's department tree (top departments, each with its
    sub-departments and then its people), and the contacts placed nowhere
    yet. NotFound unless `user` sees the customer."""
    Customer.get_visible(user, customer_id)
    departments = list(Department.select().where(Department.customer == customer_id)
                       .order_by(Department.name, Department.id))
    people: dict[int | None, list[OrgNode]] = {}
    for contact_id, name, position, department_id in (
            Contact.select(Contact.id, Contact.name, Contact.position,
                           ContactPlacement.department)
            .join(ContactPlacement, JOIN.LEFT_OUTER,
                  on=(ContactPlacement.contact == Contact.id))
            .where(Contact.customer == customer_id)
            .order_by(Contact.name, Contact.id).tuples()):
        label = f"{name} ({position})" if position else name
        people.setdefault(department_id, []).append(OrgNode("contact", contact_id, label))
    children: dict[int | None, list[Department]] = {}
    for department in departments:
        children.setdefault(department.parent_id, []).append(department)

    def node(department: Department) -> OrgNode:
        under = [node(child) for child in children.get(department.id, [])]
        return OrgNode("department", department.id, department.name,
                       tuple(under + people.get(department.id, [])))

    return [node(top) for top in children.get(None, [])], people.get(None, [])


def moves_of_contact(user: User, contact_id: int) -> list[ContactMove]:
    """A contact's placements, newest first (NotFound unless the user
    sees its customer)."""
    contact = visible_through(Contact.customer)(user, contact_id)
    return list(ContactMove.select().where(ContactMove.contact == contact.id)
                .order_by(ContactMove.moved_at.desc(), ContactMove.id.desc()))


def move_text(move: ContactMove) -> str:
    """"2026-11-29 10:00 王经理: 采购部 (经理) → 销售部 (总监)"."""
    before = (f"{move.from_name} ({move.from_position})" if move.from_name
              else t("department.nowhere"))
    return (f"{moment_text(move.moved_at)} {user_name(move.moved_by_id)}: "
            f"{before} → {move.to_name} ({move.to_position})")


# ----- the record kinds (the screen's tree acts through them) ---------------------

def _departments_query(user: User, search: str, within: dict[str, Any]):
    Customer.get_visible(user, within["parent"])
    query = (Department.select().where(Department.customer == within["parent"])
             .order_by(Department.name, Department.id))
    for word in search.split():
        query = query.where(Department.name.contains(word))
    return query


def _check_department(department: Department, actor: User) -> None:
    check_records_editable(actor, Customer.get_or_none(Customer.id == department.customer_id))


def _check_contact(contact: Contact, actor: User) -> None:
    check_records_editable(actor, Customer.get_or_none(Customer.id == contact.customer_id))


DEPARTMENT = register(RecordKind(
    name="department", title="department.title", parent="customer",
    columns=[Column("name", "department.name", 30, Department.name)],
    query=_departments_query, get=visible_through(Department.customer),
    words=lambda department: {"name": department.name},
    actions=[
        Action("new", "a", "department.action.new", on_row=False,
               check=lambda customer, actor: check_records_editable(actor, customer),
               form=lambda _customer, _actor: NAME_FIELDS, title="department.new_title",
               done="department.saved",
               run=lambda customer, actor, values: Department.create_by(actor, customer,
                                                                        values)),
        Action("sub", "b", "department.action.sub", check=_check_department,
               form=lambda _department, _actor: NAME_FIELDS, title="department.sub_title",
               done="department.saved",
               run=lambda department, actor, values: Department.create_by(
                   actor, department.customer_id, values, parent=department)),
        Action("rename", "r", "department.action.rename", check=_check_department,
               form=lambda _department, _actor: NAME_FIELDS,
               prefill=lambda department, _actor: {"name": department.name},
               title="department.rename_title", done="department.saved",
               run=lambda department, actor, values: department.rename_by(actor, values)),
        Action("move", "p", "department.action.move", check=_check_department,
               form=lambda department, _actor: parent_fields(department),
               prefill=lambda department, _actor: {"parent": department.parent_id},
               title="department.move_title", done="department.saved",
               run=lambda department, actor, values: department.move_under_by(actor, values)),
        Action("delete", "d", "department.action.delete", check=_check_department,
               ask="department.delete_question", done="department.deleted",
               run=lambda department, actor, _values: department.delete_by(actor)),
    ],
))

# A contact as the organisation tree shows it: placing it is its action.
ORG_CONTACT = register(RecordKind(
    name="org_contact", title="department.people", parent="customer",
    changes=("contact", "department"),
    columns=[Column("name", "contact.name", 20, Contact.name),
             Column("position", "contact.position", 20, Contact.position)],
    query=lambda user, search, within: Contact.of_customer(user, within["parent"]),
    get=visible_through(Contact.customer),
    words=lambda contact: {"name": contact.name},
    actions=[
        Action("place", "m", "department.action.place", check=_check_contact,
               form=lambda contact, _actor: place_fields(contact.customer_id),
               prefill=lambda contact, _actor: {
                   "department": ContactPlacement.select(ContactPlacement.department)
                   .where(ContactPlacement.contact == contact.id).scalar(),
                   "position": contact.position},
               title="department.place_title", done="department.placed",
               run=lambda contact, actor, values: place_contact_by(actor, contact, values)),
    ],
))
