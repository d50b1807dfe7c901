"""No silent last write wins: plan item content and result, dictionary
entries, user edits and role renames refuse a save made from a copy opened
before someone else's save ("changed since you opened it"); all go through
the one conditional write of models/workflow.py."""
from __future__ import annotations

import pytest

from crm_tui.models import DictionaryEntry, PlanItem, Role, User
from crm_tui.models import admin, dictionary
from crm_tui.models.errors import ConcurrentEdit, InvalidTransition, NotFound
from crm_tui.models.workflow import delete_as_read, update_as_read
from tests.test_opportunities import new_opportunity

CHANGED = "changed this record after you opened it"


@pytest.fixture
def item(crm_db, people):
    developing = new_opportunity(people.supervisor).assign_by(people.supervisor, people.manager)
    return developing.add_plan_item(people.manager, {"date": "2026-04-01", "content": "拜访"})


def test_plan_item_content_and_result_refuse_a_stale_save(item, people):
    mine, theirs = PlanItem.get_by_id(item.id), PlanItem.get_by_id(item.id)
    theirs.update_content_by(people.manager, {"content": "上门拜访"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        mine.update_content_by(people.manager, {"content": "电话"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        mine.record_result_by(people.manager, {"result": "有意向"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        mine.delete_by(people.manager)
    stored = PlanItem.get_by_id(item.id)
    assert (stored.content, stored.result) == ("上门拜访", "")
    # Opened again, the save goes through.
    assert stored.record_result_by(people.manager, {"result": "有意向"}).result == "有意向"


def test_dictionary_entry_refuses_a_stale_save(crm_db, people):
    entry = dictionary.create_entry(people.admin, {"type": "行业", "item": "制造", "value": "M",
                                                   "editable": "1"})
    mine = DictionaryEntry.get_by_id(entry.id)
    dictionary.update_entry(people.admin, DictionaryEntry.get_by_id(entry.id), {"value": "MFG"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        dictionary.update_entry(people.admin, mine, {"item": "制造业"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        dictionary.delete_entry(people.admin, mine)
    stored = DictionaryEntry.get_by_id(entry.id)
    assert (stored.item, stored.value) == ("制造", "MFG")
    # Locked meanwhile: the refusal says so, not "changed".
    DictionaryEntry.update(editable=False).where(DictionaryEntry.id == entry.id).execute()
    with pytest.raises(InvalidTransition):
        dictionary.update_entry(people.admin, stored, {"item": "制造业"})


def test_user_edit_refuses_a_stale_save(crm_db, people):
    mine = User.get_by_id(people.manager.id)
    admin.update_user(people.admin, User.get_by_id(people.manager.id), {"role": "supervisor"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        admin.update_user(people.admin, mine, {"display_name": "王大经理"})
    stored = User.get_by_id(people.manager.id)
    assert (stored.display_name, stored.role.key) == ("王经理", "supervisor")
    # Disabling the account counts as a change too.
    admin.set_user_active(people.admin, User.get_by_id(people.manager.id), False)
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        admin.update_user(people.admin, stored, {"display_name": "王大经理"})


def test_a_failed_login_does_not_make_an_open_user_form_stale(crm_db, people):
    from crm_tui.models.users import LoginFailed, authenticate

    mine = User.get_by_id(people.manager.id)
    with pytest.raises(LoginFailed):
        authenticate("wang", "wrong password", max_failures=5, lockout_minutes=15)
    assert admin.update_user(people.admin, mine, {"display_name": "王大经理"}).display_name == "王大经理"


def test_role_rename_refuses_a_stale_save(crm_db, people):
    role = admin.create_role(people.admin, {"key": "auditor", "name": "审计员"})
    mine = Role.get_by_id(role.id)
    admin.rename_role(people.admin, Role.get_by_id(role.id), {"name": "内部审计"})
    with pytest.raises(ConcurrentEdit, match=CHANGED):
        admin.rename_role(people.admin, mine, {"name": "外部审计"})
    assert Role.get_by_id(role.id).name == "内部审计"


def test_the_one_conditional_write_says_gone_or_changed(crm_db, people):
    role = admin.create_role(people.admin, {"key": "auditor", "name": "审计员"})
    stale = Role.get_by_id(role.id)
    update_as_read(Role.get_by_id(role.id), {"name": "一"})
    with pytest.raises(ConcurrentEdit):
        update_as_read(stale, {"name": "二"})
    fresh = Role.get_by_id(role.id)
    assert (fresh.name, fresh.version) == ("一", stale.version + 1)
    with pytest.raises(ConcurrentEdit):
        delete_as_read(stale)
    delete_as_read(fresh)
    with pytest.raises(NotFound):
        update_as_read(fresh, {"name": "三"})
