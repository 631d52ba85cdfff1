"""Leader mailbox pages.

Writing and tracking (citizens), the inbox and letter page (staff), the supervision board
(oversight), the published letters (everyone), calendar and mailboxes (admins).

A writer reaches their letter by number and query code (the track page) or, signed in, from
"my letters"; a successful look-up is remembered in the session, so the code never goes in a URL.
"""

import secrets
from functools import lru_cache, wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission, permission_required
from interaction.core import calendar as core_calendar
from interaction.core.db import db, declare_writes, reading
from interaction.core.forms import show_errors
from interaction.core.pagination import paginate_capped
from interaction.core.errors import DomainError, NotFound, ValidationFailed
from interaction.core.time import now_utc, to_local
from interaction.core.web import render_page
from interaction.core.workdays import YearSchedule
from interaction.mailbox import queries, services
from interaction.mailbox.api import lookup_limited, perform_action
from interaction.mailbox.forms import (ACTION_FORMS, CATEGORY_LABELS, LETTER_CHANNEL_LABELS, AssignForm,
                                       CalendarForm, EmptyForm, ExtendForm, LetterForm, MailboxForm, RatingForm,
                                       RegisterLetterForm, RehandleForm, RejectForm, ReplyForm, SuperviseForm,
                                       TrackForm, TransferForm, choices)
from interaction.mailbox.models import (OPEN_STATES, TRANSFER_FLAG, Letter, LetterState, Mailbox, due_soon_limit,
                                        long_unanswered_limit)

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")

PER_PAGE = 20
ACCESS_KEY = "mailbox_access"
NEW_KEY = "mailbox_new"

STATUS_LABELS = {
    LetterState.submitted.value: _l("待受理"),
    LetterState.accepted.value: _l("已受理"),
    LetterState.assigned.value: _l("办理中"),
    LetterState.replied.value: _l("已答复"),
    LetterState.rated.value: _l("已评价"),
    LetterState.closed.value: _l("已办结"),
    LetterState.rejected.value: _l("不予受理"),
}

EVENT_LABELS = {
    "submitted": _l("来信已收到"),
    "registered": _l("来信已登记"),
    "accepted": _l("已受理"),
    "rejected": _l("不予受理"),
    "assigned": _l("已交办"),
    "transferred": _l("已转办"),
    "extended": _l("已延期"),
    "replied": _l("已答复"),
    "rated": _l("已评价"),
    "rehandle": _l("申请再办理"),
    "supervised": _l("已督办"),
    "closed": _l("已办结"),
    "published": _l("已公开"),
    "handed_over": _l("由在线访谈转来"),
}

DUE_LABELS = {"soon": _l("即将到期"), "overdue": _l("已超期")}


@bp.app_template_filter("mailbox_date")
def _mailbox_date(dt) -> str:
    """``2026-11-02`` in Shanghai: the date of list rows, without Babel's datetimeformat (costly per call)."""
    return to_local(dt).strftime("%Y-%m-%d") if dt else ""


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
            return "badge danger", _("超期 %(n)d 个工作日", n=-n)
        if n == 0:
            return "badge danger", _("今天到期")
        return "", _("%(n)d 个工作日", n=n)


LABELS_KEY = "interaction.mailbox_labels"


@bp.context_processor
def _labels():
    """The label tables, translated once per locale and process (a list shows dozens of labels)."""
    locale = str(get_locale())
    by_locale = current_app.extensions.setdefault(LABELS_KEY, {})
    labels = by_locale.get(locale)
    if labels is None:
        tables = {"status_labels": STATUS_LABELS, "event_labels": EVENT_LABELS, "category_labels": CATEGORY_LABELS,
                  "channel_labels": LETTER_CHANNEL_LABELS, "due_labels": DUE_LABELS}
        labels = by_locale[locale] = {name: {key: str(label) for key, label in table.items()}
                                      for name, table in tables.items()}
    return dict(labels, open_states=OPEN_STATES)


# -- access helpers ---------------------------------------------------------------------------------

def _grant(number: str) -> None:
    numbers = [n for n in session.get(ACCESS_KEY, []) if n != number][-19:]
    session[ACCESS_KEY] = numbers + [number]


