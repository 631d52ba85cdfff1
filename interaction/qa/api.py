"""Public Q&A and consultation API (API.md "Public Q&A and consultation"), mounted under ``/api/v1``.

Departments are named by their code, as in the mailbox's API. Who sees a question: everyone, once
it is public; otherwise its asker, its department's staff and administrators; anyone else gets the
404 of an unknown id. A department action (answer, edit, publish) by another department's staff is
403, except on a consultation they may not see (404: its existence stays private).
"""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import Permission, admin_required, permission_required
from interaction.core.api import idempotent, json_body, optional_json_body, page_args, paginated, validate
from interaction.core.apidoc import NO_BODY, STRING, documented, obj, page_of, query_choice
from interaction.core.db import db
from interaction.core.errors import NotFound, ValidationFailed
from interaction.qa import queries, services
from interaction.qa.forms import (TOPIC_LABELS, AnswerForm, ApiQuestionForm, ApiRerouteForm, ConsentForm,
                                  ReviewSettingForm)
from interaction.qa.serializers import (ANSWER_SCHEMA, COUNTS_SCHEMA, CREATED_SCHEMA, FAQ_SCHEMA, QUESTION_SCHEMA,
                                        SETTING_SCHEMA, SUMMARY_SCHEMA, serialize_answer, serialize_question,
                                        serialize_summary)

bp = Blueprint("qa", __name__)

PAGE_QUERY = {"page": {"type": "integer"}, "per_page": {"type": "integer"}}
SIMILAR_LIMIT = 5


def _actor():
    return current_user._get_current_object()


@bp.post("/questions")
@documented(request=ApiQuestionForm, response=CREATED_SCHEMA, status=201, errors=(401, 403))
@permission_required(Permission.WRITE)
@idempotent
def create_question():
    """Ask a department (signed in): a public question or a private consultation; it awaits moderation."""
    form = validate(ApiQuestionForm, json_body())
    question = services.ask_question(form.selected_department, kind=form.kind.data, title=form.title.data,
                                     body=form.body.data, topic=form.topic.data or None,
                                     publication_consent=bool(form.publication_consent.data), actor=_actor())
    body = {"id": question.id, "status": question.status, "kind": question.kind,
            "department": form.selected_department.code}
    db.session.commit()
    return jsonify(body), 201


def _department_arg() -> int | None:
    code = request.args.get("department")
    if not code:
        return None
    department = services.department_by_code(code)
    if department is None:
        raise ValidationFailed({"department": _("请选择一个有效的部门。")})
    return department.id


def _choice_arg(name: str, values) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in values:
        raise ValidationFailed({name: _("无效的取值。")})
    return value


@bp.get("/questions")
@documented(response=page_of(SUMMARY_SCHEMA), query={
    "q": STRING, "department": STRING, "status": query_choice(queries.STATES), "topic": query_choice(TOPIC_LABELS),
    "order": query_choice(queries.ORDERS), **PAGE_QUERY})
def list_questions():
    """Published questions: ``?q=`` searches Chinese text (ranked), ``department``, ``status=answered|waiting``."""
    department_id = _department_arg()
    status = _choice_arg("status", queries.STATES)
    topic = _choice_arg("topic", TOPIC_LABELS)
    order = _choice_arg("order", queries.ORDERS) or "newest"
    q = (request.args.get("q") or "").strip()[:100]
    if not q:
        return paginated(queries.public_questions(department_id=department_id, topic=topic, state=status,
                                                  order=order), serialize_summary)
    page, per_page = page_args()
    results, pairs = queries.search_public(q, department_id=department_id, topic=topic, state=status, page=page,
                                           per_page=per_page)
    items = [{**serialize_summary(question), "snippet": str(hit.snippet_html)} for hit, question in pairs]
    return jsonify(items=items, page=results.page, per_page=results.per_page, total=results.total)


@bp.get("/questions/similar")
@documented(response=obj({"items": {"type": "array", "items": SUMMARY_SCHEMA}}), query={"text": STRING})
def similar_questions():
    """Up to 5 published questions most like ``?text=`` (a draft title), each with ``answered``."""
    text = (request.args.get("text") or "").strip()[:200]
    questions = queries.similar_public(text, limit=SIMILAR_LIMIT) if text else []
    return jsonify(items=[serialize_summary(q) for q in questions])


@bp.get("/questions/mine")
@documented(response=page_of(QUESTION_SCHEMA), errors=(401,), query=PAGE_QUERY)
@permission_required(Permission.WRITE)
def my_questions():
    """The caller's questions and consultations, newest first, with their state and any moderation reason."""
    return paginated(queries.author_questions(current_user.id),
                     lambda q: serialize_question(q, party=True, history=False))


@bp.get("/questions/queue")
@documented(response=page_of(QUESTION_SCHEMA), errors=(401, 403), query={"department": STRING, **PAGE_QUERY})
@permission_required(Permission.HANDLE)
def staff_queue():
    """Questions awaiting the caller's department's answer, oldest first (admin: every department, or one)."""
    department_id = _department_arg() if current_user.is_admin else current_user.department_id
    return paginated(queries.staff_queue(department_id),
                     lambda q: serialize_question(q, party=True, history=False))


