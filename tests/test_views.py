"""Saved views: kept per user, published by an administrator, checked when
saved, and as a campaign's target giving customers in the user's own scope.
SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from crm_tui.models import AuditLog
from crm_tui.models.dictionary import REGION
from crm_tui.models.errors import NotFound, PermissionDenied, ValidationError
from crm_tui.models.views import SavedView, customer_views, view_customers
from tests.conftest import entry, make_customer


@pytest.fixture
def fujian(crm_db, people):
    for manager, name in ((people.manager, "福建王的客户"), (people.other_manager, "福建赵的客户"),
                          (people.manager, "北京王的客户")):
        region = "福建" if name.startswith("福建") else "北京"
        make_customer(manager, name=name, region=entry(REGION, region).id)
    return people


def test_a_view_holds_filter_sort_and_columns(fujian):
    view = SavedView.save_by(fujian.manager, "customer", " 福建  客户 ", "region:福建",
                             "name", True, ["name", "number"])
    assert (view.name, view.filter_text, view.sort, view.descending, view.column_keys) == (
        "福建 客户", "region:福建", "name", True, ["name", "number"])
    assert AuditLog.select().where(AuditLog.table_name == "saved_view").count() == 1
    # The same name again replaces it.
    again = SavedView.save_by(fujian.manager, "customer", "福建 客户", "region:福建 -status:lost")
    assert again.id == view.id and again.filter_text == "region:福建 -status:lost"
    assert again.column_keys == [] and again.sort == ""
    assert SavedView.select().count() == 1


@pytest.mark.parametrize("name, filter_text, sort, columns, wrong", [
    ("", "", "", [], "name"),
    ("x" * 61, "", "", [], "name"),
    ("bad", "region:", "", [], "filter_text"),
    ("bad", "colour:red", "", [], "filter_text"),
    ("bad", "", "nothing", [], "sort"),
    ("bad", "", "", ["name", "name"], "columns"),
    ("bad", "", "", ["secret"], "columns"),
])
def test_nothing_is_saved_from_a_bad_view(fujian, name, filter_text, sort, columns, wrong):
    with pytest.raises(ValidationError) as raised:
        SavedView.save_by(fujian.manager, "customer", name, filter_text, sort, False, columns)
    assert wrong in raised.value.errors
    assert SavedView.select().count() == 0


def test_own_views_are_private_until_an_administrator_publishes(fujian):
    mine = SavedView.save_by(fujian.manager, "customer", "mine", "福建")
    published = SavedView.save_by(fujian.admin, "customer", "福建 all", "region:福建")
    assert customer_views(fujian.other_manager) == []
    with pytest.raises(PermissionDenied):
        mine.publish_by(fujian.manager)
    with pytest.raises(PermissionDenied):
        published.delete_by(fujian.manager)
    published = published.publish_by(fujian.admin)
    assert customer_views(fujian.other_manager) == [(published.id, "福建 all")]
    assert set(customer_views(fujian.manager)) == {(published.id, "福建 all"), (mine.id, "mine")}
    # Someone else's published view is theirs to change, not every user's.
    with pytest.raises(PermissionDenied):
        published.delete_by(fujian.other_manager)
    with pytest.raises(NotFound):
        view_customers(fujian.other_manager, mine.id)
    mine.delete_by(fujian.manager)
    assert customer_views(fujian.manager) == [(published.id, "福建 all")]


def test_a_view_selects_customers_in_the_scope_of_whoever_uses_it(fujian):
    view = SavedView.save_by(fujian.admin, "customer", "福建", "region:福建", "name", True)
    view.publish_by(fujian.admin)
    assert [c.name for c in view_customers(fujian.admin, view.id)] == ["福建赵的客户", "福建王的客户"]
    assert [c.name for c in view_customers(fujian.manager, view.id)] == ["福建王的客户"]
    assert [c.name for c in view_customers(fujian.other_manager, view.id)] == ["福建赵的客户"]


def test_only_customer_views_are_campaign_targets(fujian):
    service_view = SavedView.save_by(fujian.manager, "service", "open", "-status:archived")
    assert customer_views(fujian.manager) == []
    with pytest.raises(NotFound):
        view_customers(fujian.manager, service_view.id)