def _writer_letter_or_404(number: str) -> Letter:
    """The letter for its writer, else ``NotFound``.

    The writer: granted in this session (track page, submission) or the signed-in author.
    Anyone else gets the 404 an unknown number gets.
    """
    letter = services.find_letter(number)
    if letter is None:
        raise NotFound()
    if letter.number in session.get(ACCESS_KEY, []):
        return letter
    if current_user.is_authenticated and letter.author_id == current_user.id:
        return letter
    raise NotFound()


def _staff_letter_or_404(number: str) -> Letter:
    """The letter for staff: 404 if unknown and alike unless the user handles it or oversees."""
    return services.get_letter_for_staff_or_404(number, current_user)


# -- citizens ---------------------------------------------------------------------------------------

@bp.get("/")
def index():
    mailboxes = db.session.scalars(queries.active_mailboxes()).all()
    latest = db.session.scalars(queries.query_published().limit(5)).all()
    return render_template("mailbox/mailbox_index.html", mailboxes=mailboxes, latest=latest,
                           stats=queries.statistics_strip())


@bp.route("/write", methods=["GET", "POST"])
def write_letter():
    with reading():  # no write lock while the form is checked: the letter's rows are written at the end
        form = LetterForm()
        submitted = request.method == "POST" and form.validate_on_submit()
    if request.method == "GET":
        form.mailbox.data = request.args.get("mailbox", "")
        form.submission_token.data = secrets.token_urlsafe(24)
        if current_user.is_authenticated:
            form.name.data, form.phone.data, form.email.data = (current_user.name, current_user.phone or "",
                                                                current_user.email)
    elif submitted:
        actor = current_user._get_current_object() if current_user.is_authenticated else None
        try:
            letter, code, _created = services.submit_letter(
                form.selected_mailbox, form.letter_data(), actor=actor,
                submission_token=form.submission_token.data or None)
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            number = letter.number  # read before the commit, which expires the letter (no reload after it)
            db.session.commit()
            return _after_submission(number, code)
    return render_template("mailbox/letter_write.html", form=form, mailboxes=db.session.scalars(
        queries.active_mailboxes()).all())


def _after_submission(number: str, code: str | None):
    _grant(number)
    if code:
        session[NEW_KEY] = {"number": number, "code": code}
    return redirect(url_for("mailbox.letter_submitted", number=number))


@bp.get("/submitted/<number>")
def letter_submitted(number):
    letter = _writer_letter_or_404(number)
    new = session.get(NEW_KEY) or {}
    code = new.get("code") if new.get("number") == letter.number else None
    response = render_template("mailbox/letter_submitted.html", letter=letter, code=code)
    session.pop(NEW_KEY, None)  # the query code is shown once
    return response


@bp.route("/track", methods=["GET", "POST"])
@lookup_limited
def track_letter():
    form = TrackForm()
    if form.validate_on_submit():
        try:
            letter = services.letter_by_code(form.number.data, form.query_code.data)
        except NotFound:
            return render_template("mailbox/letter_track.html", form=form, not_found=True), 404
        _grant(letter.number)
        return redirect(url_for("mailbox.letter_status", number=letter.number))
    return render_template("mailbox/letter_track.html", form=form, not_found=False)


def _render_status(letter: Letter, rating_form=None, rehandle_form=None, status=200):
    return render_template(
        "mailbox/letter_status.html", letter=letter, events=queries.public_events(letter),
        rating_form=rating_form or RatingForm(formdata=None), rehandle_form=rehandle_form or RehandleForm(
            formdata=None)), status


@bp.get("/letters/<number>")
def letter_status(number):
    """The writer's page. Staff who may see the letter (e.g. following a handover link) go to theirs."""
    try:
        letter = _writer_letter_or_404(number)
    except NotFound:
        letter = services.find_letter(number)
        if letter is not None and (services.can_handle(current_user, letter) or services.can_oversee(current_user)):
            return redirect(url_for("mailbox.staff_letter", number=letter.number))
        raise
    return _render_status(letter)


@bp.post("/letters/<number>/rating")
def rate_letter(number):
    letter = _writer_letter_or_404(number)
    form = RatingForm()
    if not form.validate_on_submit():
        return _render_status(letter, rating_form=form, status=422)
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        services.rate_letter(letter, None, resolution=form.resolution.data, attitude=form.attitude.data,
                             speed=form.speed.data, comment=form.comment.data, actor=actor)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("mailbox.letter_status", number=letter.number))
    db.session.commit()
    flash(_("感谢您的评价。"), "success")
    return redirect(url_for("mailbox.letter_status", number=letter.number))


