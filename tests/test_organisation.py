"""A customer's organisation (M14): the department tree and its refusals
(no cycles, no deleting a department with people or sub-departments), and
every placement of a contact kept as a move, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.models import AuditLog, Contact, ContactMove, ContactPlacement, Department
from crm_tui.models.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from crm_tui.models.organisation import (department_paths, move_text, moves_of_contact,
                                         organisation_of, place_contact_by)
from tests.conftest import at, make_customer, offers


def add_contact(customer, name="李明", position="采购经理"):
    return Contact.create_by(customer.manager, customer, {
        "name": name, "sex": "M", "position": position, "office_phone": "010-62345678"})


@pytest.fixture
def customer(crm_db, people):
    return make_customer(people.manager, name="北京远大科技有限公司")


def department(actor, customer, name, parent=None):
    return Department.create_by(actor, customer, {"name": name}, parent=parent)


def test_a_tree_of_departments_is_built(customer, people):
    sales = department(people.manager, customer, "销售部")
    north = department(people.manager, customer, "华北组", parent=sales)
    department(people.manager, customer, "财务部")
    li = add_contact(customer)
    add_contact(customer, name="张三", position="司机")
    place_contact_by(people.manager, li, {"department": north.id, "position": "组长"})

    tops, unplaced = organisation_of(people.manager, customer.id)
    assert [(node.label, [child.label for child in node.children]) for node in tops] == [
        ("财务部", []), ("销售部", ["华北组"])]
    assert [node.label for node in tops[1].children[0].children] == ["李明 (组长)"]
    assert [node.label for node in unplaced] == ["张三 (司机)"]
    assert department_paths(customer.id)[north.id] == "销售部 / 华北组"
    # Another account manager does not see it, nor change it.
    with pytest.raises(NotFound):
        organisation_of(people.other_manager, customer.id)
    with pytest.raises(PermissionDenied):
        department(people.other_manager, customer, "行政部")
    with pytest.raises(PermissionDenied):
        department(people.executive, customer, "行政部")
    assert not offers(sales, people.other_manager, "rename")
    assert organisation_of(people.executive, customer.id)[0]


def test_names_are_required_and_differ_among_siblings(customer, people):
    sales = department(people.manager, customer, "销售部")
    with pytest.raises(ValidationError) as refused:
        department(people.manager, customer, " ")
    assert "name" in refused.value.errors
    with pytest.raises(ValidationError):
        department(people.manager, customer, "销售部")
    north = department(people.manager, customer, "华北组", parent=sales)
    top_north = department(people.manager, customer, "华北组")  # another level: allowed
    with pytest.raises(ValidationError):
        top_north.rename_by(people.manager, {"name": "销售部"})
    renamed = north.rename_by(people.manager, {"name": "华北一组"})
    assert renamed.name == "华北一组"
    assert Department.select().count() == 3


def test_a_department_never_goes_under_itself_or_its_own(customer, people):
    sales = department(people.manager, customer, "销售部")
    north = department(people.manager, customer, "华北组", parent=sales)
    beijing = department(people.manager, customer, "北京小组", parent=north)
    finance = department(people.manager, customer, "财务部")
    for parent in (sales, north, beijing):
        with pytest.raises(ValidationError) as refused:
            Department.get_by_id(sales.id).move_under_by(people.manager, {"parent": parent.id})
        assert "parent" in refused.value.errors
    assert Department.get_by_id(sales.id).parent_id is None
    moved = Department.get_by_id(north.id).move_under_by(people.manager, {"parent": finance.id})
    assert moved.parent_id == finance.id
    assert department_paths(customer.id)[beijing.id] == "财务部 / 华北组 / 北京小组"
    top = moved.move_under_by(people.manager, {"parent": None})
    assert top.parent_id is None
    # Another customer's department is no choice.
    other = make_customer(people.manager, name="上海某公司")
    elsewhere = department(people.manager, other, "采购部")
    with pytest.raises(ValidationError):
        top.move_under_by(people.manager, {"parent": elsewhere.id})


def test_a_department_with_people_or_sub_departments_is_not_deleted(customer, people):
    sales = department(people.manager, customer, "销售部")
    north = department(people.manager, customer, "华北组", parent=sales)
    li = add_contact(customer)
    place_contact_by(people.manager, li, {"department": north.id, "position": "组长"})
    with pytest.raises(InvalidTransition):
        Department.get_by_id(sales.id).delete_by(people.manager)
    with pytest.raises(InvalidTransition):
        Department.get_by_id(north.id).delete_by(people.manager)
    place_contact_by(people.manager, Contact.get_by_id(li.id),
                     {"department": sales.id, "position": "经理"})
    Department.get_by_id(north.id).delete_by(people.manager)
    assert Department.select().count() == 1
    # The history still reads as it was.
    assert "销售部 / 华北组" in move_text(moves_of_contact(people.manager, li.id)[0])


def test_every_move_of_a_contact_is_kept(customer, people):
    sales = department(people.manager, customer, "销售部")
    purchasing = department(people.manager, customer, "采购部")
    li = add_contact(customer)
    at(2026, 11, 20)
    first = place_contact_by(people.manager, li, {"department": purchasing.id,
                                                  "position": "采购经理"})
    at(2026, 11, 21)
    with pytest.raises(ValidationError):
        place_contact_by(people.manager, Contact.get_by_id(li.id),
                         {"department": purchasing.id, "position": "采购经理"})
    place_contact_by(people.manager, Contact.get_by_id(li.id),
                     {"department": sales.id, "position": "销售总监"})
    moves = moves_of_contact(people.manager, li.id)
    assert [(m.from_name, m.from_position, m.to_name, m.to_position, m.moved_by_id, m.moved_at)
            for m in moves] == [
        ("采购部", "采购经理", "销售部", "销售总监", people.manager.id, dt.datetime(2026, 11, 21, 9)),
        ("", "采购经理", "采购部", "采购经理", people.manager.id, dt.datetime(2026, 11, 20, 9))]
    assert first.id == moves[1].id
    assert Contact.get_by_id(li.id).position == "销售总监"
    assert ContactPlacement.get(ContactPlacement.contact == li.id).department_id == sales.id
    assert "王经理" in move_text(moves[0]) and "→ 销售部 (销售总监)" in move_text(moves[0])
    assert AuditLog.select().where((AuditLog.table_name == "contact")
                                   & (AuditLog.action == "move")).count() >= 2
    # Refused: a department of another customer; another manager; no position.
    other = make_customer(people.other_manager, name="上海某公司")
    theirs = department(people.other_manager, other, "总部")
    with pytest.raises(ValidationError):
        place_contact_by(people.manager, Contact.get_by_id(li.id),
                         {"department": theirs.id, "position": "x"})
    with pytest.raises(PermissionDenied):
        place_contact_by(people.other_manager, Contact.get_by_id(li.id),
                         {"department": purchasing.id, "position": "x"})
    with pytest.raises(ValidationError):
        place_contact_by(people.manager, Contact.get_by_id(li.id),
                         {"department": purchasing.id, "position": ""})
    assert ContactMove.select().count() == 2
    with pytest.raises(NotFound):
        moves_of_contact(people.other_manager, li.id)


def test_a_stale_rename_is_refused(customer, people):
    sales = department(people.manager, customer, "销售部")
    sales.rename_by(people.manager, {"name": "市场部"})
    from crm_tui.models.errors import ConcurrentEdit
    with pytest.raises(ConcurrentEdit):
        sales.rename_by(people.manager, {"name": "营销部"})
    assert Department.get_by_id(sales.id).name == "市场部"
