"""Signals that features send and receive; features never import each other.

Receivers get the sender (a short feature name) and keyword arguments with
plain data or model objects, and run inside the sender's transaction: they may
add and flush, never commit.
"""

from blinker import Namespace

_signals = Namespace()

#: A moderation case was decided. kwargs: case (ModerationCase), actor (User, or None when the
#: automatic screening decided).
moderation_decided = _signals.signal("moderation-decided")

#: A user signed in / out. kwargs: user.
user_signed_in = _signals.signal("user-signed-in")

#: A live interview ended; kwargs: interview, unanswered (list of dicts with question data).
interview_ended = _signals.signal("interview-ended")

#: A channel hands a citizen's question over to a department as a letter or Q&A question.
#: kwargs: department_id, author_id, subject, body, source (str), source_ref (str), reply_workdays (int).
#: Receivers append a dict {"kind", "url", "number"?} to kwargs["handed_to"].
question_handed_over = _signals.signal("question-handed-over")

#: What the public (or a given person) may know of handed-over items: kwargs items (the dicts of
#: ``handed_to``), user (User or None). The receiver owning an item's kind returns
#: ``{(kind, number): {"status": translated state, "department": name, "may_follow": bool}}``
#: — ``may_follow``: the item's ``url`` opens for *user* (its author, staff who handle it).
handover_status = _signals.signal("handover-status")

#: The official calendar of a year was entered, changed or removed (core.calendar). kwargs: year (int),
#: actor. Features recompute the deadlines of what is still waiting for a reply: they were counted,
#: perhaps provisionally (weekends only), on the schedule in force before.
calendar_changed = _signals.signal("calendar-changed")
