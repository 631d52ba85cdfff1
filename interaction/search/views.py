"""The search page (集中查询, ``/search?q=&type=``) and the administrators' dictionary (``/admin/search/terms``)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.core import pagination, search
from interaction.core.db import db
from interaction.core.errors import ValidationFailed
from interaction.core.forms import EmptyForm, show_errors
from interaction.core.time import to_local
from interaction.search import services
from interaction.search.forms import SearchForm, TermForm

bp = Blueprint("search", __name__)

PER_PAGE = 20


@bp.get("/search")
def search_page():
    """Results of every channel, ranked; a query too long or of no words gets a message, never an error."""
    form = SearchForm(request.args)
    page = request.args.get("page", 1, type=int)
    results, message = None, None
    q = (form.q.data or "").strip()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
    elif q:
        results = search.search(q, types=form.types(), page=page, per_page=PER_PAGE)
        if not results.total:
            message = _("没有找到与“%(q)s”相关的公开内容，请换个说法再查。", q=q)
    elif "q" in request.args:
        message = _("请输入要查询的内容。")
    listing = None
    if results is not None and results.total:
        listing = pagination.CappedPage(items=results.items, page=results.page, per_page=results.per_page,
                                        total=results.total, capped=results.total_is_capped,
                                        has_next=results.page * results.per_page < results.total)
    return render_template("search/search_results.html", form=form, q=q, page=listing, message=message,
                           type_labels={c.value: c.label for c in form.type.choices})


@bp.route("/admin/search/terms", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def terms():
    """The segmenter's dictionary: the shipped terms and administrators' changes; add a term."""
    form = TermForm()
    if form.validate_on_submit():
        try:
            services.add_term(form.word.data, actor=current_user._get_current_object())
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("已加入词库：%(word)s。已发布的内容需重建索引后才按新词切分。", word=form.word.data), "success")
            return redirect(url_for("search.terms"))
    return render_template("search/terms_admin.html", form=form, terms=services.list_terms(), remove_form=EmptyForm())


@bp.post("/admin/search/terms/remove")
@permission_required(Permission.ADMIN)
def remove_term():
    form = EmptyForm()
    word = request.form.get("word", "")
    if form.validate_on_submit() and word:
        services.remove_term(word, actor=current_user._get_current_object())
        db.session.commit()
        flash(_("已从词库移除：%(word)s。", word=word), "success")
    return redirect(url_for("search.terms"))


@bp.app_template_filter("search_date")
def _search_date(dt) -> str:
    """``2026-11-02`` in Shanghai."""
    return to_local(dt).strftime("%Y-%m-%d") if dt else ""
