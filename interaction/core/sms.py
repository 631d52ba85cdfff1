"""Outgoing SMS: printed to the log by default, sent through an HTTP gateway when one is configured.

Like :mod:`interaction.core.mail`, :func:`send_sms` never sends at once: the message goes out after
the current transaction commits (``core.db.after_commit``), so a code that was not stored is never
sent. The sender is pluggable: ``INTERACTION_SMS_URL`` (config ``SMS_URL``) set sends each message
as ``POST {"phone", "text"}`` JSON to that URL (with ``Authorization: Bearer`` ``SMS_TOKEN`` when
set) — the shape an SMS gateway adapter of a provincial platform takes; unset, it is logged. An app
may also register any callable ``sender(phone, text)`` with :func:`set_sender`. In tests
(``TESTING``) every message is also kept in :func:`outbox`.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from interaction.core.db import after_commit

log = logging.getLogger(__name__)

OUTBOX_KEY = "interaction.sms_outbox"
SENDER_KEY = "interaction.sms_sender"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Sms:
    phone: str
    text: str


def outbox(app: Flask | None = None) -> list[Sms]:
    """The messages sent so far by *app* (kept only when TESTING)."""
    return (app or current_app).extensions.setdefault(OUTBOX_KEY, [])


def set_sender(app: Flask, sender: Callable[[str, str], None]) -> None:
    """Send *app*'s messages with *sender(phone, text)* instead of the configured gateway or the log."""
    app.extensions[SENDER_KEY] = sender


def send_sms(phone: str, text: str) -> None:
    """Send *text* to *phone* once the current transaction commits."""
    message = Sms(phone, str(text))
    app = current_app._get_current_object()
    after_commit(lambda: _deliver(app, message))


def log_sender(phone: str, text: str) -> None:
    log.info("sms to %s: %s", phone, text)


def http_sender(url: str, token: str | None = None) -> Callable[[str, str], None]:
    """A sender that posts ``{"phone", "text"}`` to *url*; a gateway's error is raised (and logged by the caller)."""

    def send(phone: str, text: str) -> None:
        request = urllib.request.Request(url, data=json.dumps({"phone": phone, "text": text}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - configured URL
            response.read()

    return send


def _sender(app: Flask) -> Callable[[str, str], None]:
    sender = app.extensions.get(SENDER_KEY)
    if sender is None:
        url = app.config.get("SMS_URL")
        sender = http_sender(url, app.config.get("SMS_TOKEN")) if url else log_sender
    return sender


def _deliver(app: Flask, message: Sms) -> None:
    if app.config.get("TESTING"):
        outbox(app).append(message)
    try:
        _sender(app)(message.phone, message.text)
    except Exception:  # a gateway outage must not turn a stored request into an error page
        log.exception("sms to %s could not be sent", message.phone)
