"""The staff's pages: the inbox, a letter's page and its actions, registering a letter, 督办."""

import secrets
from functools import lru_cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.core import calendar as core_calendar
from interaction.core.db import db
from interaction.core.errors import ValidationFailed
from interaction.core.forms import EmptyForm, choices, show_errors
from interaction.core.time import now_utc, to_local
from interaction.core.views import redirect_on_refusal
from interaction.core.pages import render_page
from interaction.mailbox import queries, services
from interaction.mailbox.common import perform_action
from interaction.mailbox.forms import (ACTION_FORMS, CATEGORY_LABELS, AssignForm, ExtendForm, RegisterLetterForm,
                                       RejectForm, ReplyForm, SuperviseForm, TransferForm)
from interaction.mailbox.models import (OPEN_STATES, TRANSFER_FLAG, Letter, LetterState, due_soon_limit,
                                        long_unanswered_limit)
from interaction.mailbox.views import DUE_LABELS, PER_PAGE, STATUS_LABELS, bp
from interaction.mailbox.views.citizens import after_submission


class LetterRows:
    """What each row of a staff list shows, with the limits computed once per request, not per row.

    Works on ``Letter`` objects and on the plain rows of ``queries.list_rows`` alike.

    ``deadline(letter)``: "long" (three-months line), "overdue", "soon" or None; ``left(letter)``: the
    "working days left" badge as ``(css class, text)`` or None, memoized per deadline day;
    ``badges(letter)``: ``(deadline, left, flagged)`` in one call (a table row's; each call from a
    template costs more than the rule it runs).
    """

    def __init__(self, now=None):
        self.now = now or now_utc()
        self.soon_limit = due_soon_limit(self.now)
        self.long_limit = long_unanswered_limit(self.now)
        self.today = to_local(self.now).date()
        self.calendar = core_calendar.get_calendar()
        self._left: dict = {}

    def deadline(self, letter: Letter) -> str | None:
        if letter.status not in OPEN_STATES:
            return None
        if letter.received_dt < self.long_limit:
            return "long"
        if letter.due_dt < self.now:
            return "overdue"
        if letter.due_dt <= self.soon_limit:
            return "soon"
        return None

    def badges(self, letter: Letter) -> tuple[str | None, tuple[str, str] | None, bool]:
        return self.deadline(letter), self.left(letter), self.flagged(letter)

    def listed(self, letters) -> tuple:
        """``(letter, badges)`` for each of *letters*: what a table shows of them, as one hashable value."""
        return tuple((letter, self.badges(letter)) for letter in letters)

    @staticmethod
    def flagged(letter: Letter) -> bool:
        """Transferred three times or more (``Letter.is_flagged``, for plain rows too)."""
        return letter.transfer_count >= TRANSFER_FLAG

    def left(self, letter: Letter) -> tuple[str, str] | None:
        if letter.status not in OPEN_STATES:
            return None
        day = to_local(letter.due_dt).date()
        if day not in self._left:
            self._left[day] = _left_badge(self.calendar.workdays_between(self.today, day), str(get_locale()))
        return self._left[day]


@lru_cache(maxsize=1024)
def _left_badge(n: int, locale: str) -> tuple[str, str]:
    """The "working days left" badge for *n* days left (negative: overdue) in *locale*, made once per process."""
    with force_locale(locale):
        if n < 0:
            return "badge danger", ngettext("超期 %(num)d 个工作日", "超期 %(num)d 个工作日", -n)
        if n == 0:
            return "badge danger", _("今天到期")
        return "", ngettext("%(num)d 个工作日", "%(num)d 个工作日", n)


def _staff_letter_or_404(number: str) -> Letter:
    """The letter for staff: 404 if unknown and alike unless the user handles it or oversees."""
    return services.get_letter_for_staff_or_404(number, current_user)


def _inbox_filters() -> dict:
    status = request.args.get("status", "open")
    if status not in STATUS_LABELS and status != "all":
        status = "open"
    category = request.args.get("category", "")
    due = request.args.get("due", "")
    return {"status": status, "category": category if category in CATEGORY_LABELS else "",
            "due": due if due in DUE_LABELS else ""}


@bp.get("/inbox")
@permission_required(Permission.HANDLE)
def inbox():
    filters = _inbox_filters()
    page = queries.inbox_page(current_user, per_page=PER_PAGE,
                              status=filters["status"] if filters["status"] in STATUS_LABELS else None,
                              category=filters["category"] or None, due=filters["due"] or None,
                              open_only=filters["status"] == "open")
    listed = LetterRows().listed(page.items)
    return render_page("mailbox/letter_inbox.html", page=page, filters=filters, listed=listed)


