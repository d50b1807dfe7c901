"""The form and confirmation modals, inside the real app."""
from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input, Select

from crm_tui.i18n import t
from crm_tui.models.customers import CUSTOMER_FIELDS, Customer
from crm_tui.models.errors import PermissionDenied
from crm_tui.models.validation import Field
from crm_tui.screens.home import HomeScreen
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.forms import FormModal, _as_text
from tests.conftest import customer_values
from tests.pilot import app_for, field_error, form_message, save, sign_in, type_text


async def open_new_customer_form(pilot, results: list) -> FormModal:
    """The new-customer form shown; what it is dismissed with goes to `results`."""
    app = pilot.app
    user = app.user
    form = FormModal(t("customers.title"), CUSTOMER_FIELDS, {"manager": user.id},
                     lambda values: Customer.create_by(user, values))
    app.push_screen(form, results.append)
    await pilot.pause()
    return form


async def test_form_shows_field_errors_and_writes_nothing(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        results: list = []
        form = await open_new_customer_form(pilot, results)
        await type_text(pilot, "北京远大科技有限公司")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert Customer.select().count() == 0
        assert field_error(form, "phone") == t("error.required")
        assert field_error(form, "region") == t("error.required")
        assert field_error(form, "name") == ""
        assert form.values()["name"] == "北京远大科技有限公司"
        # The manager was given; its choice is pre-selected.
        assert form.widget_for("manager").value == people.manager.id
        # Required fields are marked.
        labels = [str(label.render()) for label in form.query(".form-label")]
        assert t("customer.name") + " *" in labels
        assert results == []


async def test_form_saves_valid_values_and_returns_the_record(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        results: list = []
        values = customer_values(people.manager)
        user = app.user
        form = FormModal("new", CUSTOMER_FIELDS, dict(values, postcode="12"),
                         lambda submitted: Customer.create_by(user, submitted))
        app.push_screen(form, results.append)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert field_error(form, "postcode") == t("error.bad_postcode")
        # The wrong field has the focus and is scrolled into view.
        postcode = form.widget_for("postcode")
        assert postcode.has_focus
        postcode.value = ""
        await type_text(pilot, "100080")
        await save(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert len(results) == 1 and isinstance(results[0], Customer)
        saved = Customer.get()
        assert (saved.name, saved.postcode, saved.manager_id) == (values["name"], "100080",
                                                                  people.manager.id)


async def test_long_form_scrolls_to_every_field_at_80x24(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        form = await open_new_customer_form(pilot, [])
        screen_region = app.screen.region
        for _ in range(len(CUSTOMER_FIELDS) - 1):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            assert focused is not None and screen_region.contains_region(focused.region)
        assert app.focused is form.widget_for(CUSTOMER_FIELDS[-1].name)


async def test_escape_asks_before_dropping_typed_values(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        results: list = []
        form = await open_new_customer_form(pilot, results)
        await type_text(pilot, "abc")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and form.values()["name"] == "abc"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert results == [None]
        # Nothing typed: Escape closes at once.
        form = await open_new_customer_form(pilot, results)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert results == [None, None]


async def test_other_rule_errors_show_below_the_form(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")

        def refuse(values):
            raise PermissionDenied(t("error.not_your_customer"))

        fields = [Field("note", "form.note", multiline=True),
                  Field("kind", "form.kind", kind="choice", choices=lambda: [(1, "一"), (2, "二")])]
        form = FormModal("x", fields, {"note": "第一行", "kind": 2}, refuse)
        app.push_screen(form)
        await pilot.pause()
        assert form.values() == {"note": "第一行", "kind": 2}
        assert isinstance(form.widget_for("kind"), Select)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert form_message(form) == t("error.not_your_customer")


async def test_confirm_modal_keys(sqlite_url, people):
    app = app_for(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        answers: list = []
        for key in ("y", "enter", "n", "escape"):
            app.push_screen(ConfirmModal("删除这个客户？"), answers.append)
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
        assert answers == [True, True, False, False]
        assert isinstance(app.screen, HomeScreen)


def test_password_kind_is_masked():
    form = FormModal("x", [Field("secret", "password.old", kind="password")], {})
    widget = form._input_for(form.fields[0])
    assert isinstance(widget, Input) and widget.password


def test_values_prefill_as_text_and_blanks_stay_blank():
    assert [_as_text(value) for value in (None, "", Decimal("500.00"), Decimal("1.50"), 3)] == [
        "", "", "500", "1.50", "3"]
