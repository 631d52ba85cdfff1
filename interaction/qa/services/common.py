"""What every part of the Q&A services uses: who may see and act on a question, the departments' setting.

Visibility (:func:`can_read`): a public question (approved, or a published consultation) is
everyone's; otherwise only its asker, staff of its department and administrators see it, and
everyone else gets the 404 an unknown id gets (:func:`get_question_for_reader_or_404`), so a
consultation's existence does not leak. Acting as the department (:func:`can_handle`): staff of
the question's current department and administrators; others get 403.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from interaction.accounts.models import Department, User
from interaction.accounts.permissions import Permission, Role
from interaction.core.db import db, lock_row
from interaction.core.errors import Forbidden, NotFound, ValidationFailed
from interaction.core.mail import send_mail
from interaction.core.privacy import mask_text
from interaction.qa.models import DepartmentQaSetting, Question

QUESTION_KIND = "qa.question"
ANSWER_KIND = "qa.answer"


def clean(text: str | None) -> str:
    """Trimmed text with LF line breaks (a browser sends CR LF)."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def default_locale():
    """Texts stored or mailed are in the site's language, whatever the page's."""
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"))


def _signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_handle(user, question: Question) -> bool:
    """Staff of the question's current department, and administrators."""
    return bool(_signed_in(user) and user.can(Permission.HANDLE) and user.belongs_to(question.department_id))


def can_handle_department(user, department_id: int | None) -> bool:
    """Staff of *department_id*, and administrators (FAQ, the staff queue)."""
    return bool(_signed_in(user) and user.can(Permission.HANDLE) and user.belongs_to(department_id))


def require_handle(user, question: Question) -> None:
    """``Forbidden`` (403) unless *user* may act for the question's department."""
    if not can_handle(user, question):
        raise Forbidden(_("只有该问题所属部门的工作人员可以答复。"))


def is_asker(user, question: Question) -> bool:
    return _signed_in(user) and question.author_id is not None and question.author_id == user.id


def can_read(user, question: Question) -> bool:
    """Public questions: everyone. Otherwise the asker, the department's staff and administrators."""
    return question.is_public or is_asker(user, question) or can_handle(user, question)


def find_question(question_id) -> Question | None:
    try:
        return db.session.get(Question, int(question_id))
    except (TypeError, ValueError, OverflowError):
        return None


def get_question_for_reader_or_404(question_id, user) -> Question:
    """The question as *user* may see it; ``NotFound`` (404) for an unknown id and for one they may not see."""
    question = find_question(question_id)
    if question is None or not can_read(user, question):
        raise NotFound()
    return question


def get_question_for_action_or_404(question_id, user) -> Question:
    """The question a department action names; ``NotFound`` (404) for an unknown id and a private consultation.

    A consultation *user* is no party to stays private (404); the action itself then checks
    :func:`require_handle` (403 for another department's staff).
    """
    question = find_question(question_id)
    if question is None or (question.is_consultation and not can_read(user, question)):
        raise NotFound()
    return question


def lock(question: Question) -> Question:
    """Reload *question* under a row lock (PostgreSQL), so two clerks or moderators cannot both move it."""
    return lock_row(Question, question.id) or question


def active_department(department: Department | None, field: str = "department") -> Department:
    if department is None or not department.is_active:
        raise ValidationFailed({field: _("请选择一个有效的部门。")})
    return department


def department_by_code(code: str | None) -> Department | None:
    if not code:
        return None
    return db.session.scalar(select(Department).where(Department.code == code))


def answers_need_review(department_id: int) -> bool:
    """Whether the department's answers go through the moderation queue before they are public."""
    setting = db.session.get(DepartmentQaSetting, department_id)
    return bool(setting is not None and setting.answers_need_review)


def question_url(question_id: int, *, external: bool = False) -> str:
    """The question's page (public, or its asker's and department's)."""
    try:
        return url_for("qa.question_detail", question_id=question_id, _external=external)
    except RuntimeError:  # no request and no SERVER_NAME (a CLI reindex)
        return f"/questions/{question_id}"


def mask_for(question: Question, text: str | None) -> str:
    """*text* with the asker's name, phone numbers, ID numbers and e-mail addresses masked."""
    names = [question.author.name] if question.author is not None and question.author.name else []
    return mask_text(text or "", names)


def notify_asker(question: Question, subject: str, body: str) -> None:
    """Mail the asker (after commit) about their question, with a link to it."""
    if question.author is not None and question.author.email:
        send_mail(question.author.email, subject, body + "\n\n" + question_url(question.id, external=True))


def notify_department(department_id: int, subject: str, body: str, question: Question) -> None:
    """Mail the department's enabled staff (after commit) with a link to the question."""
    emails = list(db.session.scalars(select(User.email).where(
        User.department_id == department_id, User.role == Role.staff.value, User.is_enabled.is_(True))))
    send_mail(emails, subject, body + "\n\n" + question_url(question.id, external=True))