@bp.post("/letters/<number>/rehandle")
def rehandle_letter(number):
    letter = _writer_letter_or_404(number)
    form = RehandleForm()
    if not form.validate_on_submit():
        return _render_status(letter, rehandle_form=form, status=422)
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        services.request_rehandle(letter, form.reason.data, actor=actor)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("mailbox.letter_status", number=letter.number))
    db.session.commit()
    flash(_("已申请再办理，承办部门将重新办理并答复。"), "success")
    return redirect(url_for("mailbox.letter_status", number=letter.number))


@bp.get("/mine")
@login_required
def my_letters():
    page = db.paginate(queries.query_author_letters(current_user.id), per_page=PER_PAGE, error_out=False)
    return render_template("mailbox/letter_mine.html", page=page)


# -- the public -------------------------------------------------------------------------------------

@bp.get("/public")
def public_letters():
    q = (request.args.get("q") or "").strip()[:100]
    category = request.args.get("category") if request.args.get("category") in CATEGORY_LABELS else ""
    figures = queries.public_figures()
    page = queries.public_page(q, category or None, per_page=PER_PAGE, total=figures["published"])
    snippets = {letter.id: queries.search_snippet(letter, q) for letter in page.items}
    return render_page("mailbox/letter_public_list.html", _public_list_shown(page, figures["strip"]),
                       page=page, q=q, category=category, snippets=snippets, stats=figures["strip"])


def _public_list_shown(page, strip: dict) -> tuple:
    """Everything a public list page shows from the database, as the key of its memo (see render_page)."""
    figures = tuple((period, tuple(sorted(values.items()))) for period, values in strip.items())
    return tuple(page.items), page.total, page.capped, page.has_next, figures


@bp.get("/public/<number>")
def public_letter(number):
    letter = services.find_letter(number)
    if letter is None or not letter.is_published:
        raise NotFound()
    return render_template("mailbox/letter_public.html", letter=letter)


# -- staff ------------------------------------------------------------------------------------------

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
    shown = (listed, page.total, page.capped, page.page, page.has_next, tuple(filters.items()))
    return render_page("mailbox/letter_inbox.html", shown, page=page, filters=filters, listed=listed, shown=shown)


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
    db.session.commit()
    return render_template("mailbox/letter_staff.html", letter=letter, forms=_action_forms(letter, bound),
                           allowed=_allowed_actions(letter), now=now_utc()), status


def _writes(view):
    """For a GET that writes (the audit log): take SQLite's write lock up front, before the user is loaded.

    Upgrading a read transaction to a write fails at once when another writer got there first (core.db).
    """
    @wraps(view)
    def wrapped(*args, **kwargs):
        declare_writes()
        return view(*args, **kwargs)

    return wrapped


@bp.get("/staff/letters/<number>")
@_writes
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
    try:
        perform_action(letter, action, form, current_user._get_current_object())
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return _render_staff_letter(letter, {action: form}, 422)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("mailbox.staff_letter", number=letter.number))
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
            return _after_submission(number, code)
    return render_template("mailbox/letter_register.html", form=form)


# -- oversight --------------------------------------------------------------------------------------

@bp.get("/supervision")
@permission_required(Permission.OVERSEE)
def supervision():
    year = to_local(now_utc()).year
    missing = core_calendar.years_without_schedule([year, year + 1] if to_local(now_utc()).month >= 10 else [year])
    board = queries.supervision_board()
    shown = tuple((key, entry["total"], entry["capped"], entry["letters"].raw) for key, entry in board.items())
    return render_page("mailbox/supervision_board.html", (shown, tuple(missing)), board=board, shown=shown,
                       sections=BOARD_SECTION_TITLES, missing_years=missing, board_rows=queries.BOARD_ROWS)


BOARD_SECTION_TITLES = {"long_unanswered": _l("超过三个月未答复"), "overdue": _l("已超期"),
                        "acceptance_overdue": _l("超过受理期限"), "due_soon": _l("即将到期（2 个工作日内）"),
                        "flagged": _l("转办三次及以上")}


