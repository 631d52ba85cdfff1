"""Every state change of the leader mailbox: submit, handle, reply, rate, rehandle, supervise, publish.

Services take plain data and an explicit ``actor``; they flush and never commit, write the
letter's timeline (:class:`LetterEvent`) and the audit log, and queue e-mails with
``core.mail.send_mail`` (sent after commit). Deadlines come from ``core.calendar.get_calendar()``:

* acceptance: end (23:59:59 Asia/Shanghai) of the 2nd working day after the Shanghai day of receipt;
* reply (``due_dt``, the API's ``due_at``): end of the Nth working day after that day, N = the
  mailbox's ``reply_days``; a transfer keeps the deadline; an extension (once, 1–15 working days)
  counts on from the current deadline's day; a rehandle (再办理) starts a new round of N working
  days from the day it is asked for.

The query code is a low-entropy secret: stored as a werkzeug password hash, checked in constant
time, and an unknown number still costs one hash check so timing does not tell the two apart.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from interaction.accounts.models import Department, User
from interaction.accounts.permissions import Permission, Role
from interaction.core import audit
from interaction.core.calendar import get_calendar
from interaction.core.db import db
from interaction.core.errors import Forbidden, NotFound, ValidationFailed
from interaction.core.mail import send_mail
from interaction.core.privacy import mask_text
from interaction.core.sanitize import plain_text_html
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models import (ACCEPT_WORKDAYS, ALPHABET, MAX_EXTENSION_WORKDAYS, OPEN_STATES, Category,
                                        SUBMIT_CHANNELS, EventAction, Letter, LetterChannel, LetterEvent, LetterState,
                                        Mailbox, due_soon_limit, end_of_local_day, open_clause)

log = logging.getLogger(__name__)

MODERATION_KIND = "mailbox.letter"
NUMBER_RANDOM_LENGTH = 5
CODE_LENGTH = 8
MAX_BODY = 5000
RESUBMIT_WINDOW = timedelta(hours=24)
REGISTER_MAX_AGE = timedelta(days=366)
#: A rated letter closes this many working days after its rating (the window to ask for 再办理).
CLOSE_AFTER_RATING_WORKDAYS = 5


# -- numbers and query codes ----------------------------------------------------------------------------

def _random_chars(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_number(at: datetime) -> str:
    """A letter number like ``2611-7KQ3M``: year and month of receipt (Shanghai), then 5 random characters."""
    return to_local(at).strftime("%y%m") + "-" + _random_chars(NUMBER_RANDOM_LENGTH)


def normalize_number(raw: str) -> str:
    """Read a number as people type or say it: any case, full-width, spaces, without the dash, O for 0."""
    import unicodedata

    value = "".join(unicodedata.normalize("NFKC", raw or "").upper().split()).replace("-", "")
    if len(value) != 4 + NUMBER_RANDOM_LENGTH:
        return value
    head = value[:4].translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    return f"{head}-{value[4:]}"


def normalize_code(raw: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", raw or "").upper().split()).replace("-", "")


def _hash_method() -> str:
    """The app's one hash setting (``PASSWORD_HASH_METHOD``: scrypt by default, cheap in tests)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def hash_code(code: str) -> str:
    return generate_password_hash(code, method=_hash_method())


def _dummy_hash() -> str:
    key = "interaction.mailbox_dummy_hash"
    if key not in current_app.extensions:
        current_app.extensions[key] = hash_code(_random_chars(CODE_LENGTH))
    return current_app.extensions[key]


def find_letter(number: str) -> Letter | None:
    return db.session.scalar(select(Letter).where(Letter.number == normalize_number(number)))


def get_letter_or_404(number: str) -> Letter:
    """The letter with *number* (as typed: see :func:`normalize_number`); ``NotFound`` if none."""
    letter = find_letter(number)
    if letter is None:
        raise NotFound()
    return letter


def letter_by_code(number: str, code: str) -> Letter:
    """The letter if *code* is its query code; ``NotFound`` (404) alike for an unknown number or a wrong code.

    The hash is checked in both cases (a dummy one for an unknown number), so the answer takes
    the same time.
    """
    letter = find_letter(number or "")
    stored = letter.query_code_hash if letter is not None else _dummy_hash()
    ok = check_password_hash(stored, normalize_code(code))
    if letter is None or not ok:
        raise NotFound()
    return letter


