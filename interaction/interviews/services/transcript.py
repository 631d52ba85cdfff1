"""The transcript (文字实录): entries in seq order, guests' answers and hosts' remarks, corrections afterwards."""

from flask_babel import gettext as _
from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from interaction.accounts.models import User
from interaction.core import audit
from interaction.core.db import db
from interaction.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from interaction.core.sanitize import plain_text_html
from interaction.core.time import now_utc
from interaction.interviews import live, search_documents
from interaction.interviews.models import (EntryKind, Guest, GuestRole, Interview, LiveQuestion, QuestionState,
                                           TranscriptEntry, TranscriptRevision)
from interaction.interviews.services.rules import (MAX_ANSWER, MAX_QUESTION, MAX_REASON, can_run, require_user,
                                                   speaking_guest, text_field)
from interaction.interviews.services.scheduling import lock_interview


# On the table, not the mapped class: the ORM-enabled UPDATE evaluated its criteria against the
# session's objects on every call (a third of its cost); append_entry updates the one object itself.
_interviews = Interview.__table__
_TAKE_SEQ = (update(_interviews).where(_interviews.c.id == bindparam("interview_id"))
             .values(next_seq=_interviews.c.next_seq + 1).returning(_interviews.c.next_seq))


def append_entry(interview_id: int, kind: EntryKind, body: str, *, question: LiveQuestion | None = None,
                 guest: Guest | None = None, author_name: str = "", author: User | None = None) -> TranscriptEntry:
    """Add a transcript entry with the interview's next seq.

    Taking the seq (``UPDATE interviews SET next_seq = next_seq + 1 ... RETURNING``) locks the
    interview's row until the commit, so entries commit in seq order without a separate lock.
    """
    taken = db.session.execute(_TAKE_SEQ, {"interview_id": interview_id}).scalar_one()
    loaded = db.session.identity_map.get(identity_key(Interview, interview_id))
    if loaded is not None:  # keep the session's interview in step without reading it again
        set_committed_value(loaded, "next_seq", taken)
    entry = TranscriptEntry(interview_id=interview_id, seq=taken - 1, kind=kind.value, body=body,
                            body_html=plain_text_html(body), at_dt=now_utc(),
                            question_id=question.id if question is not None else None,
                            guest_id=guest.id if guest is not None else None,
                            author_name=author_name[:200], author_user_id=getattr(author, "id", None))
    db.session.add(entry)
    db.session.flush()
    return entry


def answer(interview: Interview, body, *, actor: User | None, question: LiveQuestion | None = None,
           guest_id: int | None = None) -> TranscriptEntry:
    """A guest answers *question* (or speaks without one); a host's words without a question are a remark.

    Only while the interview is live; only guests and hosts of this interview, or moderators
    running it (who may type for a named guest).
    """
    actor = require_user(actor)
    guest = speaking_guest(interview, actor, guest_id)
    if guest is None:
        raise Forbidden()
    text = text_field(body, "body", MAX_ANSWER)
    interview = lock_interview(interview.id)
    if not interview.is_live:
        raise InvalidTransition(_("访谈不在进行中。"), code="not_live")
    if question is not None:
        if question.interview_id != interview.id:
            raise NotFound()
        if question.state not in (QuestionState.approved, QuestionState.answered):
            raise InvalidTransition(code="not_approved")
    kind = EntryKind.answer if question is not None or guest.role == GuestRole.guest else EntryKind.host
    entry = append_entry(interview.id, kind, text, question=question, guest=guest if guest.id else None,
                         author_name=guest.display_name, author=actor)
    if question is not None:
        question.mark_answered(entry)
        if interview.current_question_id == question.id:
            interview.current_question_id = None
    db.session.flush()
    audit.record("interviews.answer", actor=actor, target=entry, interview_id=interview.id, kind=entry.kind)
    live.broadcast_entry(entry)
    if question is not None:
        live.broadcast_question(question)
    return entry


def post_remark(interview: Interview, body, *, actor: User | None) -> TranscriptEntry:
    """A host's remark (主持人): no question, kind ``host``."""
    actor = require_user(actor)
    guest = speaking_guest(interview, actor)
    if guest is None or guest.role != GuestRole.host:
        raise Forbidden()
    return answer(interview, body, actor=actor, guest_id=guest.id)


def correct_entry(entry: TranscriptEntry, body, *, reason, actor: User | None) -> TranscriptRevision:
    """Correct the transcript afterwards; the text before is kept as a revision."""
    if not can_run(actor):
        raise Forbidden()
    limit = MAX_QUESTION if entry.kind == EntryKind.question else MAX_ANSWER
    text = text_field(body, "body", limit)
    why = text_field(reason, "reason", MAX_REASON)
    if text == entry.body:
        raise ValidationFailed({"body": _("内容没有变化。")})
    revision = TranscriptRevision(entry_id=entry.id, body_before=entry.body, body_after=text, reason=why,
                                  editor_id=actor.id, at_dt=now_utc())
    entry.body = text
    entry.body_html = plain_text_html(text)
    entry.edited_dt = revision.at_dt
    db.session.add(revision)
    db.session.flush()
    search_documents.put_transcript(db.session.get(Interview, entry.interview_id))
    audit.record("interviews.correct_entry", actor=actor, target=entry, seq=entry.seq, reason=why)
    return revision
