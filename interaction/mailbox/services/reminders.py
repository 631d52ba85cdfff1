"""Scheduled work of the mailbox: deadline reminders, and closing rated letters after the window for 再办理."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models import EventAction, Letter, LetterState, due_soon_limit, end_of_local_day, open_clause
from interaction.mailbox.services.common import _default_locale, _notify_department, add_event

#: A rated letter closes this many working days after its rating (the window to ask for 再办理).
CLOSE_AFTER_RATING_WORKDAYS = 5


def send_reminders(now: datetime | None = None) -> dict:
    """Send each deadline reminder once: two working days before the reply deadline, and on its day.

    Safe to run as often as wanted (cron): a reminder is marked sent in the same transaction
    that queues it, and concurrent runs skip rows another run holds (PostgreSQL).
    """
    now = now or now_utc()
    counts = {"due_soon": 0, "due": 0, "closed": 0}
    today_end = end_of_local_day(to_local(now).date())
    due_today = list(db.session.scalars(
        select(Letter).where(open_clause(), Letter.due_dt <= today_end,
                             Letter.reminded_due_dt.is_(None))
        .order_by(Letter.due_dt).with_for_update(skip_locked=True, of=Letter)))
    for letter in due_today:
        letter.reminded_due_dt = now
        letter.reminded_due_soon_dt = letter.reminded_due_soon_dt or now
        with _default_locale():
            overdue = letter.due_dt < now
            subject = (_("来信 %(number)s 已超过答复期限", number=letter.number) if overdue
                       else _("来信 %(number)s 今天到期", number=letter.number))
            _notify_department(letter, letter.department_id, subject,
                               _("来信“%(subject)s”的答复期限是 %(due)s。", subject=letter.subject,
                                 due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")))
        counts["due"] += 1
    soon = list(db.session.scalars(
        select(Letter).where(open_clause(), Letter.due_dt > today_end,
                             Letter.due_dt <= due_soon_limit(now), Letter.reminded_due_soon_dt.is_(None))
        .order_by(Letter.due_dt).with_for_update(skip_locked=True, of=Letter)))
    for letter in soon:
        letter.reminded_due_soon_dt = now
        with _default_locale():
            _notify_department(letter, letter.department_id,
                               _("来信 %(number)s 即将到期", number=letter.number),
                               _("来信“%(subject)s”的答复期限是 %(due)s，还剩 %(n)d 个工作日。",
                                 subject=letter.subject, due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M"),
                                 n=letter.workdays_left(now)))
        counts["due_soon"] += 1
    counts["closed"] = close_rated_letters(now)
    db.session.flush()
    return counts


def close_rated_letters(now: datetime) -> int:
    """Close rated letters whose window to ask for 再办理 has passed."""
    calendar = get_calendar()
    count = 0
    rated = db.session.scalars(select(Letter).where(Letter.status == LetterState.rated.value)
                               .order_by(Letter.rated_dt).limit(1000).with_for_update(skip_locked=True, of=Letter))
    for letter in rated:
        if calendar.workdays_between(to_local(letter.rated_dt).date(), to_local(now).date()) \
                >= CLOSE_AFTER_RATING_WORKDAYS:
            letter.close(now)
            add_event(letter, EventAction.closed, at=now)
            count += 1
    return count