def _seal(code: str, token: str) -> str:
    """Encrypt *code* with a key only the submitting browser holds (its one-time form token)."""
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), token.encode(), hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(code.encode(), key)).hex()


def _unseal(sealed: str, token: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), token.encode(), hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), key)).decode()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- timeline -------------------------------------------------------------------------------------------

def add_event(letter: Letter, action: EventAction, *, actor=None, note: str | None = None,
              department_id: int | None = None, internal: bool = False, data: dict | None = None,
              at: datetime | None = None) -> LetterEvent:
    event = LetterEvent(at_dt=at or now_utc(), action=action.value, note=note, department_id=department_id,
                        actor_id=getattr(actor, "id", None), is_internal=internal, data=data)
    letter.events.append(event)
    return event


# -- e-mail ---------------------------------------------------------------------------------------------

def _default_locale():
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"))


def department_emails(department_id: int) -> list[str]:
    """Addresses of the enabled staff of a department (notices about its letters go there)."""
    return list(db.session.scalars(select(User.email).where(
        User.department_id == department_id, User.role == Role.staff.value, User.is_enabled.is_(True))))


def _staff_url(letter: Letter) -> str:
    try:
        return url_for("mailbox.staff_letter", number=letter.number, _external=True)
    except RuntimeError:  # no request and no SERVER_NAME (a cron run without it)
        return f"/mailbox/staff/letters/{letter.number}"


def _track_url() -> str:
    try:
        return url_for("mailbox.track_letter", _external=True)
    except RuntimeError:
        return "/mailbox/track"


def _notify_department(letter: Letter, department_id: int, subject: str, body: str) -> None:
    send_mail(department_emails(department_id), subject, body + "\n\n" + _staff_url(letter))


# -- submission -----------------------------------------------------------------------------------------

def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_submission(mailbox: Mailbox | None, data: dict, *, actor, channel: str,
                      received_dt: datetime | None, now: datetime) -> None:
    """Re-check what the form checks, so no caller can store an invalid letter."""
    from interaction.core.privacy import is_valid_phone

    errors = {}
    if mailbox is None or not mailbox.is_active:
        errors["mailbox"] = _("请选择一个信箱。")
    if data.get("category") not in {c.value for c in Category}:
        errors["category"] = _("请选择来信类别。")
    if not _clean(data.get("subject")):
        errors["subject"] = _("请填写标题。")
    body = _clean(data.get("body"))
    if not body:
        errors["body"] = _("请填写来信内容。")
    elif len(body) > MAX_BODY:
        errors["body"] = _("来信内容不能超过 %(n)d 个字。", n=MAX_BODY)
    if not _clean(data.get("name")):
        errors["name"] = _("请填写姓名。")
    if not is_valid_phone(data.get("phone") or ""):
        errors["phone"] = _("请填写正确的手机号码或固定电话（含区号）。")
    if channel not in SUBMIT_CHANNELS:
        errors["channel"] = _("来信渠道无效。")
    if received_dt is not None:
        if received_dt > now:
            errors["received_at"] = _("收信时间不能晚于现在。")
        elif received_dt < now - REGISTER_MAX_AGE:
            errors["received_at"] = _("收信时间不能早于一年前。")
    if errors:
        raise ValidationFailed(errors)
    if (received_dt is not None or channel != LetterChannel.web) and not can_register(actor, mailbox):
        raise Forbidden(_("只有该信箱所属部门的工作人员可以登记来信、来电、来访。"))