def _action_forms(letter: Letter, bound: dict | None = None) -> dict:
    forms = {
        "accept": EmptyForm(formdata=None, prefix="accept"),
        "reject": RejectForm(formdata=None, prefix="reject"),
        "assign": AssignForm(formdata=None, prefix="assign"),
        "transfer": TransferForm(formdata=None, prefix="transfer"),
        "extend": ExtendForm(formdata=None, prefix="extend"),
        "reply": ReplyForm(formdata=None, prefix="reply"),
        "close": EmptyForm(formdata=None, prefix="close"),
        "supervise": SuperviseForm(formdata=None, prefix="supervise"),
    }
    if letter.department and "assign" not in (bound or {}):
        forms["assign"].department.data = letter.department.code
    forms.update(bound or {})
    return forms


def _allowed_actions(letter: Letter) -> set[str]:
    """The buttons to show: what the letter's state allows and the user may do."""
    allowed = set()
    if services.can_handle(current_user, letter):
        allowed |= {
            LetterState.submitted.value: {"accept", "reject"},
            LetterState.accepted.value: {"assign", "extend"},
            LetterState.assigned.value: {"reply", "transfer", "extend"},
            LetterState.replied.value: {"close"},
            LetterState.rated.value: {"close"},
        }.get(letter.status, set())
        if letter.extended_workdays:
            allowed.discard("extend")
    if services.can_oversee(current_user) and letter.status in OPEN_STATES:
        allowed.add("supervise")
    return allowed


def _render_staff_letter(letter: Letter, bound: dict | None = None, status: int = 200):
    services.view_personal_data(letter, actor=current_user)
    page = render_template("mailbox/letter_staff.html", letter=letter, forms=_action_forms(letter, bound),
                           allowed=_allowed_actions(letter), now=now_utc())
    db.session.commit()  # after rendering: a commit expires the letter
    return page, status


@bp.get("/staff/letters/<number>")
@permission_required(Permission.HANDLE)
def staff_letter(number):
    return _render_staff_letter(_staff_letter_or_404(number))


@bp.post("/staff/letters/<number>/<action>")
@permission_required(Permission.HANDLE)
def act_on_letter(number, action):
    if action not in ACTION_FORMS:
        abort(404)
    letter = _staff_letter_or_404(number)
    if not services.can_handle(current_user, letter):  # an overseer: sees it, does not handle it
        abort(403)
    form = ACTION_FORMS[action](prefix=action)
    if not form.validate_on_submit():
        return _render_staff_letter(letter, {action: form}, 422)
    with redirect_on_refusal(url_for("mailbox.staff_letter", number=letter.number)):
        try:
            perform_action(letter, action, form, current_user._get_current_object())
        except ValidationFailed as exc:  # shown next to the form's fields, like the form's own checks
            db.session.rollback()
            show_errors(form, exc)
            return _render_staff_letter(letter, {action: form}, 422)
    db.session.commit()
    flash(_("已办理：%(action)s。", action=ACTION_TITLES[action]), "success")
    if not services.can_handle(current_user, letter):  # assigned or transferred away
        return redirect(url_for("mailbox.inbox"))
    return redirect(url_for("mailbox.staff_letter", number=letter.number))


ACTION_TITLES = {"accept": _l("受理"), "reject": _l("不予受理"), "assign": _l("交办"), "transfer": _l("转办"),
                 "extend": _l("延期"), "reply": _l("答复"), "close": _l("办结")}


@bp.route("/register", methods=["GET", "POST"])
@permission_required(Permission.HANDLE)
def register_letter():
    form = RegisterLetterForm()
    mailboxes = [m for m in db.session.scalars(queries.active_mailboxes()) if services.can_register(current_user, m)]
    form.mailbox.choices = choices([("", _l("请选择信箱"))] + [(m.code, m.name) for m in mailboxes])
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(24)
        form.received_at.data = now_utc()
    elif form.validate_on_submit():
        try:
            letter, code, _created = services.submit_letter(
                form.selected_mailbox, form.letter_data(), actor=current_user._get_current_object(),
                submission_token=form.submission_token.data or None, channel=form.channel.data,
                received_dt=form.received_at.data or now_utc())
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            number = letter.number  # read before the commit, which expires the letter (no reload after it)
            db.session.commit()
            return after_submission(number, code)
    return render_template("mailbox/letter_register.html", form=form)


@bp.post("/staff/letters/<number>/supervise")
@permission_required(Permission.OVERSEE)
def supervise_letter(number):
    """督办 from the letter's page (oversight staff); back to that page, where the note now shows."""
    letter = services.get_letter_or_404(number)
    letter_page = url_for("mailbox.staff_letter", number=letter.number)
    form = SuperviseForm(prefix="supervise")
    if not form.validate_on_submit():
        flash(form.note.errors[0] if form.note.errors else _("请填写督办意见。"), "error")
        return redirect(letter_page)
    with redirect_on_refusal(letter_page):
        services.supervise_letter(letter, form.note.data, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("已督办来信 %(number)s，并通知了承办部门。", number=letter.number), "success")
    return redirect(letter_page)
