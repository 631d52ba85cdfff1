"""Deadlines recomputed when a year's official calendar is entered or changed (``signals.calendar_changed``).

A deadline that crosses a year without a schedule was counted on weekends only (暂定期限,
``Letter.due_provisional``): 2027-01-01 counted as a working day until 2027 was entered. When an
administrator enters or changes a year, every letter still waiting for its reply whose deadline
reaches into that year is counted again, exactly as its history gave it: from the day its current
round began (receipt, or the rehandle request), ``workdays`` working days (the mailbox's
``reply_days`` then, or the hand-over's), then the extension's working days counted on from that
day; a transfer does not move the deadline. ``Letter.due_basis`` keeps those three figures; a letter
stored before it existed has them read from its history (receipt, the last rehandle line, the
mailbox's ``reply_days``, ``extended_workdays``). The acceptance deadline of a letter not yet
accepted is counted again from its receipt. A moved deadline gets a timeline line and an audit entry,
and its reminders are sent again for the new date.
"""

from __future__ import annotations

import logging
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from interaction.core import audit
from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models import (ACCEPT_WORKDAYS, EventAction, Letter, LetterEvent, LetterState,
                                        end_of_local_day, open_clause, start_of_local_day)
from interaction.mailbox.services.common import _default_locale, add_event

log = logging.getLogger(__name__)


def due_basis(letter: Letter) -> dict:
    """``{"from": date, "workdays": N, "extended": M}`` of *letter*'s current deadline (see the module docstring)."""
    stored = letter.due_basis or {}
    if stored.get("from"):
        return {"from": date.fromisoformat(stored["from"]), "workdays": int(stored["workdays"]),
                "extended": int(stored.get("extended") or 0)}
    start, extended = letter.received_dt, letter.extended_workdays or 0
    if letter.is_rehandled:
        rehandled = db.session.scalar(select(LetterEvent.at_dt).where(
            LetterEvent.letter_id == letter.id, LetterEvent.action == EventAction.rehandle.value)
            .order_by(LetterEvent.id.desc()).limit(1))
        if rehandled is not None:
            start, extended = rehandled, int(stored.get("extended") or 0)
    return {"from": to_local(start).date(), "workdays": letter.mailbox.reply_days, "extended": extended}


def computed_due(letter: Letter):
    """The reply deadline *letter*'s history gives on the calendar in force now."""
    basis, calendar = due_basis(letter), get_calendar()
    day = calendar.add_workdays(calendar.add_workdays(basis["from"], basis["workdays"]), basis["extended"])
    return end_of_local_day(day)


def recompute_deadlines(year: int, *, actor=None) -> list[Letter]:
    """Count again the deadlines of letters not yet replied that reach into *year*; return those that moved.

    Letters whose reply deadline (or acceptance deadline) falls before *year* were counted without
    it and are left alone.
    """
    first_day = start_of_local_day(date(year, 1, 1))
    letters = db.session.scalars(select(Letter).where(open_clause(), Letter.due_dt >= first_day)
                                 .order_by(Letter.id)).all()
    moved = []
    calendar, now = get_calendar(), now_utc()
    for letter in letters:
        old_due, old_accept = letter.due_dt, letter.accept_due_dt
        new_due = computed_due(letter)
        new_accept = old_accept
        if letter.status == LetterState.submitted.value:
            new_accept = end_of_local_day(calendar.add_workdays(letter.received_date, ACCEPT_WORKDAYS))
        if new_due == old_due and new_accept == old_accept:
            continue
        letter.due_dt, letter.accept_due_dt = new_due, new_accept
        letter.reminded_due_soon_dt = letter.reminded_due_dt = None
        old_text, new_text = to_local(old_due).strftime("%Y-%m-%d"), to_local(new_due).strftime("%Y-%m-%d")
        with _default_locale():
            note = _("%(year)d 年的工作日历已录入，答复期限由 %(old)s 调整为 %(new)s。", year=year, old=old_text,
                     new=new_text)
        add_event(letter, EventAction.rescheduled, actor=actor, note=note, department_id=letter.department_id,
                  data={"year": year, "old_due": old_due.isoformat(), "new_due": new_due.isoformat()}, at=now)
        audit.record("mailbox.reschedule", actor=actor, target=letter, number=letter.number, year=year,
                     old_due=old_due.isoformat(), new_due=new_due.isoformat(),
                     old_accept_due=old_accept.isoformat(), new_accept_due=new_accept.isoformat())
        moved.append(letter)
    db.session.flush()
    if moved:
        log.info("calendar %d: %d letters' deadlines recomputed", year, len(moved))
    return moved


def on_calendar_changed(sender, *, year: int, actor=None, **_kwargs) -> None:
    """``signals.calendar_changed``: recompute the deadlines of open letters that reach into *year*."""
    recompute_deadlines(year, actor=actor)