def can_register(user, mailbox: Mailbox) -> bool:
    """Staff of the mailbox's department (and administrators) may register letters that came offline."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.can(Permission.HANDLE)
                and user.belongs_to(mailbox.department_id))


def submit_letter(mailbox: Mailbox | None, data: dict, *, actor=None, submission_token: str | None = None,
                  channel: str = LetterChannel.web.value,
                  received_dt: datetime | None = None) -> tuple[Letter, str | None, bool]:
    """Store a letter; return ``(letter, query_code, created)``.

    *data*: category, subject, body, name, phone, email?, public_consent. A signed-in citizen
    *actor* becomes the author (the letter shows on their account). Staff of the mailbox's
    department may give *channel* (post, phone, visit) and a past *received_dt*; the deadlines
    then count from that day. *submission_token* is the form's one-time token: a repeat of the
    same submission (double click, retried request) within 24 hours returns the first letter with
    ``created`` False, and its query code, which only that token can unseal.
    """
    now = now_utc()
    if submission_token:
        existing = _letter_for_token(submission_token, now)
        if existing is not None:
            return existing
    _check_submission(mailbox, data, actor=actor, channel=channel, received_dt=received_dt, now=now)
    received = received_dt or now
    calendar = get_calendar()
    code = _random_chars(CODE_LENGTH)
    registered = channel != LetterChannel.web or received_dt is not None
    is_citizen = actor is not None and getattr(actor, "is_authenticated", False) and not registered
    letter = Letter(
        query_code_hash=hash_code(code),
        mailbox_id=mailbox.id, department_id=mailbox.department_id,
        category=data["category"], subject=_clean(data["subject"])[:200], body=_clean(data["body"]),
        name=_clean(data["name"])[:50], phone=_clean(data["phone"]), email=_clean(data.get("email")) or None,
        public_consent=bool(data.get("public_consent")), channel=channel, status=LetterState.submitted.value,
        author_id=actor.id if is_citizen else None,
        registered_by_id=actor.id if registered else None,
        received_dt=received, created_dt=now,
        accept_due_dt=calendar.due_at(received, ACCEPT_WORKDAYS),
        due_dt=calendar.due_at(received, mailbox.reply_days),
        submission_token=_token_hash(submission_token) if submission_token else None,
        sealed_code=_seal(code, submission_token) if submission_token else None,
    )
    add_event(letter, EventAction.registered if registered else EventAction.submitted, at=received,
              department_id=mailbox.department_id, actor=actor if registered else None,
              data={"channel": channel})
    if not _insert_with_unique_number(letter, received):
        # Another request with the same token won the race: answer as for a repeat.
        return _letter_for_token(submission_token, now)
    audit.record("mailbox.submit", actor=actor if getattr(actor, "is_authenticated", False) else None,
                 target=letter, number=letter.number, channel=channel, mailbox=mailbox.code)
    log.info("letter %s submitted to %s", letter.number, mailbox.code)
    if letter.email:
        with _default_locale():
            subject = _("您的来信已收到（编号 %(number)s）", number=letter.number)
            body = _("您写给“%(mailbox)s”的信已收到。\n信件编号：%(number)s\n查询码：%(code)s\n"
                     "请妥善保存查询码，凭编号和查询码可查询办理进度和答复：%(url)s",
                     mailbox=mailbox.name, number=letter.number, code=code, url=_track_url())
        send_mail(letter.email, subject, body)
    return letter, code, True


def _letter_for_token(token: str, now: datetime) -> tuple[Letter, str | None, bool] | None:
    letter = db.session.scalar(select(Letter).where(Letter.submission_token == _token_hash(token)))
    if letter is None:
        return None
    code = _unseal(letter.sealed_code, token) if letter.sealed_code and letter.created_dt > now - RESUBMIT_WINDOW \
        else None
    return letter, code, False


def _insert_with_unique_number(letter: Letter, received: datetime) -> bool:
    """Give *letter* a fresh number and insert it; False if its submission token was taken meanwhile."""
    for _attempt in range(10):
        letter.number = new_number(received)
        try:
            with db.session.begin_nested():
                db.session.add(letter)
                db.session.flush()
            return True
        except IntegrityError:
            if letter.submission_token and db.session.scalar(
                    select(Letter.id).where(Letter.submission_token == letter.submission_token)):
                return False
    raise RuntimeError("could not find a free letter number")


# -- questions handed over by other channels -------------------------------------------------------------

def first_mailbox(department_id: int | None) -> Mailbox | None:
    """The department's first active mailbox (by sort order), or None."""
    if department_id is None:
        return None
    return db.session.scalar(select(Mailbox).where(Mailbox.department_id == department_id,
                                                   Mailbox.is_active.is_(True))
                             .order_by(Mailbox.sort_order, Mailbox.id).limit(1))


