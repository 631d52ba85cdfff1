"""The public board: list (filters, orders, search), a question's page, similar questions, a department's FAQ.

A question that is not public (pending, rejected, withdrawn, a consultation not published) is
shown only to its asker and its department's staff (and administrators); everyone else gets the
404 of an unknown id. A published consultation is shown to the public in its masked version.
"""

from flask import render_template, request
from flask_login import current_user

from interaction.core.db import db
from interaction.core.errors import NotFound
from interaction.qa import queries, services
from interaction.qa.forms import TOPIC_LABELS
from interaction.qa.views import ORDER_LABELS, PER_PAGE, STATE_LABELS, bp

MAX_QUERY = 100
SIMILAR_SHOWN = 5


def _filters() -> dict:
    """The board's filters from the query string; unknown values are ignored (an empty filter)."""
    args = request.args
    department = services.department_by_code(args.get("department")) if args.get("department") else None
    return {"q": (args.get("q") or "").strip()[:MAX_QUERY],
            "department": department.code if department is not None else "",
            "department_id": department.id if department is not None else None,
            "topic": args.get("topic") if args.get("topic") in TOPIC_LABELS else "",
            "state": args.get("state") if args.get("state") in STATE_LABELS else "",
            "order": args.get("order") if args.get("order") in ORDER_LABELS else "newest"}


@bp.get("")
@bp.get("/")
def question_list():
    """The public board: filters by department, topic and state; newest, most asked or most helpful first.

    With ``q`` the list is the search's ranking (``core.search``: questions only, in the department).
    """
    f = _filters()
    hits = None
    if f["q"]:
        page_number = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
        results, hits = queries.search_public(f["q"], department_id=f["department_id"], topic=f["topic"] or None,
                                              state=f["state"] or None, page=page_number, per_page=PER_PAGE)
        page = _SearchPage(results)
    else:
        page = db.paginate(queries.public_questions(department_id=f["department_id"], topic=f["topic"] or None,
                                                    state=f["state"] or None, order=f["order"]),
                           per_page=PER_PAGE, error_out=False)
    return render_template("qa/question_list.html", page=page, hits=hits, departments=queries.active_departments(),
                           **{k: v for k, v in f.items() if k != "department_id"})


class _SearchPage:
    """The attributes ``macros/forms.html``'s ``pagination`` reads, for a page of search results."""

    def __init__(self, results):
        self.page, self.per_page, self.total = results.page, results.per_page, results.total
        self.pages = max(1, -(-results.total // results.per_page))
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


@bp.get("/<int:question_id>")
def question_detail(question_id):
    question = services.get_question_for_reader_or_404(question_id, current_user)
    party = services.is_asker(current_user, question) or services.can_handle(current_user, question)
    signed_in = current_user.is_authenticated
    return render_template(
        "qa/question_detail.html", question=question, party=party, history=queries.answer_history(question.id),
        staff=services.can_handle(current_user, question),
        asker=services.is_asker(current_user, question),
        me_too_done=signed_in and queries.has_me_too(question.id, current_user.id),
        helpful_done=signed_in and queries.has_helpful(question.id, current_user.id))


@bp.get("/similar")
def similar_questions():
    """Up to five answered questions like ``?text=`` (the ask page fetches this fragment as the title is typed)."""
    text = (request.args.get("text") or "").strip()[:200]
    found = queries.similar_public(text, limit=SIMILAR_SHOWN, answered_only=True) if len(text) >= 2 else []
    return render_template("qa/_similar.html", questions=found, text=text)


@bp.get("/faq/<code>")
def department_faq(code):
    """A department's 常见问题; its staff also see the answered questions they may add."""
    department = services.department_by_code(code)
    if department is None or not department.is_active:
        raise NotFound()
    manage = services.can_handle_department(current_user, department.id)
    candidates = db.session.scalars(queries.answered_for_faq(department.id).limit(50)).all() if manage else []
    return render_template("qa/faq.html", department=department, entries=queries.faq_entries(department.id),
                           manage=manage, candidates=candidates)


@bp.get("/faq")
def faq_index():
    """The departments, each linking to its FAQ."""
    return render_template("qa/faq_index.html", departments=queries.active_departments())
