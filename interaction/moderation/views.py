"""Moderation pages: the queue (moderators), the word lists (administrators), "my submissions" (authors)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.core.redirects import safe_next
from interaction.core.time import now_utc
from interaction.core.views import redirect_on_refusal
from interaction.moderation import queries, screening, services
from interaction.moderation.forms import BulkDecisionForm, DecisionForm, WordsForm
from interaction.moderation.models import CaseState, ModerationCase, SensitiveWord
from interaction.moderation.registry import describe, kinds

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

PER_PAGE = 20
STATE_LABELS = {
    CaseState.pending.value: _l("待审核"),
    CaseState.approved.value: _l("已通过"),
    CaseState.rejected.value: _l("未通过"),
}
VERDICT_LABELS = {"pass": _l("未发现问题"), "review": _l("需人工审核"), "block": _l("已自动拦截")}


@bp.app_template_filter("moderation_highlight")
def highlight(text: str) -> Markup:
    """*text* escaped, with every listed word found by the screen (however disguised) in ``<mark>``."""
    text = text or ""
    out, done = [], 0
    for match in screening.word_screen().scan(text).matches:  # sorted by start; spans may overlap
        start = max(match.start, done)
        if match.end > start:
            out.append(escape(text[done:start]))
            out.append(Markup('<mark class="word-%s">%s</mark>') % (match.list_name, text[start:match.end]))
            done = match.end
    out.append(escape(text[done:]))
    return Markup("").join(out)


@bp.app_context_processor
def _labels():
    return {"moderation_state_labels": STATE_LABELS, "moderation_verdict_labels": VERDICT_LABELS,
            "moderation_reason_text": screening.reason_text, "moderation_now": now_utc}


def _safe_next(default: str) -> str:
    """The form's ``next`` page if it is one of this site's (core.redirects), else *default*."""
    return safe_next(request.form.get("next")) or default


def _entries(cases) -> list[dict]:
    """Each case with its kind label and what the moderator sees of its target."""
    registered = kinds()
    return [{"case": case, "kind_label": registered[case.kind].label if case.kind in registered else case.kind,
             "target": describe(case.kind, case.target_id)} for case in cases]


def _queue_filters() -> tuple[str, str]:
    state = request.args.get("state", CaseState.pending.value)
    if state not in STATE_LABELS and state != "all":
        state = CaseState.pending.value
    kind = request.args.get("kind", "")
    return state, kind if kind in kinds() else ""


def _render_queue(bulk_form=None, status=200):
    state, kind = _queue_filters()
    page = db.paginate(queries.query_cases(state=None if state == "all" else state, kind=kind or None),
                       per_page=PER_PAGE, error_out=False)
    return render_template(
        "moderation/case_queue.html", page=page, entries=_entries(page.items), state=state, kind=kind,
        kinds=kinds(), pending_counts=queries.count_pending_by_kind(),
        bulk_form=bulk_form or BulkDecisionForm(formdata=None), decision_form=DecisionForm(formdata=None),
    ), status


@bp.get("/")
@permission_required(Permission.MODERATE)
def queue():
    return _render_queue()


@bp.get("/cases/<int:case_id>")
@permission_required(Permission.MODERATE)
def case_detail(case_id: int, form=None, status=200):
    case = db.get_or_404(ModerationCase, case_id)
    return render_template("moderation/case_detail.html", entry=_entries([case])[0],
                           form=form or DecisionForm(formdata=None)), status


@bp.post("/cases/<int:case_id>/decision")
@permission_required(Permission.MODERATE)
def decide_case(case_id: int):
    case = db.get_or_404(ModerationCase, case_id)
    form = DecisionForm()
    if not form.validate():
        return case_detail(case_id, form=form, status=422)
    with redirect_on_refusal(_safe_next(url_for(".queue"))):
        services.decide_case(case, form.verdict.data, reason=form.reason.data, actor=current_user)
    db.session.commit()
    flash(_("已通过。") if case.state == CaseState.approved else _("已设为不通过，理由已告知提交人。"), "success")
    return redirect(_safe_next(url_for(".queue")))


@bp.post("/cases/decision")
@permission_required(Permission.MODERATE)
def decide_cases():
    form = BulkDecisionForm()
    if not form.validate():
        return _render_queue(bulk_form=form, status=422)
    cases = db.session.scalars(select(ModerationCase).where(ModerationCase.id.in_(form.case_ids.data))
                               .order_by(ModerationCase.id)).all()
    decided, skipped = services.decide_cases(cases, form.verdict.data, form.reason.data, actor=current_user)
    db.session.commit()
    flash(ngettext("已处理 %(num)d 项。", "已处理 %(num)d 项。", len(decided)), "success")
    if skipped:
        flash(ngettext("%(num)d 项已由他人处理，已跳过。", "%(num)d 项已由他人处理，已跳过。", len(skipped)), "warning")
    return redirect(_safe_next(url_for(".queue")))


@bp.get("/mine")
@login_required
def mine():
    page = db.paginate(queries.query_cases_by_author(current_user.id), per_page=PER_PAGE, error_out=False)
    return render_template("moderation/case_mine.html", page=page, entries=_entries(page.items))


@bp.get("/words")
@permission_required(Permission.ADMIN)
def words(form=None, status=200):
    list_name = request.args.get("list") or None
    page = db.paginate(queries.query_words(list_name), per_page=200, error_out=False)
    return render_template("moderation/word_list.html", page=page, list_name=list_name,
                           counts=queries.count_words(), form=form or WordsForm(formdata=None)), status


@bp.post("/words")
@permission_required(Permission.ADMIN)
def add_words():
    form = WordsForm()
    if not form.validate():
        return words(form=form, status=422)
    added, skipped = services.add_sensitive_words(form.words.data, form.list.data, actor=current_user)
    db.session.commit()
    flash(ngettext("已添加 %(num)d 个词语。", "已添加 %(num)d 个词语。", len(added)), "success")
    if skipped:
        flash(_("以下词语已在列表中或过长，已跳过：%(words)s", words="、".join(skipped[:50])), "warning")
    return redirect(url_for(".words"))


@bp.post("/words/<int:word_id>/delete")
@permission_required(Permission.ADMIN)
def remove_word(word_id: int):
    entry = db.get_or_404(SensitiveWord, word_id)
    word = entry.word
    services.remove_sensitive_word(entry, actor=current_user)
    db.session.commit()
    flash(_("已删除词语“%(word)s”。", word=word), "success")
    return redirect(_safe_next(url_for(".words")))

