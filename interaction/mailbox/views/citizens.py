"""The writer's pages (write, track, status, rating, re-handling, "my letters") and the published letters.

A writer reaches their letter by number and query code (the track page) or, signed in, from
"my letters"; a successful look-up is remembered in the session, so the code never goes in a URL.
"""

import secrets

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from interaction.core.db import db
from interaction.core.errors import NotFound, Unauthorized, ValidationFailed
from interaction.core.forms import show_errors
from interaction.core.views import redirect_on_refusal
from interaction.core.pages import render_page
from interaction.mailbox import queries, services
from interaction.mailbox.common import lookup_limited
from interaction.mailbox.forms import CATEGORY_LABELS, LetterForm, RatingForm, RehandleForm, TrackForm
from interaction.mailbox.models import Letter
from interaction.mailbox.views import PER_PAGE, bp

ACCESS_KEY = "mailbox_access"
NEW_KEY = "mailbox_new"


def grant(number: str) -> None:
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


# -- citizens -----------------------------------------------------------------------------------

@bp.get("/")
def index():
    mailboxes = db.session.scalars(queries.active_mailboxes()).all()
    latest = db.session.scalars(queries.query_published().limit(5)).all()
    return render_template("mailbox/mailbox_index.html", mailboxes=mailboxes, latest=latest,
                           stats=queries.statistics_strip())


@bp.route("/write", methods=["GET", "POST"])
def write_letter():
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
        except (ValidationFailed, Unauthorized) as exc:  # Unauthorized: the mailbox asks for a signed-in account
            show_errors(form, exc, fallback="mailbox")
        else:
            number = letter.number  # read before the commit, which expires the letter (no reload after it)
            db.session.commit()
            return after_submission(number, code)
    return render_template("mailbox/letter_write.html", form=form, mailboxes=db.session.scalars(
        queries.active_mailboxes()).all())


def after_submission(number: str, code: str | None):
    grant(number)
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
        grant(letter.number)
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
    status_page = url_for("mailbox.letter_status", number=letter.number)
    with redirect_on_refusal(status_page):
        services.rate_letter(letter, None, resolution=form.resolution.data, attitude=form.attitude.data,
                             speed=form.speed.data, comment=form.comment.data, actor=actor)
    db.session.commit()
    flash(_("感谢您的评价。"), "success")
    return redirect(status_page)


@bp.post("/letters/<number>/rehandle")
def rehandle_letter(number):
    letter = _writer_letter_or_404(number)
    form = RehandleForm()
    if not form.validate_on_submit():
        return _render_status(letter, rehandle_form=form, status=422)
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    status_page = url_for("mailbox.letter_status", number=letter.number)
    with redirect_on_refusal(status_page):
        services.request_rehandle(letter, form.reason.data, actor=actor)
    db.session.commit()
    flash(_("已申请再办理，承办部门将重新办理并答复。"), "success")
    return redirect(status_page)


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
    return render_page("mailbox/letter_public_list.html",
                       page=page, q=q, category=category, snippets=snippets, stats=figures["strip"])


@bp.get("/public/<number>")
def public_letter(number):
    letter = services.find_letter(number)
    if letter is None or not letter.is_published:
        raise NotFound()
    return render_template("mailbox/letter_public.html", letter=letter)
