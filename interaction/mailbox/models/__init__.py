"""Mailboxes, letters and their timelines; the letter state machine and its deadline rules.

Status flow (API.md): ``submitted → accepted → assigned → replied → rated → closed`` with
``rejected`` as an end. ``transfer`` keeps ``assigned`` under another department; ``rehandle``
(再办理, once, after an overall rating of 1–2) takes a rated letter back to ``assigned`` with a
new deadline. Each transition is a method that raises :class:`InvalidTransition` (409) when the
letter's state does not allow it; services compute times and deadlines and call these methods.

Deadlines are stored in UTC: ``accept_due_dt`` (2 working days) and ``due_dt`` (the reply
deadline, the API's ``due_at``). Rules used in Python and in SQL are hybrid properties:
``is_open``, ``is_overdue``, ``is_due_soon`` (≤ 2 working days left) and ``is_long_unanswered``
(a valid letter unanswered for more than three months, the inspection indicators' red line).
"""

from interaction.mailbox.models.letter import Letter, LetterEvent, open_clause  # noqa: F401
from interaction.mailbox.models.mailboxes import Mailbox, MailboxSnapshot  # noqa: F401
from interaction.mailbox.models.states import (  # noqa: F401
    ACCEPT_WORKDAYS,
    ALPHABET,
    ANSWERED_STATES,
    DUE_SOON_WORKDAYS,
    FLAGGED_SQL,
    LONG_UNANSWERED_MONTHS,
    MAX_EXTENSION_WORKDAYS,
    OPEN_SQL,
    OPEN_STATES,
    SUBMIT_CHANNELS,
    SUBMITTED_SQL,
    TRANSFER_FLAG,
    Category,
    EventAction,
    LetterChannel,
    LetterState,
    WriteRule,
    due_soon_limit,
    end_of_local_day,
    long_unanswered_limit,
    months_before,
    start_of_local_day,
)
