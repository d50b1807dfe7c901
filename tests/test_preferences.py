"""Each user's own theme and language, kept in the database, and the audit
row of a sign-out: on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from crm_tui.models.audit import AuditLog
from crm_tui.models.errors import ValidationError
from crm_tui.models.preferences import (SIGN_OUT, UserPreference, preference_of,
                                        remember_locale, remember_theme, sign_out)


def test_nothing_chosen_means_the_configured_theme_and_language(crm_db, people):
    preference = preference_of(people.manager)
    assert (preference.theme, preference.locale) == ("", "")
    assert UserPreference.select().count() == 0  # reading writes nothing


def test_theme_and_language_are_kept_per_user(crm_db, people):
    remember_theme(people.manager, "textual-light")
    remember_locale(people.manager, "zh_CN")
    remember_theme(people.manager, "solarized-light")  # a second choice replaces the first
    remember_theme(people.admin, "nord")

    manager = preference_of(people.manager)
    assert (manager.theme, manager.locale) == ("solarized-light", "zh_CN")
    assert (preference_of(people.admin).theme, preference_of(people.admin).locale) == ("nord", "")
    assert UserPreference.select().count() == 2


def test_an_unknown_language_is_refused_and_nothing_is_written(crm_db, people):
    with pytest.raises(ValidationError):
        remember_locale(people.manager, "fr")
    assert UserPreference.select().count() == 0


def test_signing_out_writes_an_audit_row(crm_db, people):
    sign_out(people.manager)
    row = AuditLog.get(AuditLog.action == SIGN_OUT)
    assert (row.actor_id, row.table_name, row.row_id) == (people.manager.id, "user",
                                                           people.manager.id)


def test_a_removed_user_takes_the_preferences_along(crm_db, people):
    remember_theme(people.other_manager, "nord")
    AuditLog.delete().execute()
    people.other_manager.delete_instance()
    assert UserPreference.select().count() == 0
