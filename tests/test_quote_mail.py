"""A sent quote mailed to the customer as an XLSX attachment (SPEC M10),
at 80x24 with a real SMTP server (aiosmtpd): m on the quote's screen writes
the sheet, keeps it as the customer's document and opens the mail with it."""
from __future__ import annotations

import email
import io
from decimal import Decimal
from email.policy import default as default_policy

from openpyxl import load_workbook

from crm_tui.config import DocumentsConfig, MailConfig, SmtpConfig
from crm_tui.models import Contact, Document, MailAttachment, Quote
from crm_tui.screens.mail import ComposeMailModal
from crm_tui.screens.records import RecordScreen
from tests.conftest import at, make_customer
from tests.mailservers import HOST, smtp_server  # noqa: F401
from tests.pilot import app_for, press_and_settle, push_and_settle, save, sign_in
from tests.test_quotes import line_values, product, quote_values


async def test_a_sent_quote_is_mailed_as_a_spreadsheet(sqlite_db, sqlite_url, people,
                                                       smtp_server, tmp_path):
    at(2026, 3, 1)
    customer = make_customer(people.manager, name="北京远大科技有限公司")
    Contact.create_by(people.manager, customer, {
        "name": "李明", "sex": "M", "position": "采购经理", "office_phone": "010-62345678",
        "email": "li.ming@client.example"})
    quote = Quote.create_by(people.manager, quote_values(customer))
    quote.add_line_by(people.manager, line_values(product()))
    quote.add_line_by(people.manager, line_values(product("断路器 DW15", "333.33", "只"),
                                                  quantity="3", discount="10"))
    draft = Quote.get_by_id(quote.id)

    app = app_for(sqlite_url, mail=MailConfig(smtp=SmtpConfig(
        host=HOST, port=smtp_server.port, security="none", sender="sales@crm.example")),
        documents=DocumentsConfig(folder=str(tmp_path / "store"), max_size_mb=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "wang")
        await push_and_settle(pilot, RecordScreen("quote", draft.id))
        await press_and_settle(pilot, "m")  # a draft is not mailed
        assert not isinstance(app.screen, ComposeMailModal)
        assert Document.select().count() == 0
        draft.send_by(people.manager)
        await press_and_settle(pilot, "m")
        modal = app.screen
        assert isinstance(modal, ComposeMailModal)
        assert draft.number in str(modal.query_one("#mail-documents").render())
        await save(pilot)
        assert isinstance(app.screen, RecordScreen)

    received = email.message_from_bytes(smtp_server.received[0].data, policy=default_policy)
    assert draft.number in received["Subject"]
    [part] = list(received.iter_attachments())
    sheet = load_workbook(io.BytesIO(part.get_payload(decode=True))).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[0] for row in rows[1:]] == ["配电柜 GGD", "断路器 DW15", "Total"]
    # Numbers stay numbers: 2 × 12,500 and 3 × 333.33 less 10%.
    assert [Decimal(str(row[5])) for row in rows[1:]] == [
        Decimal("25000"), Decimal("899.99"), Decimal("25899.99")]
    document = Document.get()
    assert (document.customer_id, document.name) == (customer.id, f"Quote {draft.number}.xlsx")
    assert MailAttachment.get().document_id == document.id
