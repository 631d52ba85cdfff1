"""Handling a letter: who may act on it, and the steps of its state machine (accept … rehandle, supervise).

Every step goes through :func:`_transition`: lock the row, make the move on the model (whose
transition method raises ``InvalidTransition``, 409, when the letter is not in a state for it), add
the line to the letter's timeline and record the audit entry. Deadlines: a transfer keeps the
deadline; an extension (once, 1–15 working days) counts on from the current deadline's day; a
rehandle (再办理) starts a new round of ``reply_days`` working days from the day it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission
from interaction.core import audit
from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from interaction.core.mail import send_mail
from interaction.core.sanitize import plain_text_html
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models import MAX_EXTENSION_WORKDAYS, OPEN_STATES, EventAction, Letter, end_of_local_day
from interaction.mailbox.services.common import _clean, _default_locale, _notify_department, _track_url, add_event
from interaction.mailbox.services.publication import put_forward_for_publication
from interaction.mailbox.services.submission import find_letter

# -- who may act ----------------------------------------------------------------------------------------

def can_handle(user, letter: Letter) -> bool:
    """Staff of the letter's current department, and administrators."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.can(Permission.HANDLE)
                and user.belongs_to(letter.department_id))


def require_handle(user, letter: Letter) -> None:
    """``Forbidden`` (403) unless *user* may act on *letter* (see :func:`can_handle`)."""
    if not can_handle(user, letter):
        raise Forbidden(_("只有当前承办部门的工作人员可以办理这封信。"))


def can_oversee(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.can(Permission.OVERSEE))


def get_letter_for_staff_or_404(number: str, user) -> Letter:
    """The letter with *number* as *user* may see it at work: ``NotFound`` (404) unless they handle or oversee it.

    Another department's letter answers the very 404 of an unknown number, so that staff cannot
    learn which numbers exist by trying them. Whether *user* may act on it is still
    :func:`require_handle`'s question (403 for an overseer, who sees every letter).
    """
    letter = find_letter(number)
    if letter is None or not (can_handle(user, letter) or can_oversee(user)):
        raise NotFound()
    return letter


def view_personal_data(letter: Letter, *, actor) -> None:
    """Record that *actor* (staff) saw the writer's personal data of *letter*."""
    audit.record("mailbox.view_personal_data", actor=actor, target=letter, number=letter.number)


# -- one step of the state machine ----------------------------------------------------------------------

def _lock(letter: Letter) -> None:
    """Reload under a row lock (PostgreSQL) so two clerks cannot both move the letter."""
    db.session.flush()
    # Lock the letters row only: FOR UPDATE cannot apply to the outer-joined mailbox and department.
    db.session.execute(select(Letter.id).where(Letter.id == letter.id).with_for_update())
    db.session.refresh(letter)


class _Step:
    """What the body of a :func:`_transition` block tells it: the moment, the timeline data, audit values."""

    __slots__ = ("at", "data", "audit")

    def __init__(self, at: datetime) -> None:
        self.at: datetime = at
        self.data: dict | None = None
        self.audit: dict = {}


@contextmanager
def _transition(letter: Letter, verb: str, action: EventAction, *, actor, note: str | None = None,
                department: bool = True, internal: bool = False, lock: bool = True) -> Iterator[_Step]:
    """One step of *letter*'s state machine, written the same way for every step.

    Use: ``with _transition(letter, "accept", EventAction.accepted, actor=actor) as step:
    letter.accept(step.at)``. Before the block: lock the letter's row and reload it (*lock*), and
    take the moment ``step.at``. The block makes the move on the model, reading the reloaded letter,
    and may set ``step.data`` (the timeline line's data) and ``step.audit`` (more values for the
    audit entry). If it raises (``InvalidTransition``, 409), nothing more is written. After it: the
    timeline line *action* (with the letter's department as it now is, unless *department* is
    False) and the audit entry ``mailbox.<verb>``. Notices and publication follow the block, in the
    service.
    """
    if lock:
        _lock(letter)
    step = _Step(now_utc())
    yield step
    add_event(letter, action, actor=actor, note=note, department_id=letter.department_id if department else None,
              internal=internal, data=step.data, at=step.at)
    audit.record(f"mailbox.{verb}", actor=actor, target=letter, number=letter.number, **step.audit)


def _active_department(department: Department | None, field: str = "department") -> Department:
    if department is None or not department.is_active:
        raise ValidationFailed({field: _("请选择一个有效的部门。")})
    return department


def _due_text(letter: Letter) -> str:
    return to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")


# -- the steps ------------------------------------------------------------------------------------------

