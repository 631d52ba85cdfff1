"""What every change of a live interview checks: who may act, and the texts people send."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from interaction.accounts.models import User
from interaction.accounts.permissions import Permission
from interaction.core.errors import DomainError, NotFound, Unauthorized, ValidationFailed
from interaction.core.text import INVISIBLE_ONLY_MESSAGE, is_invisible_only, single_line
from interaction.interviews import live
from interaction.interviews.models import Guest, GuestRole, Interview

MODERATION_KIND = "interviews.question"
MAX_QUESTION = 500
MAX_ANSWER = 5000
MAX_REASON = 500
HANDOVER_WORKDAYS = 5


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


@dataclass
class GuestData:
    name: str
    title: str = ""
    role: str = GuestRole.guest.value
    user_email: str | None = None


def text_field(value, field: str, limit: int, *, required: bool = True) -> str:
    """*value* stripped; refused (422, under *field*) if not a string, empty when required, or over *limit*."""
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str | None):
        raise ValidationFailed({field: _("类型不正确。")})
    if required and not text:
        raise ValidationFailed({field: _("请填写内容。")})
    if len(text) > limit:
        raise ValidationFailed({field: _("不能超过 %(n)d 个字。", n=limit)})
    return text


def line_field(value, field: str, limit: int, *, required: bool = True) -> str:
    """One-line text (a title, a name): as :func:`text_field`, without bidirectional controls, never invisible only."""
    if is_invisible_only(value):
        raise ValidationFailed({field: str(INVISIBLE_ONLY_MESSAGE)})
    return text_field(single_line(value), field, limit, required=required)


def require_user(actor: User | None) -> User:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Unauthorized()
    return actor


def can_run(user: User | None) -> bool:
    """Schedule, start and end interviews, correct transcripts: moderators and administrators."""
    return user is not None and user.can(Permission.RUN_INTERVIEWS)


def can_moderate(user: User | None) -> bool:
    return live.can_moderate(user)


def speaking_guest(interview: Interview, user: User | None, guest_id: int | None = None) -> Guest | None:
    """The guest or host *user* may speak as, or None if they may not speak.

    A guest or host speaks as themselves; a moderator running the interview may type for any
    guest (officials often answer aloud and staff transcribe), naming them with *guest_id*.
    """
    if user is None:
        return None
    own = interview.guest_for(user)
    if guest_id is not None:
        chosen = next((g for g in interview.guests if g.id == guest_id), None)
        if chosen is None:
            raise NotFound()
        if own is not None and own.id == chosen.id:
            return own
        return chosen if can_run(user) else None
    if own is not None:
        return own
    if can_run(user):
        return next((g for g in interview.guests if g.role == GuestRole.host), None) or Guest(
            id=None, name="", title="", role=GuestRole.host.value)
    return None


def can_speak(interview: Interview, user: User | None) -> bool:
    return user is not None and (interview.guest_for(user) is not None or can_run(user))


def default_locale_text(message) -> str:
    """Text stored for everyone (a reason, a subject): in the source language, whoever's request made it."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        return str(message)
