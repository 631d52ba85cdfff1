"""Every state change of the moderation queue: submit, decide, edit the word lists.

Services flush and never commit; the caller commits once. Every decision, made by
screening or by a person, is audited and sends ``core.signals.moderation_decided``
inside the transaction so that the feature owning the target updates its state.
"""

import logging
import unicodedata
from collections.abc import Iterable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from interaction.core import audit, words
from interaction.core.db import db
from interaction.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from interaction.core.signals import moderation_decided
from interaction.core.time import now_utc
from interaction.moderation import screening
from interaction.moderation.models import CaseState, ModerationCase, SensitiveWord, Verdict, WordList
from interaction.moderation.registry import get_kind

log = logging.getLogger(__name__)

MAX_REASON = 500
MAX_WORD = 100


def _automatic_rejection_reason() -> str:
    # Stored on the case, so in the source language whatever the submitter's page language.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        return gettext("内容含有不允许发布的词语，未能通过审核。请修改后重新提交。")


_cases = ModerationCase.__table__
#: A case is opened by one ``INSERT … RETURNING`` whose row becomes the session's object (as a decision is one
#: ``UPDATE … RETURNING``, below): the queue's most frequent write, by every submission of every channel,
#: without the unit of work's flush of a new object.
_OPEN_CASE = select(ModerationCase).from_statement(insert(_cases).returning(*_cases.c))


def submit_for_moderation(kind: str, target_id, *, text: str, author=None) -> ModerationCase:
    """Open a case for *target_id* of *kind*, screen *text*, and decide it automatically where rules allow.

    Blocked words: rejected automatically, with a reason the author sees. Review words,
    too many links or too many submissions: pending for a person. Clean: approved
    automatically if the kind has ``auto_approve``, else pending. Raises ``LookupError``
    for a kind no feature registered (a programming error, not user input).
    """
    moderation_kind = get_kind(kind)
    if moderation_kind is None:
        raise LookupError(f"unknown moderation kind {kind!r}: register it with registry.register_kind")
    author_id = getattr(author, "id", author if isinstance(author, int) else None)
    result = screening.screen(text, author_id=author_id)
    case = db.session.scalar(_OPEN_CASE, {"kind": kind, "target_id": str(target_id), "state": CaseState.pending.value,
                                          "screening": result, "text": text or "", "author_id": author_id,
                                          "created_dt": now_utc()})
    audit.record("moderation.submit", target=case, kind=kind, target_ref=case.target_id, verdict=result["verdict"])
    if result["verdict"] == "block":
        _decide_automatically(case, Verdict.reject, _automatic_rejection_reason())
    elif result["verdict"] == "pass" and moderation_kind.auto_approve:
        _decide_automatically(case, Verdict.approve, None)
    return case


def _decide_automatically(case: ModerationCase, verdict: Verdict, reason: str | None) -> None:
    _write_decision(case.id, verdict, reason=reason, actor=None, automatic=True)
    audit.record("moderation.auto_decide", actor=None, target=case, kind=case.kind, target_ref=case.target_id,
                 verdict=verdict.value, reason=reason, screening=case.screening.get("verdict"))
    log.info("moderation case %s %s automatically", case.id, case.state)
    moderation_decided.send(case.kind, case=case, actor=None)


# A decision is one conditional UPDATE: it locks the row and checks that the case is still pending in
# the same statement, so of two moderators deciding at once the second finds it decided (409), and
# nothing is read first. RETURNING refreshes the case object (loaded or not) in the session.
_DECIDE_PENDING = select(ModerationCase).from_statement(
    update(_cases).where(_cases.c.id == bindparam("case_id"), _cases.c.state == CaseState.pending.value)
    .values(state=bindparam("to_state"), reason=bindparam("to_reason"), decided_dt=bindparam("at"),
            decided_by_id=bindparam("by"), is_automatic=bindparam("automatic"))
    .returning(*_cases.c)).execution_options(populate_existing=True)

_STATE_OF = {Verdict.approve: CaseState.approved, Verdict.reject: CaseState.rejected}


def _write_decision(case_id: int, verdict: Verdict, *, reason: str | None, actor, automatic: bool) -> ModerationCase:
    """Write the decision: pending → approved/rejected, or :class:`InvalidTransition` (409) and nothing written."""
    case = db.session.scalar(_DECIDE_PENDING, {
        "case_id": case_id, "to_state": _STATE_OF[verdict].value, "to_reason": reason, "at": now_utc(),
        "by": getattr(actor, "id", None), "automatic": automatic})
    if case is None:
        raise InvalidTransition(code="already_decided")
    return case


def _check_decision(verdict: str, reason: str | None) -> tuple[Verdict, str | None]:
    """Validate a person's decision: a known verdict, and a reason for every rejection."""
    try:
        verdict = Verdict(verdict)
    except ValueError:
        raise ValidationFailed({"verdict": _("请选择通过或不通过。")}) from None
    reason = (reason or "").strip() or None
    if verdict == Verdict.reject and not reason:
        raise ValidationFailed({"reason": _("不通过时必须填写理由，提交人会看到这个理由。")})
    if reason and len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": _("理由不能超过 %(n)d 个字。", n=MAX_REASON)})
    return verdict, reason


