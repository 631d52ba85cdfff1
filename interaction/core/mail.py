"""Outgoing e-mail: printed to the log in development, sent by SMTP when ``MAIL_SERVER`` is set.

:func:`send_mail` never sends at once: the message goes out after the current transaction
commits (``core.db.after_commit``), so a notice about something that rolled back is never sent.
In tests (``TESTING``) every message is also appended to ``app.extensions["interaction.outbox"]``
so that tests can assert on what was sent.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app

from interaction.core.db import after_commit

log = logging.getLogger(__name__)

OUTBOX_KEY = "interaction.outbox"


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str


def outbox(app: Flask | None = None) -> list[Mail]:
    """The messages sent so far by *app* (kept only when TESTING)."""
    return (app or current_app).extensions.setdefault(OUTBOX_KEY, [])


def send_mail(to, subject: str, body: str) -> None:
    """Send *body* to *to* (an address or a list of them) once the current transaction commits.

    Empty or missing addresses are dropped; with none left nothing is sent.
    """
    recipients = tuple(sorted({addr.strip() for addr in ([to] if isinstance(to, str) else (to or ())) if addr
                               and addr.strip()}))
    if not recipients:
        return
    mail = Mail(recipients, str(subject), str(body))
    app = current_app._get_current_object()
    after_commit(lambda: _deliver(app, mail))


def _deliver(app: Flask, mail: Mail) -> None:
    if app.config.get("TESTING"):
        outbox(app).append(mail)
    server = app.config.get("MAIL_SERVER")
    if not server:
        log.info("mail to %s: %s\n%s", ", ".join(mail.to), mail.subject, mail.body)
        return
    message = EmailMessage()
    message["From"] = app.config.get("MAIL_SENDER", "noreply@interaction.local")
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    try:
        with smtplib.SMTP(server, app.config.get("MAIL_PORT", 25), timeout=10) as smtp:
            if app.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if app.config.get("MAIL_USERNAME"):
                smtp.login(app.config["MAIL_USERNAME"], app.config.get("MAIL_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The transaction has committed; a lost notice must not turn the request into an error.
        log.exception("could not send mail to %s: %s", ", ".join(mail.to), mail.subject)