def accept_letter(letter: Letter, *, actor) -> Letter:
    """Submitted → accepted (受理)."""
    with _transition(letter, "accept", EventAction.accepted, actor=actor) as step:
        letter.accept(step.at)
    return letter


def reject_letter(letter: Letter, reason: str, *, actor) -> Letter:
    """Submitted → rejected (不予受理) with a *reason* the writer sees."""
    reason = _clean(reason)
    if not reason:
        raise ValidationFailed({"reason": _("请填写不予受理的理由。")})
    with _transition(letter, "reject", EventAction.rejected, actor=actor, note=reason) as step:
        letter.reject(reason, step.at)
        step.audit = {"reason": reason}
    if letter.email:
        with _default_locale():
            send_mail(letter.email, _("您的来信（编号 %(number)s）不予受理", number=letter.number),
                      _("理由：%(reason)s", reason=reason))
    return letter


def assign_letter(letter: Letter, department: Department | None, *, actor) -> Letter:
    """Accepted → assigned (交办) to *department* (the own one or another); its staff are notified."""
    department = _active_department(department)
    with _transition(letter, "assign", EventAction.assigned, actor=actor) as step:
        letter.assign(department.id, step.at)
        step.audit = {"department": department.code}
    with _default_locale():
        _notify_department(letter, department.id, _("新交办来信 %(number)s", number=letter.number),
                           _("来信“%(subject)s”已交由贵单位办理，答复期限：%(due)s。", subject=letter.subject,
                             due=_due_text(letter)))
    return letter


def transfer_letter(letter: Letter, department: Department | None, reason: str, *, actor) -> Letter:
    """Assigned → assigned under *department* (转办) with a *reason*; the deadline keeps running.

    A letter transferred three times is flagged to administrators (``Letter.is_flagged``).
    """
    department = _active_department(department)
    reason = _clean(reason)
    if not reason:
        raise ValidationFailed({"reason": _("请填写转办理由。")})
    if department.id == letter.department_id:
        raise ValidationFailed({"department": _("不能转办给当前承办部门。")})
    with _transition(letter, "transfer", EventAction.transferred, actor=actor, note=reason) as step:
        step.data = {"from": letter.department_id}
        letter.transfer(department.id)
        step.audit = {"department": department.code, "reason": reason, "transfer_count": letter.transfer_count}
    with _default_locale():
        _notify_department(letter, department.id, _("转办来信 %(number)s", number=letter.number),
                           _("来信“%(subject)s”已转由贵单位办理（理由：%(reason)s），答复期限不变：%(due)s。",
                             subject=letter.subject, reason=reason, due=_due_text(letter)))
    return letter


def extend_letter(letter: Letter, workdays: int, reason: str, *, actor) -> Letter:
    """Extend the reply deadline once by 1–15 working days (延期), counted from the current deadline's day."""
    reason = _clean(reason)
    errors = {}
    if not isinstance(workdays, int) or not 1 <= workdays <= MAX_EXTENSION_WORKDAYS:
        errors["workdays"] = _("延期天数须为 1 至 %(n)d 个工作日。", n=MAX_EXTENSION_WORKDAYS)
    if not reason:
        errors["reason"] = _("请填写延期理由。")
    if errors:
        raise ValidationFailed(errors)
    with _transition(letter, "extend", EventAction.extended, actor=actor, note=reason) as step:
        old_due = letter.due_dt
        letter.extend(workdays, end_of_local_day(get_calendar().add_workdays(letter.due_date, workdays)), reason)
        letter.due_basis = {**(letter.due_basis or {}), "extended": workdays}
        step.data = {"workdays": workdays}
        step.audit = {"workdays": workdays, "reason": reason, "old_due": old_due.isoformat(),
                      "new_due": letter.due_dt.isoformat()}
    return letter


def reply_letter(letter: Letter, body: str, *, actor) -> Letter:
    """Assigned → replied (答复). With the writer's consent the masked letter goes to moderation."""
    body = _clean(body)
    if not body:
        raise ValidationFailed({"body": _("请填写答复内容。")})
    with _transition(letter, "reply", EventAction.replied, actor=actor) as step:
        letter.reply(body, plain_text_html(body), step.at)
        step.data = {"body": body}
        step.audit = {"on_time": letter.replied_on_time}
    if letter.public_consent:
        put_forward_for_publication(letter)
    if letter.email:
        with _default_locale():
            send_mail(letter.email, _("您的来信（编号 %(number)s）已答复", number=letter.number),
                      _("凭信件编号和查询码可查看答复全文并评价：%(url)s", url=_track_url()))
    return letter


