"""The form of every module: a modal built from `validation.Field`s.

    FormModal(title, fields, values, submit)

shows one input per field (Input for text kinds, Select for "choice" (a
searchable Picker when the field has `search`),
TextArea for multiline, a masked Input for kind "password"), pre-filled from
`values`. Ctrl+S calls `submit(values)` with what is on screen (text as
typed, a choice's value or None); `submit` calls the model method, which
checks and saves. A ValidationError puts each message under its field and
the form stays open with what was typed; another CrmError shows its message
at the bottom; success dismisses the modal with what `submit` returned.
Escape cancels (dismisses with None), asking first if anything was changed.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

from peewee import DatabaseError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from crm_tui.i18n import t
from crm_tui.models.errors import CrmError, ValidationError, first_line
from crm_tui.models.validation import Field
from crm_tui.plain_text import plain
from crm_tui.widgets.confirm import ConfirmModal
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.picker import Picker
from crm_tui.widgets.plain import PlainStatic, plain_content


def _as_text(value: Any, multiline: bool = False) -> str:
    """A stored value as the form shows it for editing: plain text, with
    control characters and bidi overrides shown as visible stand-ins (see
    plain_text.plain), never drawn raw by the input."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return plain(value, multiline=multiline)


def _as_choice(value: Any) -> Any:
    """A choice's value as the Select holds it: a model instance by its id."""
    if hasattr(value, "_meta"):
        return value.id
    return value


class OpenInstead:
    """What a form closes with when the user chose to open a similar record
    (`FormModal`'s `similar`) rather than save a new one."""

    def __init__(self, record_id: Any):
        self.record_id = record_id


class FormModal(ModalScreen[Any]):
    """A modal form; see the module's description.

    With `similar(values)` (records like the one typed, as (id, text)),
    Ctrl+S first asks about the first one found: open it (the form closes
    with `OpenInstead(id)`), save anyway, or go back to the form.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "form.save", priority=True, id="form.save"),
        Binding("escape", "cancel", "form.cancel", id="form.cancel"),
    ]

    def __init__(self, title: str, fields: Sequence[Field], values: Mapping[str, Any] | None = None,
                 submit: Callable[[dict[str, Any]], Any] | None = None, *, id: str | None = None,
                 similar: Callable[[dict[str, Any]], list[tuple[Any, str]]] | None = None):
        super().__init__(id=id)
        self.similar = similar
        # The user saw the similar records and chose to save anyway.
        self._similar_answered = False
        self.title_text = title
        self.fields = list(fields)
        self.initial = dict(values or {})
        self.submit = submit or (lambda values: values)
        self._opened_with: dict[str, Any] = {}

    # ----- building ----------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(classes="form-dialog"):
            yield PlainStatic(self.title_text, classes="form-title")
            with VerticalScroll(classes="form-body"):
                for field in self.fields:
                    with Vertical(classes="form-field", id=f"form-field-{field.name}"):
                        with Horizontal(classes="form-row"):
                            label = t(field.label) + (" *" if field.required else "")
                            yield Label(label, classes="form-label")
                            yield self._input_for(field)
                        error = PlainStatic("", classes="form-error",
                                            id=f"form-error-{field.name}")
                        error.display = False
                        yield error
            message = PlainStatic("", classes="form-message")
            message.display = False
            yield message
        yield CrmFooter()

    def _input_for(self, field: Field) -> Widget:
        widget_id = f"form-input-{field.name}"
        value = self.initial.get(field.name)
        if field.kind == "choice" and field.search is not None:
            return Picker(field.search, field.describe or str, _as_choice(value),
                          title=t(field.label), id=widget_id, classes="form-input")
        if field.kind == "choice":
            # Choices are read when the form opens: a new region or manager
            # shows without restarting.
            options = [(plain_content(label, multiline=False), choice)
                       for choice, label in (field.choices() if field.choices else [])]
            current = _as_choice(value)
            known = {choice for _label, choice in options}
            return Select(options, prompt=t("form.choose"), allow_blank=True,
                          value=current if current in known else Select.NULL, id=widget_id,
                          classes="form-input")
        if field.multiline:
            return TextArea(_as_text(value, multiline=True), id=widget_id, classes="form-input form-multiline",
                            soft_wrap=True, show_line_numbers=False)
        return Input(_as_text(value), id=widget_id, classes="form-input",
                     password=field.kind == "password",
                     max_length=field.max_length if field.kind not in ("int", "decimal", "date") else 0)

    def on_mount(self) -> None:
        self._opened_with = self.values()
        # A form may ask for nothing more (a confirmation with ctrl+s).
        inputs = self.query(".form-input")
        if inputs:
            inputs.first().focus()

    # ----- reading -----------------------------------------------------
    def widget_for(self, name: str) -> Widget:
        return self.query_one(f"#form-input-{name}")

    def values(self) -> dict[str, Any]:
        """What the form shows now: text as typed, a choice's value or None."""
        result: dict[str, Any] = {}
        for field in self.fields:
            widget = self.widget_for(field.name)
            if isinstance(widget, Picker):
                result[field.name] = widget.value
            elif isinstance(widget, Select):
                result[field.name] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, TextArea):
                result[field.name] = widget.text
            else:
                result[field.name] = widget.value
        return result

    @property
    def changed(self) -> bool:
        return self.values() != self._opened_with

    # ----- errors ------------------------------------------------------
    def show_errors(self, errors: Mapping[str, str], message: str = "") -> None:
        """Put each message under its field; messages for no field go below."""
        names = {field.name for field in self.fields}
        stray = [f"{name}: {text}" for name, text in errors.items() if name not in names]
        for field in self.fields:
            error = self.query_one(f"#form-error-{field.name}", Static)
            text = errors.get(field.name, "")
            error.update(text)
            error.display = bool(text)
            self.query_one(f"#form-field-{field.name}").set_class(bool(text), "-invalid")
        self._show_message("\n".join(filter(None, [message, *stray])))
        wrong = [field.name for field in self.fields if field.name in errors]
        if wrong:
            widget = self.widget_for(wrong[0])
            widget.focus()
            self.call_after_refresh(widget.scroll_visible, animate=False)

    def _show_message(self, text: str) -> None:
        message = self.query_one(".form-message", Static)
        message.update(text)
        message.display = bool(text)

    # ----- actions -----------------------------------------------------
    def action_save(self) -> None:
        if self.similar is not None and not self._similar_answered:
            found = self.similar(self.values())
            if found:
                self._ask_about_similar(found)
                return
        try:
            result = self.submit(self.values())
        except ValidationError as error:
            self.show_errors(error.errors)
            return
        except CrmError as error:
            self.show_errors({}, str(error))
            return
        except DatabaseError as error:
            # A fault without a plainer word (a server gone, say): its first
            # line, and the form stays as typed.
            self.show_errors({}, t("rights.db_other", reason=first_line(error)))
            return
        self.dismiss(result)

    def _ask_about_similar(self, found: list[tuple[Any, str]]) -> None:
        from crm_tui.widgets.choice import ChoiceModal

        record_id, text = found[0]

        def answered(choice: str | None) -> None:
            if choice == "open":
                self.dismiss(OpenInstead(record_id))
            elif choice == "save":
                self._similar_answered = True
                self.action_save()

        self.app.push_screen(ChoiceModal(text, [("o", t("duplicates.hint_open"), "open"),
                                                ("s", t("duplicates.hint_save"), "save")]),
                             answered)

    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal(t("form.discard")), answered)
