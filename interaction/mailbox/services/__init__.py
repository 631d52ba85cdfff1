"""Every state change of the leader mailbox: submit, handle, reply, rate, rehandle, supervise, publish.

Services take plain data and an explicit ``actor``; they flush and never commit, write the
letter's timeline (:class:`LetterEvent`) and the audit log, and queue e-mails with
``core.mail.send_mail`` (sent after commit).

Callers import this package (``from interaction.mailbox import services``); its parts, one seam each:

* :mod:`.submission`: numbers, query codes, submitting and registering letters, questions handed over;
* :mod:`.handling`: who may act on a letter, and the steps of its state machine (one helper, ``_transition``);
* :mod:`.publication`: the masked version put forward for moderation and the decision's receiver;
* :mod:`.reminders`: scheduled work (deadline reminders, closing rated letters);
* :mod:`.mailboxes`: administration of the mailboxes;
* :mod:`.common`: the timeline and the notices the others share.

To replace a function in a test, patch it where it lives (``services.submission.new_number``):
the parts call each other directly, not through this package.
"""

from interaction.mailbox.services.common import add_event, department_emails, event_values
from interaction.mailbox.services.handling import (ACTIONS, accept_letter, act_on_letter, assign_letter, can_handle,
                                                   can_oversee, close_letter, extend_letter,
                                                   get_letter_for_staff_or_404, overall_score, rate_letter,
                                                   reject_letter, reply_letter, request_rehandle, require_handle,
                                                   supervise_letter, transfer_letter, view_personal_data)
from interaction.mailbox.services.mailboxes import save_mailbox
from interaction.mailbox.services.publication import (MODERATION_KIND, describe_for_moderation, on_moderation_decided,
                                                      public_documents, put_forward_for_publication)
from interaction.mailbox.services.reminders import CLOSE_AFTER_RATING_WORKDAYS, close_rated_letters, send_reminders
from interaction.mailbox.services.submission import (CODE_LENGTH, MAX_BODY, NUMBER_RANDOM_LENGTH, REGISTER_MAX_AGE,
                                                     RESUBMIT_WINDOW, can_register, find_letter, first_mailbox,
                                                     get_letter_or_404, hand_over_question, hash_code,
                                                     letter_by_code, new_number, normalize_code, normalize_number,
                                                     submit_letter)

__all__ = [
    "ACTIONS", "CLOSE_AFTER_RATING_WORKDAYS", "CODE_LENGTH", "MAX_BODY", "MODERATION_KIND", "NUMBER_RANDOM_LENGTH",
    "REGISTER_MAX_AGE", "RESUBMIT_WINDOW",
    "accept_letter", "act_on_letter", "add_event", "assign_letter", "can_handle", "can_oversee", "can_register",
    "close_letter", "close_rated_letters", "department_emails", "describe_for_moderation", "event_values",
    "extend_letter", "find_letter", "first_mailbox", "get_letter_for_staff_or_404", "get_letter_or_404",
    "hand_over_question", "hash_code", "letter_by_code", "new_number", "normalize_code", "normalize_number",
    "on_moderation_decided", "overall_score", "public_documents", "put_forward_for_publication", "rate_letter",
    "reject_letter", "reply_letter", "request_rehandle", "require_handle", "save_mailbox", "send_reminders",
    "submit_letter", "supervise_letter", "transfer_letter", "view_personal_data",
]