@bp.get("/supervision/<section>")
@permission_required(Permission.OVERSEE)
def supervision_section(section):
    """All letters of one section of the board, a page at a time (督办 is on each letter's page)."""
    if section not in queries.BOARD_SECTIONS:
        abort(404)
    page = paginate_capped(queries.board_rows(queries.board_section(section)), Letter.id, per_page=PER_PAGE,
                           rows=True, count_in_order=section in queries.COUNT_IN_ORDER)
    return render_template("mailbox/supervision_section.html", page=page, section=section,
                           title=BOARD_SECTION_TITLES[section])


@bp.post("/staff/letters/<number>/supervise")
@permission_required(Permission.OVERSEE)
def supervise_letter(number):
    letter = services.get_letter_or_404(number)
    form = SuperviseForm(prefix="supervise")
    if not form.validate_on_submit():
        flash(form.note.errors[0] if form.note.errors else _("请填写督办意见。"), "error")
        return redirect(request.referrer or url_for("mailbox.supervision"))
    try:
        services.supervise_letter(letter, form.note.data, actor=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("mailbox.supervision"))
    db.session.commit()
    flash(_("已督办来信 %(number)s，并通知了承办部门。", number=letter.number), "success")
    return redirect(url_for("mailbox.supervision"))


# -- administration ---------------------------------------------------------------------------------

@bp.get("/admin/calendar")
@permission_required(Permission.ADMIN)
def calendar_list():
    this_year = to_local(now_utc()).year
    years = [core_calendar.year_schedule(y) for y in range(this_year - 1, this_year + 3)]
    return render_template("mailbox/calendar_list.html", years=years, this_year=this_year)


@bp.route("/admin/calendar/<int:year>", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def calendar_edit(year):
    if not 2000 <= year <= 2100:
        abort(404)
    schedule = core_calendar.year_schedule(year)
    form = CalendarForm()
    if request.method == "GET":
        form.holidays.data = "\n".join(schedule.to_dict()["holidays"])
        form.workdays.data = "\n".join(schedule.to_dict()["workdays"])
    elif form.validate_on_submit():
        try:
            new = YearSchedule.from_dict(year, {"holidays": form.split(form.holidays.data),
                                                "workdays": form.split(form.workdays.data)})
        except ValueError as exc:
            form.holidays.errors = list(form.holidays.errors) + [_("日程无效：%(detail)s", detail=str(exc))]
        else:
            core_calendar.set_year_schedule(new, current_user._get_current_object())
            db.session.commit()
            flash(_("%(year)d 年的工作日历已保存。", year=year), "success")
            return redirect(url_for("mailbox.calendar_list"))
    return render_template("mailbox/calendar_edit.html", form=form, year=year, schedule=schedule)


@bp.get("/admin/mailboxes")
@permission_required(Permission.ADMIN)
def mailbox_list():
    mailboxes = db.session.scalars(select(Mailbox).order_by(Mailbox.sort_order, Mailbox.id)).all()
    return render_template("mailbox/mailbox_list.html", mailboxes=mailboxes)


@bp.route("/admin/mailboxes/new", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def mailbox_create():
    return _mailbox_form(None)


@bp.route("/admin/mailboxes/<int:mailbox_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def mailbox_edit(mailbox_id):
    return _mailbox_form(db.get_or_404(Mailbox, mailbox_id))


def _mailbox_form(mailbox: Mailbox | None):
    form = MailboxForm(obj=mailbox, mailbox=mailbox)
    if request.method == "GET" and mailbox is not None:
        form.department.data = mailbox.department.code
    if form.validate_on_submit():
        department = db.session.scalar(select(Department).where(Department.code == form.department.data))
        services.save_mailbox(mailbox, {
            "code": form.code.data, "name": form.name.data, "department_id": department.id,
            "reply_days": form.reply_days.data, "description": form.description.data or "",
            "sort_order": form.sort_order.data or 0, "is_active": bool(form.is_active.data)},
            actor=current_user._get_current_object())
        db.session.commit()
        flash(_("信箱已保存。"), "success")
        return redirect(url_for("mailbox.mailbox_list"))
    return render_template("mailbox/mailbox_edit.html", form=form, mailbox=mailbox)
