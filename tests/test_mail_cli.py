"""`crm-tui mail fetch` against a real Dovecot: files mail, says what it did,
and ends with one plain line when the server cannot be used."""
from __future__ import annotations

from crm_tui import cli
from crm_tui.models import Interaction, MailMessage
from crm_tui.models.customers import Contact
from tests.conftest import make_customer
from tests.mailservers import (HOST, MAIL_PASSWORD, MAIL_USER, dovecot, free_port,  # noqa: F401
                               gb2312_message, utf8_message)


def write_config(tmp_path, port: int) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database:\n  url: sqlite:///{tmp_path / 'crm.sqlite3'}\n"
        "locale: en\n"
        f"mail:\n  imap:\n    host: {HOST}\n    port: {port}\n    security: none\n"
        f"    username: {MAIL_USER}\n    password: {MAIL_PASSWORD}\n", encoding="utf-8")
    return str(path)


def test_mail_fetch_files_and_reports(sqlite_db, people, tmp_path, dovecot, capsys):
    customer = make_customer(people.manager)
    Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    dovecot.deliver(gb2312_message("li.ming@client.example"))
    dovecot.deliver(utf8_message("who@elsewhere.example", "Hi", "<x@elsewhere>", "hello"))
    config = write_config(tmp_path, dovecot.port)

    assert cli.main(["--config", config, "mail", "fetch"]) == 0
    assert "Fetched 2: 1 filed, 1 unmatched, 0 unreadable, 0 already there." in capsys.readouterr().out
    assert Interaction.select().where(Interaction.customer == customer.id).count() == 1
    assert MailMessage.select().count() == 2

    dovecot.mark_all_unseen()
    assert cli.main(["--config", config, "mail", "fetch"]) == 0
    assert "Fetched 2: 0 filed, 0 unmatched, 0 unreadable, 2 already there." in capsys.readouterr().out
    assert Interaction.select().count() == 1


def test_mail_fetch_ends_with_one_line_when_the_server_is_down(sqlite_db, tmp_path, capsys):
    port = free_port()
    assert cli.main(["--config", write_config(tmp_path, port), "mail", "fetch"]) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert error.strip() == f"crm-tui: The mail server {HOST}:{port} cannot be reached (Connection refused)."
