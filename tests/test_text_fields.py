"""Text fields refuse what they should: user login and display name refuse
control characters, NUL, bidi overrides and lone surrogates with a field
error; every stored text field refuses C1 controls, DEL and bidi overrides
as it refuses C0; received mail holding them is stored cleaned, the message
as received kept for the record. On SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_tui.models import Customer, MailMessage, User
from crm_tui.models import accounts, admin
from crm_tui.models.errors import ValidationError
from crm_tui.models.mail import IncomingMail
from crm_tui.models.validation import Field, clean
from crm_tui.plain_text import BIDI_CONTROLS, unsafe_chars
from tests.conftest import PASSWORD, customer_values, make_customer

C0 = [chr(code) for code in range(0x20) if chr(code) not in "\t\n"]
C1 = [chr(code) for code in range(0x80, 0xA0)]
REFUSED_ANYWHERE = C0 + ["\x7f"] + C1 + sorted(BIDI_CONTROLS) + ["\ud800", "\udfff"]
NAME_FIELD = Field("name", "customer.name", required=True, max_length=100)
NOTE_FIELD = Field("note", "customer.note", max_length=1000, multiline=True)


def errors_of(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


# ----- every stored text -------------------------------------------------------

@pytest.mark.parametrize("char", REFUSED_ANYWHERE, ids=lambda char: f"U+{ord(char):04X}")
def test_a_text_field_refuses_control_and_bidi_characters(char):
    assert "name" in errors_of(lambda: clean([NAME_FIELD], {"name": f"远大{char}科技"}))
    assert "note" in errors_of(lambda: clean([NOTE_FIELD], {"note": f"第一{char}行"}))


def test_line_breaks_and_tabs_only_in_multiline_text():
    assert clean([NOTE_FIELD], {"note": "第一行\n\t第二行"}) == {"note": "第一行\n\t第二行"}
    assert "name" in errors_of(lambda: clean([NAME_FIELD], {"name": "远大\n科技"}))
    assert "name" in errors_of(lambda: clean([NAME_FIELD], {"name": "远大\t科技"}))


def test_a_customer_with_c1_del_or_bidi_in_its_name_is_not_stored(crm_db, people):
    for bad in ("\x9b31m", "\x7f", "\u202eevil", "\u2066x"):
        values = customer_values(people.manager, name=f"远大{bad}")
        assert "name" in errors_of(lambda: Customer.create_by(people.manager, values))
    assert Customer.select().count() == 0


# ----- users ---------------------------------------------------------------------

BAD_NAMES = {"nul": "li\x00ming", "escape": "li\x1b]0;x\x07", "c1": "li\x9bming",
             "del": "li\x7f", "bidi": "li\u202eming", "newline": "li\nming",
             "lone surrogate": "li\ud800ming"}


@pytest.mark.parametrize("bad", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_login_and_display_name_refuse_control_characters(crm_db, people, bad):
    errors = errors_of(lambda: accounts.create_user(people.admin, bad, "李明", "manager", PASSWORD))
    assert set(errors) == {"login"}
    errors = errors_of(lambda: accounts.create_user(people.admin, "liming", bad, "manager",
                                                 PASSWORD))
    assert set(errors) == {"display_name"}
    # Through the administrator's form too, and when editing a user.
    errors = errors_of(lambda: admin.create_user(people.admin, {
        "login": bad, "display_name": bad, "role": "manager", "password": PASSWORD}))
    assert set(errors) == {"login", "display_name"}
    errors = errors_of(lambda: admin.update_user(people.admin, people.manager,
                                                 {"display_name": bad}))
    assert set(errors) == {"display_name"}
    assert not User.select().where(User.login == "liming").exists()
    assert User.get_by_id(people.manager.id).display_name == "王经理"


def test_a_long_display_name_is_refused_not_cut(crm_db, people):
    errors = errors_of(lambda: accounts.create_user(people.admin, "liming", "李" * 61, "manager",
                                                 PASSWORD))
    assert set(errors) == {"display_name"}


printable = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs"))
anything = st.characters(codec=None, categories=None)
logins = st.one_of(st.text(printable, min_size=1, max_size=50),
                   st.text(anything, min_size=0, max_size=50))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(login=logins, display_name=logins)
def test_the_user_form_stores_clean_text_or_names_the_field(crm_db, people, login, display_name):
    """Whatever is typed, the user form either stores exactly the clean
    text, or refuses with a message at the field: never another error."""
    values = {"login": login, "display_name": display_name, "role": "manager",
              "password": PASSWORD}
    try:
        user = admin.create_user(people.admin, values)
    except ValidationError as error:
        assert set(error.errors) <= {"login", "display_name"} and error.errors
        return
    stored = User.get_by_id(user.id)
    assert (stored.login, stored.display_name) == (login.strip(), display_name.strip())
    assert not unsafe_chars(stored.login, allow="") and not unsafe_chars(stored.display_name,
                                                                         allow="")
    User.delete().where(User.id == user.id).execute()


# ----- received mail -------------------------------------------------------------

def test_mail_with_control_characters_is_stored_cleaned_with_the_original(crm_db, people):
    raw = b"Subject: \x1b]0;pwned\x07Hi\r\n\r\nbody\x00 \x9b text\r\n"
    incoming = IncomingMail(message_id="<c-1@x.example>", sender="stranger@x.example",
                            subject="\x1b]0;pwned\x07Hi\u202e", body="body\x00 \x9b text\n\tok",
                            date=people.manager.created_at, sender_name="Evil\x1b[2J",
                            raw=raw)

    assert MailMessage.file_incoming(incoming) == "unmatched"

    stored = MailMessage.get()
    assert stored.subject == "]0;pwnedHi"
    assert stored.body == "body  text\n\tok"
    assert "subject" in stored.problem and "body" in stored.problem
    assert bytes(stored.original) == raw
    assert stored.original_sha256 == hashlib.sha256(raw).hexdigest()


def test_clean_mail_keeps_no_copy(crm_db, people):
    customer = make_customer(people.manager)
    incoming = IncomingMail(message_id="<c-2@x.example>", sender="a@x.example", subject="Hi",
                            body="Hello", date=customer.created_at, raw=b"Subject: Hi\r\n\r\n")
    MailMessage.file_incoming(incoming)
    stored = MailMessage.get()
    assert (stored.problem, stored.original, stored.original_sha256) == ("", None, "")