@bp.get("/questions/<int:question_id>")
@documented(response=QUESTION_SCHEMA)
def get_question(question_id):
    """One question: public ones for everyone; others for their asker and their department's staff (else 404)."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    party = services.is_asker(current_user, question) or services.can_handle(current_user, question)
    return jsonify(serialize_question(question, party=party))


@bp.post("/questions/<int:question_id>/answer")
@documented(request=AnswerForm, response=ANSWER_SCHEMA, status=201, errors=(401, 403, 409))
@permission_required(Permission.HANDLE)
@idempotent
def answer_question(question_id):
    """The department's answer (its staff, admin): 403 for another department, 409 unless the question is open."""
    question = services.get_question_for_action_or_404(question_id, current_user)
    services.require_handle(current_user, question)
    form = validate(AnswerForm, json_body())
    answer = services.answer_question(question, form.body.data, actor=_actor())
    body = serialize_answer(answer)
    db.session.commit()
    return jsonify(body), 201


@bp.route("/questions/<int:question_id>/answer", methods=["PUT", "PATCH"])
@documented(request=AnswerForm, response=ANSWER_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.HANDLE)
def edit_answer(question_id):
    """A new version of the answer (the earlier ones stay in the public history); 409 before it is answered."""
    question = services.get_question_for_action_or_404(question_id, current_user)
    services.require_handle(current_user, question)
    form = validate(AnswerForm, json_body())
    answer = services.edit_answer(question, form.body.data, actor=_actor())
    body = serialize_answer(answer)
    db.session.commit()
    return jsonify(body)


def _count(question_id, service):
    question = services.get_question_for_reader_or_404(question_id, current_user)
    service(question, actor=_actor())
    body = {"id": question.id, "me_too_count": question.me_too_count, "helpful_count": question.helpful_count}
    db.session.commit()
    return jsonify(body), 201


@bp.post("/questions/<int:question_id>/me-too")
@documented(request=NO_BODY, body_optional=True, response=COUNTS_SCHEMA, status=201, errors=(401, 403, 409))
@permission_required(Permission.WRITE)
@idempotent
def me_too(question_id):
    """同问 (signed in, once per person): 201; a second → 409 ``already_me_too``."""
    return _count(question_id, services.me_too)


@bp.post("/questions/<int:question_id>/helpful")
@documented(request=NO_BODY, body_optional=True, response=COUNTS_SCHEMA, status=201, errors=(401, 403, 409))
@permission_required(Permission.WRITE)
@idempotent
def helpful(question_id):
    """有帮助 on an answered question (signed in, once per person): 201; a second → 409."""
    return _count(question_id, services.mark_helpful)


@bp.post("/questions/<int:question_id>/reroute")
@documented(request=ApiRerouteForm, response=QUESTION_SCHEMA, errors=(401, 403, 409))
@admin_required
def reroute(question_id):
    """Move a question to another department (admin; audited): ``{"department", "reason"}``; the clock restarts."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    form = validate(ApiRerouteForm, json_body())
    services.reroute_question(question, form.selected_department, form.reason.data, actor=_actor())
    body = serialize_question(question, party=True)
    db.session.commit()
    return jsonify(body)


def _department_action(question_id, service):
    question = services.get_question_for_action_or_404(question_id, current_user)
    optional_json_body()
    service(question, actor=_actor())
    body = serialize_question(question, party=True)
    db.session.commit()
    return jsonify(body)


@bp.post("/questions/<int:question_id>/publish")
@documented(request=NO_BODY, body_optional=True, response=QUESTION_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.HANDLE)
def publish(question_id):
    """Publish an answered consultation, masked (its department; 409 ``no_consent`` without the asker's consent)."""
    return _department_action(question_id, services.publish_consultation)


@bp.post("/questions/<int:question_id>/unpublish")
@documented(request=NO_BODY, body_optional=True, response=QUESTION_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.HANDLE)
def unpublish(question_id):
    """Take a published consultation off the board (its department)."""
    return _department_action(question_id, services.unpublish_consultation)


@bp.post("/questions/<int:question_id>/consent")
@documented(request=ConsentForm, response=QUESTION_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.WRITE)
def consent(question_id):
    """The asker's consent to publishing a consultation, masked: ``{"publication_consent": bool}``."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    form = validate(ConsentForm, json_body())
    services.set_publication_consent(question, bool(form.publication_consent.data), actor=_actor())
    body = serialize_question(question, party=True)
    db.session.commit()
    return jsonify(body)


@bp.post("/questions/<int:question_id>/withdraw")
@documented(request=NO_BODY, body_optional=True, response=QUESTION_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.WRITE)
def withdraw(question_id):
    """The asker takes back a question not yet answered."""
    question = services.get_question_for_reader_or_404(question_id, current_user)
    optional_json_body()
    services.withdraw_question(question, actor=_actor())
    body = serialize_question(question, party=True)
    db.session.commit()
    return jsonify(body)


@bp.get("/questions/faq/<code>")
@documented(response=FAQ_SCHEMA)
def department_faq(code):
    """A department's 常见问题, in its order."""
    department = services.department_by_code(code)
    if department is None or not department.is_active:
        raise NotFound()
    return jsonify(department=department.code, items=[
        {**serialize_summary(e.question), "answer": e.question.public_answer} for e in queries.faq_entries(
            department.id)])


@bp.put("/questions/settings/<code>")
@documented(request=ReviewSettingForm, response=SETTING_SCHEMA, errors=(401, 403))
@admin_required
def review_setting(code):
    """Whether a department's answers need review before they are public (admin): ``{"answers_need_review"}``."""
    department = services.department_by_code(code)
    if department is None:
        raise NotFound()
    form = validate(ReviewSettingForm, json_body())
    setting = services.set_answers_need_review(department, bool(form.answers_need_review.data), actor=_actor())
    body = {"department": department.code, "answers_need_review": setting.answers_need_review}
    db.session.commit()
    return jsonify(body)
