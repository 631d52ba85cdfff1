"""Public poll pages: the list, a poll (vote or "you voted"), its results with charts, table and report."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.core.db import db
from interaction.core.errors import Conflict, DomainError, ValidationFailed
from interaction.core.forms import EmptyForm
from interaction.core.time import now_utc
from interaction.polls import queries, services
from interaction.polls.models import Poll, PollStatus
from interaction.polls.views import PER_PAGE, bp


def _user():
    return current_user if current_user.is_authenticated else None


def get_poll_or_404(poll_id: int) -> Poll:
    """The poll; 404 if there is none or it is a draft the user may not manage (drafts are not public)."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or not queries.is_visible(poll, _user()):
        abort(404)
    return poll


def answers_from_form(poll: Poll, formdata) -> list[dict]:
    """The page's fields (``q<id>``: radio buttons, check boxes, a text area) as the API's ``answers``.

    Values that are not numbers are passed on as they came: the service refuses them by name.
    """
    answers = []
    for question in poll.questions:
        values = formdata.getlist(f"q{question.id}")
        as_ints = [int(v) if v.isdigit() and len(v) < 11 else v for v in values]
        if question.has_options and values:
            answers.append({"question": question.id, "options": as_ints})
        elif question.kind == "rating" and values and values[0]:
            answers.append({"question": question.id, "value": as_ints[0]})
        elif question.kind == "text" and values and values[0].strip():
            answers.append({"question": question.id, "text": values[0]})
    return answers


@bp.get("/")
def index():
    now = now_utc()
    user = _user()
    open_polls = db.session.scalars(queries.query_public_polls(PollStatus.open.value).limit(50)).all()
    upcoming = db.session.scalars(queries.query_public_polls(PollStatus.scheduled.value).limit(20)).all()
    closed = db.paginate(queries.query_public_polls(PollStatus.closed.value), per_page=PER_PAGE, error_out=False)
    voted = queries.voted_poll_ids(user, [p.id for p in open_polls])
    return render_template("polls/poll_list.html", open_polls=open_polls, upcoming=upcoming, closed=closed,
                           voted=voted, now=now, can_manage=services.can_manage(user))


def _render_poll(poll: Poll, *, errors=None, chosen=None, status_code=200):
    user = _user()
    mine = queries.own_ballot(poll, user)
    return render_template(
        "polls/poll_show.html", poll=poll, status=poll.status.value, mine=mine, errors=errors or {},
        chosen=chosen or {}, preview=False, results_refusal=queries.results_refusal(poll, user),
        is_staff=queries.is_staff_of(poll, user), can_withdraw=services.can_withdraw(user),
        form=EmptyForm()), status_code


@bp.get("/<int:poll_id>")
def show(poll_id: int):
    return _render_poll(get_poll_or_404(poll_id))


@bp.post("/<int:poll_id>/vote")
def vote(poll_id: int):
    poll = get_poll_or_404(poll_id)
    if not current_user.is_authenticated:
        flash(_("请先登录再参加调查。"), "error")
        return redirect(url_for("accounts.login", next=url_for(".show", poll_id=poll.id)))
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = {q.id: request.form.getlist(f"q{q.id}") for q in poll.questions}
    try:
        services.cast_ballot(poll, answers_from_form(poll, request.form), actor=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_poll(poll, errors=exc.fields, chosen=chosen, status_code=422)
    except (Conflict, DomainError) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".show", poll_id=poll.id))
    db.session.commit()
    flash(_("感谢参与！您的答卷已提交。"), "success")
    return redirect(url_for(".show", poll_id=poll_id) + "#voted")


@bp.get("/<int:poll_id>/results")
def results(poll_id: int):
    poll = get_poll_or_404(poll_id)
    user = _user()
    refusal = queries.results_refusal(poll, user)
    figures = queries.results(poll) if refusal is None else None
    live = (figures is not None and poll.results_visibility == "live" and poll.status == PollStatus.open)
    return render_template("polls/poll_results.html", poll=poll, status=poll.status.value, refusal=refusal,
                           figures=figures, live=live, is_staff=queries.is_staff_of(poll, user)), \
        403 if refusal else 200
