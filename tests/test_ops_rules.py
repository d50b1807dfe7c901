"""Small rules a daily user meets: the churn grace period of new customers,
levels sorted by rank, phone numbers that are numbers, and the message of
a wrong current password."""
from __future__ import annotations

import pytest

from crm_tui.config import ChurnConfig, Config, parse_config
from crm_tui.models import ChurnAlert
from crm_tui.models.accounts import change_own_password
from crm_tui.models.churn import ONCE, scan
from crm_tui.models.customers import CUSTOMER, Contact, customer_list_query
from crm_tui.models.dictionary import CUSTOMER_LEVEL
from crm_tui.models.errors import ValidationError
from crm_tui.widgets.query_source import QuerySource
from crm_tui.worker import Worker
from tests.conftest import at, entry, make_customer


# ----- churn grace period -------------------------------------------------------

def test_a_new_customer_gets_no_alert_within_the_grace_period(crm_db, people):
    at(2026, 1, 1)
    make_customer(people.manager)  # never ordered
    at(2026, 3, 1)
    assert scan(6, grace_days=182).added == 0
    at(2026, 6, 30)
    assert scan(6, grace_days=182).added == 0
    at(2026, 7, 2)
    assert scan(6, grace_days=182).added == 1


def test_the_worker_takes_the_grace_period_from_the_config(crm_db, people):
    at(2026, 3, 1)
    make_customer(people.manager)
    at(2026, 3, 2)
    assert Config().churn.grace_days == 182
    assert Worker(Config(), crm_db, crm_db).run(ONCE)
    assert ChurnAlert.select().count() == 0
    assert Worker(Config(churn=ChurnConfig(grace_days=0)), crm_db, crm_db).run(ONCE)
    assert ChurnAlert.select().count() == 1


def test_grace_days_in_the_config_file():
    assert parse_config("churn:\n  grace_days: 30\n").churn.grace_days == 30
    with pytest.raises(Exception, match="churn.grace_days: must be 0"):
        parse_config("churn:\n  grace_days: -1\n")


# ----- levels by rank ---------------------------------------------------------------

def test_the_customer_list_sorts_levels_by_rank_not_by_name(crm_db, people):
    for level in ("战略合作伙伴", "普通客户", "大客户", "合作伙伴"):
        make_customer(people.manager, name=f"{level}公司", level=entry(CUSTOMER_LEVEL, level).id)
    source = QuerySource(lambda text: customer_list_query(people.admin, text), CUSTOMER.columns)
    level_column = next(column for column in CUSTOMER.columns if column.key == "level_name")
    ranked = [entry.item for entry in entry_list(CUSTOMER_LEVEL)]
    ascending = [row["level_name"] for row in source.fetch("", level_column, False, 0, 50)]
    descending = [row["level_name"] for row in source.fetch("", level_column, True, 0, 50)]
    assert ascending == [level for level in ranked if level in ascending]
    assert ascending == ["普通客户", "大客户", "合作伙伴", "战略合作伙伴"]
    assert descending == ascending[::-1]


def entry_list(type_name):
    from crm_tui.models.dictionary import DictionaryEntry

    return list(DictionaryEntry.of_type(type_name))


# ----- phone numbers ------------------------------------------------------------------

def contact(**overrides) -> dict:
    values = {"name": "张伟", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
              "mobile": "", "email": "", "note": ""}
    values.update(overrides)
    return values


@pytest.mark.parametrize("number", ["021-1", "12345", "(010) 123", "+86 10 6234 5678 1234 5"])
def test_a_phone_number_needs_seven_to_fifteen_digits(crm_db, people, number):
    customer = make_customer(people.manager)
    with pytest.raises(ValidationError) as error:
        Contact.create_by(people.manager, customer, contact(office_phone=number))
    assert error.value.errors == {"office_phone": "not a phone number"}
    with pytest.raises(ValidationError) as error:
        make_customer(people.manager, phone=number)
    assert set(error.value.errors) == {"phone"}


@pytest.mark.parametrize("number", ["6234567", "021-55551234", "+86 10 6234 5678", "0086 755 8888 6666"])
def test_real_numbers_still_pass(crm_db, people, number):
    customer = make_customer(people.manager, phone=number)
    assert Contact.create_by(people.manager, customer, contact(office_phone=number)).office_phone == number


# ----- change password --------------------------------------------------------------------

def test_a_wrong_current_password_is_named_as_such(crm_db, people):
    with pytest.raises(ValidationError) as error:
        change_own_password(people.manager, "not it", "new password 1")
    assert error.value.errors == {"old_password": "This is not your current password."}