def decide_case(case: ModerationCase | int, verdict: str, *, reason: str | None = None, actor) -> ModerationCase:
    """A person's decision on a pending case: ``"approve"`` or ``"reject"`` (with a *reason*).

    *case* is the case or, when the caller has not loaded it, its id (nothing is read before the
    decision). Raises ``ValidationFailed`` (422) for an unknown verdict or a rejection without a
    reason and ``InvalidTransition`` (409) when the case was already decided, by anyone, at any time.
    """
    verdict, reason = _check_decision(verdict, reason)
    case = _write_decision(getattr(case, "id", case), verdict, reason=reason, actor=actor, automatic=False)
    audit.record("moderation.decide", actor=actor, target=case, kind=case.kind, target_ref=case.target_id,
                 verdict=verdict.value, reason=reason)
    log.info("moderation case %s %s by user %s", case.id, case.state, getattr(actor, "id", None))
    moderation_decided.send(case.kind, case=case, actor=actor)
    return case


def decide_cases(cases: Iterable[ModerationCase], verdict: str, reason: str | None = None, *,
                 actor) -> tuple[list[ModerationCase], list[ModerationCase]]:
    """Decide several cases the same way; return (decided, skipped because already decided)."""
    _check_decision(verdict, reason)
    decided, skipped = [], []
    for case in cases:
        try:
            decided.append(decide_case(case, verdict, reason=reason, actor=actor))
        except InvalidTransition:  # raised before anything about this case was written
            skipped.append(case)
    return decided, skipped


def get_case_or_404(case_id) -> ModerationCase:
    """The case with *case_id*; ``NotFound`` (404) if there is none or the id is not a number."""
    try:
        case = db.session.get(ModerationCase, int(case_id))
    except (TypeError, ValueError):
        case = None
    if case is None:
        raise NotFound()
    return case


# -- word lists ---------------------------------------------------------------------------------------------

def normalize_word(word: str) -> str:
    """The stored form: NFKC (full-width to half-width), no surrounding space, letters in lower case."""
    return unicodedata.normalize("NFKC", word or "").strip().casefold()


def _check_list(list_name: str) -> WordList:
    try:
        return WordList(list_name)
    except ValueError:
        raise ValidationFailed({"list": _("请选择禁止词或审核词。")}) from None


def add_sensitive_word(word: str, list_name: str, *, actor) -> SensitiveWord:
    """Add *word* to the ``block`` or ``review`` list (moving it if it is on the other one).

    Raises ``ValidationFailed`` for an empty or too long word or unknown list and
    ``Conflict`` if the word is already on that list.
    """
    word_list = _check_list(list_name)
    normalized = normalize_word(word)
    if not words.normalize(normalized):  # only punctuation or spaces: the screen would ignore it
        raise ValidationFailed({"word": _("请填写词语。")})
    if len(normalized) > MAX_WORD:
        raise ValidationFailed({"word": _("词语不能超过 %(n)d 个字。", n=MAX_WORD)})
    existing = db.session.scalar(select(SensitiveWord).where(SensitiveWord.word == normalized))
    if existing is not None:
        if existing.list == word_list:
            raise Conflict(_("该词语已在列表中。"), code="word_exists")
        audit.record("moderation.word_move", actor=actor, target=existing, word=normalized,
                     from_list=existing.list, to_list=word_list.value)
        existing.list = word_list.value
        screening.bump_version()
        return existing
    entry = SensitiveWord(word=normalized, list=word_list.value, created_by_id=getattr(actor, "id", None))
    db.session.add(entry)
    db.session.flush()
    audit.record("moderation.word_add", actor=actor, target=entry, word=normalized, list=word_list.value)
    screening.bump_version()
    return entry


def add_sensitive_words(lines: str, list_name: str, *, actor) -> tuple[list[SensitiveWord], list[str]]:
    """Add one word per line of *lines* (a pasted list); return (added or moved, skipped duplicates)."""
    word_list = _check_list(list_name)
    added, skipped, seen = [], [], set()
    for raw in (lines or "").splitlines():
        word = normalize_word(raw)
        if not word or word in seen:
            continue
        seen.add(word)
        if len(word) > MAX_WORD:
            skipped.append(word)
            continue
        try:
            added.append(add_sensitive_word(word, word_list.value, actor=actor))
        except Conflict:  # raised before anything was written
            skipped.append(word)
    return added, skipped


def remove_sensitive_word(entry: SensitiveWord, *, actor) -> None:
    """Take *entry* off its list."""
    audit.record("moderation.word_remove", actor=actor, target=entry, word=entry.word, list=entry.list)
    db.session.delete(entry)
    db.session.flush()
    screening.bump_version()