def hand_over_question(mailbox: Mailbox, author: User, *, subject: str, body: str, source: str, source_ref: str,
                       workdays: int) -> Letter:
    """A live interview's unanswered question as a letter to *mailbox*, due in *workdays* working days.

    Channel ``live``, category consultation, not for publication. The asker's account is the
    author: their name and phone (an empty phone is allowed for this channel: staff answer through
    the site), and they follow the letter under 我的来信, so no query code is given out (a random
    one is hashed to fill the column) and no e-mail is stored. The deadline counts from today on
    the official calendar; the timeline's first event says where the letter came from.
    """
    now = now_utc()
    calendar = get_calendar()
    with _default_locale():
        text = _("%(question)s\n\n（%(subject)s，访谈提问编号 %(ref)s）", question=_clean(body),
                 subject=_clean(subject), ref=source_ref)
        note = _("在线访谈中未当场答复的网民提问，转交本部门办理。")
        fallback_name = _("网民")
    letter = Letter(
        query_code_hash=hash_code(_random_chars(CODE_LENGTH)),
        mailbox_id=mailbox.id, department_id=mailbox.department_id,
        category=Category.consultation.value, subject=_clean(subject)[:200] or note, body=text,
        name=(author.name or fallback_name)[:50], phone=author.phone or "", email=None, public_consent=False,
        channel=LetterChannel.live.value, status=LetterState.submitted.value, author_id=author.id,
        received_dt=now, created_dt=now,
        accept_due_dt=calendar.due_at(now, ACCEPT_WORKDAYS), due_dt=calendar.due_at(now, workdays),
    )
    add_event(letter, EventAction.handed_over, at=now, department_id=mailbox.department_id, note=note,
              data={"channel": LetterChannel.live.value, "source": source, "source_ref": source_ref})
    _insert_with_unique_number(letter, now)
    audit.record("mailbox.hand_over", actor=None, target=letter, number=letter.number, mailbox=mailbox.code,
                 source=source, source_ref=source_ref, workdays=workdays)
    log.info("question %s %s handed over as letter %s to %s", source, source_ref, letter.number, mailbox.code)
    with _default_locale():
        _notify_department(letter, mailbox.department_id, _("在线访谈转来提问 %(number)s", number=letter.number),
                           _("在线访谈中未当场答复的网民提问已转为来信，答复期限：%(due)s。",
                             due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")))
    return letter


# -- handling -------------------------------------------------------------------------------------------

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


def _lock(letter: Letter) -> None:
    """Reload under a row lock (PostgreSQL) so two clerks cannot both move the letter."""
    db.session.flush()
    # Lock the letters row only: FOR UPDATE cannot apply to the outer-joined mailbox and department.
    db.session.execute(select(Letter.id).where(Letter.id == letter.id).with_for_update())
    db.session.refresh(letter)


def _active_department(department: Department | None, field: str = "department") -> Department:
    if department is None or not department.is_active:
        raise ValidationFailed({field: _("请选择一个有效的部门。")})
    return department


def accept_letter(letter: Letter, *, actor) -> Letter:
    """Submitted → accepted (受理)."""
    _lock(letter)
    now = now_utc()
    letter.accept(now)
    add_event(letter, EventAction.accepted, actor=actor, department_id=letter.department_id, at=now)
    audit.record("mailbox.accept", actor=actor, target=letter, number=letter.number)
    return letter


def reject_letter(letter: Letter, reason: str, *, actor) -> Letter:
    """Submitted → rejected (不予受理) with a *reason* the writer sees."""
    reason = _clean(reason)
    if not reason:
        raise ValidationFailed({"reason": _("请填写不予受理的理由。")})
    _lock(letter)
    now = now_utc()
    letter.reject(reason, now)
    add_event(letter, EventAction.rejected, actor=actor, note=reason, department_id=letter.department_id, at=now)
    audit.record("mailbox.reject", actor=actor, target=letter, number=letter.number, reason=reason)
    if letter.email:
        with _default_locale():
            send_mail(letter.email, _("您的来信（编号 %(number)s）不予受理", number=letter.number),
                      _("理由：%(reason)s", reason=reason))
    return letter


def assign_letter(letter: Letter, department: Department | None, *, actor) -> Letter:
    """Accepted → assigned (交办) to *department* (the own one or another); its staff are notified."""
    department = _active_department(department)
    _lock(letter)
    now = now_utc()
    letter.assign(department.id, now)
    add_event(letter, EventAction.assigned, actor=actor, department_id=department.id, at=now)
    audit.record("mailbox.assign", actor=actor, target=letter, number=letter.number, department=department.code)
    with _default_locale():
        _notify_department(letter, department.id, _("新交办来信 %(number)s", number=letter.number),
                           _("来信“%(subject)s”已交由贵单位办理，答复期限：%(due)s。", subject=letter.subject,
                             due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")))
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
    _lock(letter)
    now = now_utc()
    previous = letter.department_id
    letter.transfer(department.id)
    add_event(letter, EventAction.transferred, actor=actor, note=reason, department_id=department.id, at=now,
              data={"from": previous})
    audit.record("mailbox.transfer", actor=actor, target=letter, number=letter.number, department=department.code,
                 reason=reason, transfer_count=letter.transfer_count)
    with _default_locale():
        _notify_department(letter, department.id, _("转办来信 %(number)s", number=letter.number),
                           _("来信“%(subject)s”已转由贵单位办理（理由：%(reason)s），答复期限不变：%(due)s。",
                             subject=letter.subject, reason=reason,
                             due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")))
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
    _lock(letter)
    now = now_utc()
    old_due = letter.due_dt
    new_due = end_of_local_day(get_calendar().add_workdays(letter.due_date, workdays))
    letter.extend(workdays, new_due, reason)
    add_event(letter, EventAction.extended, actor=actor, note=reason, department_id=letter.department_id, at=now,
              data={"workdays": workdays})
    audit.record("mailbox.extend", actor=actor, target=letter, number=letter.number, workdays=workdays,
                 reason=reason, old_due=old_due.isoformat(), new_due=letter.due_dt.isoformat())
    return letter


def reply_letter(letter: Letter, body: str, *, actor) -> Letter:
    """Assigned → replied (答复). With the writer's consent the masked letter goes to moderation."""
    body = _clean(body)
    if not body:
        raise ValidationFailed({"body": _("请填写答复内容。")})
    _lock(letter)
    now = now_utc()
    letter.reply(body, plain_text_html(body), now)
    add_event(letter, EventAction.replied, actor=actor, department_id=letter.department_id, at=now,
              data={"body": body})
    audit.record("mailbox.reply", actor=actor, target=letter, number=letter.number, on_time=letter.replied_on_time)
    if letter.public_consent:
        put_forward_for_publication(letter)
    if letter.email:
        with _default_locale():
            send_mail(letter.email, _("您的来信（编号 %(number)s）已答复", number=letter.number),
                      _("凭信件编号和查询码可查看答复全文并评价：%(url)s", url=_track_url()))
    return letter


def close_letter(letter: Letter, *, actor) -> Letter:
    """Replied or rated → closed (办结)."""
    _lock(letter)
    now = now_utc()
    letter.close(now)
    add_event(letter, EventAction.closed, actor=actor, department_id=letter.department_id, at=now)
    audit.record("mailbox.close", actor=actor, target=letter, number=letter.number)
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
    _lock(letter)
    now = now_utc()
    letter.rate(score, resolution, attitude, speed, comment, now)
    add_event(letter, EventAction.rated, note=comment, at=now, actor=actor,
              data={"score": score, "resolution": resolution, "attitude": attitude, "speed": speed})
    audit.record("mailbox.rate", actor=actor, target=letter, number=letter.number, score=score)
    return letter


def request_rehandle(letter: Letter, reason: str | None = None, *, actor=None) -> Letter:
    """Rated with overall 1–2, once → assigned again (再办理) with a new deadline of ``reply_days``."""
    _lock(letter)
    now = now_utc()
    new_due = get_calendar().due_at(now, letter.mailbox.reply_days)
    letter.rehandle(new_due, now)
    reason = _clean(reason) or None
    add_event(letter, EventAction.rehandle, note=reason, department_id=letter.department_id, at=now, actor=actor)
    audit.record("mailbox.rehandle", actor=actor, target=letter, number=letter.number)
    with _default_locale():
        _notify_department(letter, letter.department_id, _("来信 %(number)s 需再办理", number=letter.number),
                           _("来信人对答复不满意，申请再办理。新的答复期限：%(due)s。",
                             due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")))
    return letter


def supervise_letter(letter: Letter, note: str, *, actor) -> Letter:
    """督办: record *note* in the timeline (internal) and notify the handling department."""
    note = _clean(note)
    if not note:
        raise ValidationFailed({"note": _("请填写督办意见。")})
    if letter.status not in OPEN_STATES:
        from interaction.core.errors import InvalidTransition

        raise InvalidTransition(_("只能督办尚未答复的来信。"))
    now = now_utc()
    letter.supervised_dt = now
    add_event(letter, EventAction.supervised, actor=actor, note=note, department_id=letter.department_id,
              internal=True, at=now)
    audit.record("mailbox.supervise", actor=actor, target=letter, number=letter.number, note=note)
    with _default_locale():
        _notify_department(letter, letter.department_id, _("督办通知：来信 %(number)s", number=letter.number),
                           _("督办意见：%(note)s\n答复期限：%(due)s。", note=note,
                             due=to_local(letter.due_dt).strftime("%Y-%m-%d %H:%M")))
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


def view_personal_data(letter: Letter, *, actor) -> None:
    """Record that *actor* (staff) saw the writer's personal data of *letter*."""
    audit.record("mailbox.view_personal_data", actor=actor, target=letter, number=letter.number)


# -- publication ----------------------------------------------------------------------------------------

def _mask(letter: Letter, text: str | None) -> str:
    names = [letter.name]
    if letter.author is not None and letter.author.name:
        names.append(letter.author.name)
    return mask_text(text or "", names)


def put_forward_for_publication(letter: Letter) -> None:
    """Mask the letter once and open a moderation case (kind ``mailbox.letter``).

    A letter already published (a rehandled one replied again) is withdrawn until the new
    version is approved: what the public sees is always what a moderator approved.
    """
    from interaction.moderation.services import submit_for_moderation

    letter.published_subject = _mask(letter, letter.subject)[:200]
    letter.published_body = _mask(letter, letter.body)
    letter.published_reply = _mask(letter, letter.reply_body)
    letter.is_published = False
    letter.publication_state = "pending"
    db.session.flush()
    text = "\n\n".join([letter.published_subject, letter.published_body, letter.published_reply])
    submit_for_moderation(MODERATION_KIND, letter.id, text=text, author=letter.author_id)


def describe_for_moderation(target_id: str) -> dict | None:
    """What the moderator sees: the masked version that will be published."""
    try:
        letter = db.session.get(Letter, int(target_id))
    except (TypeError, ValueError):
        return None
    if letter is None:
        return None
    with _default_locale():
        reply_label = _("答复")
    try:
        url = url_for("mailbox.public_letter", number=letter.number)
    except RuntimeError:
        url = None
    return {
        "title": letter.published_subject or "",
        "text": f"{letter.published_body or ''}\n\n【{reply_label}】{letter.published_reply or ''}",
        "url": url,
        "number": letter.number,
        "category": letter.category,
        "department": letter.reply_department.name if letter.reply_department else letter.department.name,
    }


def on_moderation_decided(sender, case=None, actor=None, **_kwargs) -> None:
    """Publish a letter whose case was approved; record a rejection (the letter stays private)."""
    if case is None:
        return
    try:
        letter = db.session.get(Letter, int(case.target_id))
    except (TypeError, ValueError):
        return
    if letter is None:
        return
    if case.state == "approved":
        now = now_utc()
        letter.is_published = True
        letter.publication_state = "approved"
        letter.published_dt = now
        add_event(letter, EventAction.published, actor=actor, at=now)
    elif case.state == "rejected":
        letter.is_published = False
        letter.publication_state = "rejected"
    db.session.flush()


# -- scheduled work -------------------------------------------------------------------------------------

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


# -- mailboxes ------------------------------------------------------------------------------------------

def save_mailbox(mailbox: Mailbox | None, data: dict, *, actor) -> Mailbox:
    """Create (*mailbox* None) or update a mailbox from *data*: code, name, department, reply_days, ..."""
    created = mailbox is None
    if created:
        mailbox = Mailbox()
        db.session.add(mailbox)
    for field in ("code", "name", "department_id", "reply_days", "description", "sort_order", "is_active"):
        if field in data:
            setattr(mailbox, field, data[field])
    db.session.flush()
    audit.record("mailbox.create" if created else "mailbox.update", actor=actor, target=mailbox, code=mailbox.code)
    return mailbox
