"""The searchable choice of a form (crm_tui/widgets/picker.py), inside the
real app at 80x24: typing narrows, Up/Down and Enter take a match, Escape
keeps the choice as it was."""
from __future__ import annotations

from crm_tui.models.validation import Field
from crm_tui.widgets.forms import FormModal
from crm_tui.widgets.picker import MATCHES_SHOWN, Picker, PickerModal
from tests.pilot import app_for, pick, save, sign_in, type_text
from tests.test_screen_snapshots import screen_text

ITEMS = [(number, f"Item {number:04d}") for number in range(1, 5001)]
asked: list[tuple[str, int]] = []


def search(text: str, limit: int) -> list[tuple[int, str]]:
    asked.append((text, limit))
    return [(value, label) for value, label in ITEMS if text.lower() in label.lower()][:limit]


FIELDS = [Field("item", "quote_line.product", kind="choice", required=True, search=search,
                describe=lambda value: dict(ITEMS)[value])]


async def test_typing_narrows_and_enter_takes_a_match(sqlite_url, people):
    results: list = []
    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        form = FormModal("pick one", FIELDS, {"item": 7})
        pilot.app.push_screen(form, results.append)
        await pilot.pause()
        picker = form.widget_for("item")
        assert isinstance(picker, Picker) and "Item 0007" in screen_text(pilot.app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PickerModal)
        # 5,000 items: only the first matches are listed, and it says so.
        assert asked[-1] == ("", MATCHES_SHOWN + 1)
        assert "type more" in screen_text(pilot.app)
        await type_text(pilot, "42")
        await pilot.pause()
        shown = screen_text(pilot.app)
        assert "Item 0042" in shown and "Item 0142" in shown and "Item 0001" not in shown
        await pilot.press("down", "enter")  # Item 0042, Item 0142, ...: the second
        await pilot.pause()
        assert pilot.app.screen is form and picker.value == 142
        # Escape in the picker keeps what was chosen.
        await pick(pilot, "item", "zzz")
        assert "Nothing matches" in screen_text(pilot.app)
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is form and picker.value == 142
        await save(pilot)
    assert results == [{"item": 142}]


async def test_a_blank_picker_is_required_like_any_choice(sqlite_url, people):
    from crm_tui.models.validation import clean

    async with app_for(sqlite_url).run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        form = FormModal("pick one", FIELDS, {}, lambda values: clean(FIELDS, values))
        pilot.app.push_screen(form)
        await pilot.pause()
        await save(pilot)
        assert pilot.app.screen is form
        assert form.values() == {"item": None}
