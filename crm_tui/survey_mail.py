"""Sending a survey's invitations by mail (M13): each invitation is one
message through the configured SMTP server, with its reply code in the
subject and the body. A refusal keeps the invitation as failed with the
reason (sending again retries it) and never stops the others.

Which contacts are invited is the model's rule (`Survey.invite_by`);
replies come back through `mail fetch` (crm_tui.models.surveys reads them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from crm_tui.config import SmtpConfig
from crm_tui.mail import MailError, build_message, deliver
from crm_tui.models.customers import Contact, Customer
from crm_tui.models.mail import OutgoingMail
from crm_tui.models.surveys import FAILED, PENDING, SurveyInvitation
from crm_tui.models.users import User


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0


def send_invitations(actor: User | None, settings: SmtpConfig,
                     invitations: Iterable[SurveyInvitation],
                     progress: Callable[[SurveyInvitation, str], None] | None = None
                     ) -> SendResult:
    """Send each waiting or failed invitation; the counts of what went."""
    result = SendResult()
    for invitation in invitations:
        current = SurveyInvitation.get_or_none(SurveyInvitation.id == invitation.id)
        if current is None or current.status not in (PENDING, FAILED):
            continue  # sent by another session meanwhile
        subject, body = current.mail_text()
        draft = OutgoingMail(customer=Customer.get_by_id(current.customer_id),
                             contact=Contact.get_or_none(Contact.id == current.contact_id),
                             to=current.address, subject=subject, body=body)
        try:
            message = build_message(settings, draft)
            deliver(settings, message)
        except MailError as error:
            current.record_failed(actor, str(error))
            result.failed += 1
            outcome = "failed"
        else:
            current.record_sent(actor, message["Message-ID"], message["From"], subject, body)
            result.sent += 1
            outcome = "sent"
        if progress:
            progress(current, outcome)
    return result
