"""SMS codes that prove a phone number (手机验证码): issued, rate-limited, expiring, stored hashed.

A mailbox may ask its writers to prove their phone number (``Mailbox.write_rule == "phone"``):
:func:`request_code` sends a six-digit code by SMS (:mod:`interaction.core.sms`) and
:func:`verify_code` checks it, once. The code is stored only as ``HMAC-SHA256(SECRET_KEY, phone +
code)`` and compared in constant time. Limits, counted from the stored rows: a new code for a
number at most every :data:`RESEND_SECONDS` and :data:`PER_NUMBER_PER_HOUR` an hour, and
:data:`PER_ADDRESS_PER_HOUR` an hour from one network address; a code expires after
:data:`VALID_SECONDS` and dies after :data:`MAX_ATTEMPTS` wrong tries. Wrong tries are counted twice:
on the code's row (kept when the request commits) and in the rate limiter's storage (Flask-Limiter's
public ``limiter.limiter``: memory, or Redis shared by every process), which a refused letter's
rollback does not undo — so guessing cannot go on by having each guess refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from limits import RateLimitItemPerMinute
from flask_babel import gettext as _
from sqlalchemy import Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import db
from interaction.core.errors import DomainError, ValidationFailed
from interaction.core.extensions import limiter
from interaction.core.sms import send_sms
from interaction.core.time import now_utc

CODE_LENGTH = 6
VALID_SECONDS = 600
RESEND_SECONDS = 60
PER_NUMBER_PER_HOUR = 5
PER_ADDRESS_PER_HOUR = 20
MAX_ATTEMPTS = 5
MOBILE = re.compile(r"1[3-9]\d{9}")
#: Wrong tries per number, counted outside the database (see the module docstring).
WRONG_TRIES = RateLimitItemPerMinute(MAX_ATTEMPTS, VALID_SECONDS // 60)


class PhoneCode(db.Model):
    """One code sent to a phone number; ``used_dt`` once it proved the number."""

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_phone_created", "phone", "created_dt"),
                      Index("ix_phone_codes_address_created", "address", "created_dt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_dt: Mapped[datetime]
    expires_dt: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_dt: Mapped[datetime | None]


class TooManyCodes(DomainError):
    """A limit of :func:`request_code` was reached (429); ``retry_after`` in seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def normalize_phone(phone: str | None) -> str:
    return re.sub(r"[\s-]", "", phone or "")


def _hash(phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _count_since(column, value: str, since: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(PhoneCode)
                             .where(column == value, PhoneCode.created_dt > since))


def request_code(phone: str | None, address: str) -> PhoneCode:
    """Store a new code for the mobile number *phone* asked from *address* and send it after commit.

    ``ValidationFailed`` (field ``phone``) unless *phone* is a mainland mobile number;
    :class:`TooManyCodes` (429) past a limit.
    """
    phone = normalize_phone(phone)
    if not MOBILE.fullmatch(phone):
        raise ValidationFailed({"phone": _("请填写正确的手机号码（11 位）。")})
    now = now_utc()
    latest = db.session.scalar(select(func.max(PhoneCode.created_dt)).where(PhoneCode.phone == phone))
    if latest is not None and latest > now - timedelta(seconds=RESEND_SECONDS):
        wait = RESEND_SECONDS - int((now - latest).total_seconds())
        raise TooManyCodes(_("验证码已发送，请 %(n)d 秒后再试。", n=wait), wait)
    hour_ago = now - timedelta(hours=1)
    if (_count_since(PhoneCode.phone, phone, hour_ago) >= PER_NUMBER_PER_HOUR
            or _count_since(PhoneCode.address, address[:64], hour_ago) >= PER_ADDRESS_PER_HOUR):
        raise TooManyCodes(_("获取验证码过于频繁，请一小时后再试。"), 3600)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    row = PhoneCode(phone=phone, address=address[:64], code_hash=_hash(phone, code), created_dt=now,
                    expires_dt=now + timedelta(seconds=VALID_SECONDS), attempts=0)
    db.session.add(row)
    db.session.flush()
    send_sms(phone, _("您的验证码是 %(code)s，%(minutes)d 分钟内有效。请勿告诉他人。", code=code,
                      minutes=VALID_SECONDS // 60))
    return row


def _tries_left(phone: str) -> bool:
    try:
        return limiter.limiter.test(WRONG_TRIES, "phone-code-tries", phone)
    except Exception:  # the limiter's storage is down: the row's count still holds within a request
        return True


def _count_wrong_try(phone: str) -> None:
    try:
        limiter.limiter.hit(WRONG_TRIES, "phone-code-tries", phone)
    except Exception:  # the limiter's storage is down: the row's count still holds within a request
        pass


def verify_code(phone: str | None, code: str | None) -> bool:
    """Whether *code* is the live code of *phone*; a right one is used up, a wrong one counts as an attempt.

    Only the newest unexpired, unused code of the number counts; it dies after :data:`MAX_ATTEMPTS` tries.
    """
    phone, code = normalize_phone(phone), (code or "").strip()
    now = now_utc()
    row = db.session.scalar(select(PhoneCode).where(PhoneCode.phone == phone, PhoneCode.used_dt.is_(None),
                                                    PhoneCode.expires_dt > now)
                            .order_by(PhoneCode.created_dt.desc(), PhoneCode.id.desc()).limit(1).with_for_update())
    if row is None or row.attempts >= MAX_ATTEMPTS or not _tries_left(phone):
        return False
    if not code or not hmac.compare_digest(row.code_hash, _hash(phone, code)):
        row.attempts += 1
        db.session.flush()
        _count_wrong_try(phone)
        return False
    row.used_dt = now
    db.session.flush()
    return True
