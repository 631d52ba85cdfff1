"""What every part of the mailbox's services uses: the letter's timeline, notices to departments, clean text."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select

from interaction.accounts.models import User
from interaction.accounts.permissions import Role
from interaction.core.db import db
from interaction.core.mail import send_mail
from interaction.core.time import now_utc
from interaction.mailbox.models import EventAction, Letter, LetterEvent


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


# -- timeline -------------------------------------------------------------------------------------------

def add_event(letter: Letter, action: EventAction, *, actor=None, note: str | None = None,
              department_id: int | None = None, internal: bool = False, data: dict | None = None,
              at: datetime | None = None) -> LetterEvent:
    """Add a line to *letter*'s timeline (flushed with the session)."""
    # Set from the event's side: a timeline not loaded yet is not loaded just to add to it.
    event = LetterEvent(letter=letter, **event_values(action, actor=actor, note=note, department_id=department_id,
                                                      internal=internal, data=data, at=at))
    db.session.add(event)
    return event


def event_values(action: EventAction, *, actor=None, note: str | None = None, department_id: int | None = None,
                 internal: bool = False, data: dict | None = None, at: datetime | None = None) -> dict:
    """The column values (but ``letter_id``) of a timeline line: :func:`add_event`'s, or a new letter's first."""
    return {"at_dt": at or now_utc(), "action": action.value, "note": note, "department_id": department_id,
            "actor_id": getattr(actor, "id", None), "is_internal": internal, "data": data}


# -- e-mail ---------------------------------------------------------------------------------------------

def _default_locale():
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"))


def department_emails(department_id: int) -> list[str]:
    """Addresses of the enabled staff of a department (notices about its letters go there)."""
    return list(db.session.scalars(select(User.email).where(
        User.department_id == department_id, User.role == Role.staff.value, User.is_enabled.is_(True))))


def _staff_url(letter: Letter) -> str:
    try:
        return url_for("mailbox.staff_letter", number=letter.number, _external=True)
    except RuntimeError:  # no request and no SERVER_NAME (a cron run without it)
        return f"/mailbox/staff/letters/{letter.number}"


def _track_url() -> str:
    try:
        return url_for("mailbox.track_letter", _external=True)
    except RuntimeError:
        return "/mailbox/track"


def _notify_department(letter: Letter, department_id: int, subject: str, body: str) -> None:
    send_mail(department_emails(department_id), subject, body + "\n\n" + _staff_url(letter))
