"""Signals the mailbox receives from other features (features never import each other).

``core.signals.question_handed_over`` (sent by the live interviews when an interview ends, once per
approved question not answered live): until the Q&A feature exists, the mailbox takes each one as a
letter (channel ``live``) in the department's first active mailbox, due in ``reply_workdays``
working days, and appends ``{"kind": "letter", "number", "url"}`` to ``handed_to`` so the asker is
told where to follow it (the citizen's letter page; signed-in authors also find it under 我的来信).

Nothing is taken, and the sender keeps the question on its own handover list, when the department
has no active mailbox, the asker's account is gone, another receiver already took the question, or
the letter cannot be stored (logged; the sender's transaction is not spoiled: a savepoint).
"""

import logging

from flask import url_for

from interaction.accounts.models import User
from interaction.core.db import db
from interaction.mailbox import services

log = logging.getLogger(__name__)


def letter_url(number: str) -> str:
    """The citizen's page of a letter (its author sees it signed in; staff who handle it are sent on)."""
    try:
        return url_for("mailbox.letter_status", number=number)
    except RuntimeError:  # no request and no SERVER_NAME
        return f"/mailbox/letters/{number}"


def on_question_handed_over(sender, *, department_id=None, author_id=None, subject="", body="", source="",
                            source_ref="", reply_workdays=5, handed_to=None, **_kwargs) -> None:
    """Turn a handed-over question into a letter (see the module docstring)."""
    if handed_to is None or any(isinstance(item, dict) and item.get("kind") for item in handed_to):
        return
    mailbox = services.first_mailbox(department_id)
    if mailbox is None:
        return
    author = db.session.get(User, author_id) if author_id is not None else None
    if author is None:
        return
    try:
        with db.session.begin_nested():
            letter = services.hand_over_question(mailbox, author, subject=subject, body=body, source=source,
                                                 source_ref=str(source_ref), workdays=int(reply_workdays))
    except Exception:  # the interview must still end; the question stays on its handover list
        log.exception("could not hand over %s %s to mailbox %s", source, source_ref, mailbox.code)
        return
    handed_to.append({"kind": "letter", "number": letter.number, "url": letter_url(letter.number)})


def on_handover_status(sender, *, items=(), user=None, **_kwargs) -> dict:
    """The state of the letters among handed-over *items*, and whether *user* may open each.

    The public sees that a question became a letter to a department and how far it is; the
    link to the letter's page is for those it serves (its author, staff who handle it, oversight):
    for anyone else that page is a 404.
    """
    from sqlalchemy import select

    from interaction.accounts.models import Department
    from interaction.mailbox.models import Letter
    from interaction.mailbox.views import STATUS_LABELS

    numbers = {item.get("number") for item in items
               if isinstance(item, dict) and item.get("kind") == "letter" and item.get("number")}
    if not numbers:
        return {}
    rows = db.session.execute(
        select(Letter, Department.name).join(Department, Department.id == Letter.department_id)
        .where(Letter.number.in_(numbers))).all()
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return {("letter", letter.number): {
        "status": str(STATUS_LABELS.get(getattr(letter.status, "value", letter.status), letter.status)),
        "department": department,
        "may_follow": bool(signed_in and (letter.author_id == user.id or services.can_handle(user, letter)
                                          or services.can_oversee(user)))}
        for letter, department in rows}