def close_letter(letter: Letter, *, actor) -> Letter:
    """Replied or rated → closed (办结)."""
    with _transition(letter, "close", EventAction.closed, actor=actor) as step:
        letter.close(step.at)
    return letter


def overall_score(resolution: int, attitude: int, speed: int) -> int:
    """The overall score of the three dimensions: their mean, rounded half up (3.5 → 4)."""
    total = resolution + attitude + speed
    return (2 * total + 3) // 6


def rate_letter(letter: Letter, score: int | None, *, resolution: int | None = None, attitude: int | None = None,
                speed: int | None = None, comment: str | None = None, actor=None) -> Letter:
    """Replied → rated; a rating before the reply, or a second one, is 409.

    *score* is the overall 1–5; when omitted it is the rounded mean of the three dimensions
    (解决程度, 办理态度, 办理速度).
    """
    dims = (resolution, attitude, speed)
    errors = {}
    for name, value in zip(("resolution", "attitude", "speed"), dims):
        if value is not None and not 1 <= value <= 5:
            errors[name] = _("请选择 1 至 5 分。")
    if score is None and all(v is not None for v in dims) and not errors:
        score = overall_score(*dims)
    if score is None or not 1 <= score <= 5:
        errors["score"] = _("请选择 1 至 5 分。")
    comment = _clean(comment) or None
    if comment and len(comment) > 500:
        errors["comment"] = _("评价意见不能超过 %(n)d 个字。", n=500)
    if errors:
        raise ValidationFailed(errors)
    # The writer's line carries no department.
    with _transition(letter, "rate", EventAction.rated, actor=actor, note=comment, department=False) as step:
        letter.rate(score, resolution, attitude, speed, comment, step.at)
        step.data = {"score": score, "resolution": resolution, "attitude": attitude, "speed": speed}
        step.audit = {"score": score}
    return letter


def request_rehandle(letter: Letter, reason: str | None = None, *, actor=None) -> Letter:
    """Rated with overall 1–2, once → assigned again (再办理) with a new deadline of ``reply_days``."""
    reason = _clean(reason) or None
    with _transition(letter, "rehandle", EventAction.rehandle, actor=actor, note=reason) as step:
        letter.rehandle(get_calendar().due_at(step.at, letter.mailbox.reply_days), step.at)
        letter.due_basis = {"from": to_local(step.at).date().isoformat(), "workdays": letter.mailbox.reply_days,
                            "extended": 0}
    with _default_locale():
        _notify_department(letter, letter.department_id, _("来信 %(number)s 需再办理", number=letter.number),
                           _("来信人对答复不满意，申请再办理。新的答复期限：%(due)s。", due=_due_text(letter)))
    return letter


def supervise_letter(letter: Letter, note: str, *, actor) -> Letter:
    """督办: record *note* in the timeline (internal) and notify the handling department.

    Not a change of state: the letter is not locked, and two notes may come at once.
    """
    note = _clean(note)
    if not note:
        raise ValidationFailed({"note": _("请填写督办意见。")})
    if letter.status not in OPEN_STATES:
        raise InvalidTransition(_("只能督办尚未答复的来信。"))
    with _transition(letter, "supervise", EventAction.supervised, actor=actor, note=note, internal=True,
                     lock=False) as step:
        letter.supervised_dt = step.at
        step.audit = {"note": note}
    with _default_locale():
        _notify_department(letter, letter.department_id, _("督办通知：来信 %(number)s", number=letter.number),
                           _("督办意见：%(note)s\n答复期限：%(due)s。", note=note, due=_due_text(letter)))
    return letter


ACTIONS = ("accept", "reject", "assign", "transfer", "extend", "reply", "close")


def act_on_letter(letter: Letter, action: str, *, actor, reason: str | None = None,
                  department: Department | None = None, workdays: int | None = None,
                  body: str | None = None) -> Letter:
    """Dispatch one of :data:`ACTIONS` (the API's ``{"action": ...}``) to its service."""
    if action == "accept":
        return accept_letter(letter, actor=actor)
    if action == "reject":
        return reject_letter(letter, reason, actor=actor)
    if action == "assign":
        return assign_letter(letter, department, actor=actor)
    if action == "transfer":
        return transfer_letter(letter, department, reason, actor=actor)
    if action == "extend":
        return extend_letter(letter, workdays, reason, actor=actor)
    if action == "reply":
        return reply_letter(letter, body, actor=actor)
    if action == "close":
        return close_letter(letter, actor=actor)
    raise ValidationFailed({"action": _("未知的办理操作。")})
