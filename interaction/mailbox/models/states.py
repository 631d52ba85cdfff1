"""The letter's states, categories, channels and timeline actions; the deadline lines in time.

The SQL of "open" is written out here with literals (:data:`OPEN_SQL`): the letters' partial indexes
carry the same predicate (``letter.py``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from interaction.core.calendar import get_calendar
from interaction.core.time import SHANGHAI, now_utc, to_local

# Letters and codes use an alphabet without look-alikes: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCEPT_WORKDAYS = 2
DUE_SOON_WORKDAYS = 2
MAX_EXTENSION_WORKDAYS = 15
TRANSFER_FLAG = 3  # a letter transferred this often is flagged to administrators
LONG_UNANSWERED_MONTHS = 3


class WriteRule(StrEnum):
    """Who may write to a mailbox over the web (the portal's choice, per mailbox)."""

    anyone = "anyone"  # no sign-in, no code (the API's contract for such a mailbox)
    account = "account"  # a signed-in account
    phone = "phone"  # a phone number proved by an SMS code (core.phone_codes)


class LetterState(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    assigned = "assigned"
    replied = "replied"
    rated = "rated"
    closed = "closed"
    rejected = "rejected"


OPEN_STATES = (LetterState.submitted.value, LetterState.accepted.value, LetterState.assigned.value)
#: The SQL of "open", written with literals: the letters' partial indexes (letter.py) carry the same predicate, and the
#: planners (PostgreSQL with prepared statements too, SQLite) use a partial index only for a query whose
#: WHERE contains it verbatim. Use :func:`open_clause` in queries, never ``status.in_(OPEN_STATES)``.
OPEN_SQL = "status IN ('submitted', 'accepted', 'assigned')"
FLAGGED_SQL = f"{OPEN_SQL} AND transfer_count >= {TRANSFER_FLAG}"
SUBMITTED_SQL = "status = 'submitted'"
ANSWERED_STATES = (LetterState.replied.value, LetterState.rated.value, LetterState.closed.value)


class Category(StrEnum):
    consultation = "consultation"
    suggestion = "suggestion"
    complaint = "complaint"
    help = "help"
    report = "report"
    other = "other"


class LetterChannel(StrEnum):
    web = "web"
    post = "post"
    phone = "phone"
    visit = "visit"
    #: A question a live interview did not answer, handed over (``core.signals.question_handed_over``;
    #: see ``receivers``). The asker's account is the author; the phone may be empty for this channel
    #: only (accounts need not have one). Never chosen by people: not in the forms' channel choices.
    live = "live"


#: Channels a letter can be submitted or registered with (web, and staff's post, phone, visit).
SUBMIT_CHANNELS = (LetterChannel.web.value, LetterChannel.post.value, LetterChannel.phone.value,
                   LetterChannel.visit.value)


class EventAction(StrEnum):
    submitted = "submitted"
    registered = "registered"
    accepted = "accepted"
    rejected = "rejected"
    assigned = "assigned"
    transferred = "transferred"
    extended = "extended"
    replied = "replied"
    rated = "rated"
    rehandle = "rehandle"
    supervised = "supervised"
    closed = "closed"
    published = "published"
    handed_over = "handed_over"  # came from another channel (a live interview's unanswered question)
    rescheduled = "rescheduled"  # the deadline recomputed after the year's official calendar was entered


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time *months* calendar months earlier in Shanghai (day clipped to the month)."""
    local = to_local(moment)
    month_index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = local.day
    while True:
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def due_soon_limit(now: datetime | None = None) -> datetime:
    """The latest deadline still "due soon" at *now*: end of the 2nd working day after today."""
    return get_calendar().due_at(now or now_utc(), DUE_SOON_WORKDAYS)


def long_unanswered_limit(now: datetime | None = None) -> datetime:
    """Letters received before this moment and still unanswered have passed the three-months line."""
    return months_before(now or now_utc(), LONG_UNANSWERED_MONTHS)


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)
