"""Moderation API (routes relative to ``/api/v1``): the queue, decisions, the word lists, my submissions."""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.api import json_body, optional_list, paginated, require_str, validate
from interaction.core.db import MAX_ID, db
from interaction.core.errors import NotFound, ValidationFailed
from interaction.core.time import isoformat
from interaction.core.apidoc import (BOOLEAN, DATETIME, INTEGER, STRING, documented, form_schema, nullable, obj,
                                     page_of, query_choice)
from interaction.moderation import queries, services
from interaction.moderation.forms import DecisionForm
from interaction.moderation.models import CaseState, ModerationCase, SensitiveWord, Verdict, WordList
from interaction.moderation.registry import describe, kinds

bp = Blueprint("moderation", __name__)

STATES = {s.value for s in CaseState}

# -- what the OpenAPI document says (interaction.api.openapi) --------------------------------------------------
_VERDICT = {"type": "string", "enum": [v.value for v in Verdict]}
#: The decision body: DecisionForm's fields, its verdict checked in ``validate_verdict`` (hence the enum here).
DECISION_REQUEST = form_schema(DecisionForm, verdict=_VERDICT)
DECISION_REQUEST["required"] = ["verdict"]
CASE_SCHEMA = obj({"id": INTEGER, "kind": STRING, "kind_label": STRING, "target_id": STRING,
                   "target": nullable({"type": "object"}), "state": STRING, "screening": {"type": "object"},
                   "is_automatic": BOOLEAN, "author_id": nullable(INTEGER), "created_at": DATETIME,
                   "decided_at": nullable(DATETIME), "decided_by_id": nullable(INTEGER), "reason": nullable(STRING)})
OWN_CASE_SCHEMA = obj({"id": INTEGER, "kind": STRING, "kind_label": STRING, "target": nullable({"type": "object"}),
                       "state": STRING, "created_at": DATETIME, "decided_at": nullable(DATETIME),
                       "reason": nullable(STRING)})
WORD_SCHEMA = obj({"id": INTEGER, "word": STRING, "list": STRING, "created_at": DATETIME,
                   "created_by_id": nullable(INTEGER)})
_LIST = {"type": "string", "enum": [w.value for w in WordList]}
_WORD = {"type": "string", "maxLength": services.MAX_WORD, "pattern": r"\S"}
PAGE_QUERY = {"page": {"type": "integer"}, "per_page": {"type": "integer"}}


def serialize_case(case: ModerationCase) -> dict:
    """A case as the contract shows it (``target`` is what the kind describes, or null)."""
    kind = kinds().get(case.kind)
    return {
        "id": case.id,
        "kind": case.kind,
        "kind_label": str(kind.label) if kind else case.kind,
        "target_id": case.target_id,
        "target": describe(case.kind, case.target_id),
        "state": case.state,
        "screening": case.screening or {},
        "is_automatic": case.is_automatic,
        "author_id": case.author_id,
        "created_at": isoformat(case.created_dt),
        "decided_at": isoformat(case.decided_dt),
        "decided_by_id": case.decided_by_id,
        "reason": case.reason,
    }


def serialize_own_case(case: ModerationCase) -> dict:
    """A case as its author sees it: the outcome and the reason, not the screening internals."""
    kind = kinds().get(case.kind)
    return {"id": case.id, "kind": case.kind, "kind_label": str(kind.label) if kind else case.kind,
            "target": describe(case.kind, case.target_id), "state": case.state,
            "created_at": isoformat(case.created_dt), "decided_at": isoformat(case.decided_dt),
            "reason": case.reason}


def serialize_word(entry: SensitiveWord) -> dict:
    return {"id": entry.id, "word": entry.word, "list": entry.list, "created_at": isoformat(entry.created_dt),
            "created_by_id": entry.created_by_id}


@bp.get("/moderation/cases")
@documented(response=page_of(CASE_SCHEMA), errors=(401, 403),
            query={"state": query_choice([*STATES, "all"]), "kind": STRING, **PAGE_QUERY})
@permission_required(Permission.MODERATE)
def list_cases():
    """The moderation queue, oldest first (moderators).

    ``?state=pending|approved|rejected`` (absent or ``all``: every state), ``?kind=``, ``?page=``, ``?per_page=``.
    """
    state = request.args.get("state") or None
    if state == "all":
        state = None
    if state is not None and state not in STATES:
        raise ValidationFailed({"state": _("状态无效。")})
    return paginated(queries.query_cases(state=state, kind=request.args.get("kind") or None), serialize_case)


@bp.get("/moderation/cases/<int:case_id>")
@documented(response=CASE_SCHEMA, errors=(401, 403))
@permission_required(Permission.MODERATE)
def get_case(case_id: int):
    """One case (moderators)."""
    return jsonify(serialize_case(services.get_case_or_404(case_id)))


@bp.post("/moderation/cases/<int:case_id>/decision")
@documented(request=DECISION_REQUEST, response=CASE_SCHEMA, errors=(401, 403, 409))
@permission_required(Permission.MODERATE)
def decide_case(case_id: int):
    """Decide a case (moderators).

    ``{"verdict": "approve|reject", "reason"?}`` → 200 with the case; a rejection needs a reason (422),
    an unknown verdict is 422, a case decided already is 409.
    """
    case = services.get_case_or_404(case_id)
    form = validate(DecisionForm, json_body())
    services.decide_case(case, form.verdict.data, reason=form.reason.data, actor=current_user)
    db.session.commit()
    return jsonify(serialize_case(case))


@bp.post("/moderation/cases/decision")
@documented(request={**DECISION_REQUEST, "required": ["ids", "verdict"], "properties": {
    **DECISION_REQUEST["properties"],
    "ids": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}}},
    response=obj({"decided": {"type": "array", "items": INTEGER}, "skipped": {"type": "array", "items": INTEGER}}),
    errors=(401, 403, 404))
@permission_required(Permission.MODERATE)
def decide_cases():
    """Decide several cases the same way (moderators).

    ``{"ids": [..], "verdict", "reason"?}`` → ``{"decided": [ids], "skipped": [ids already decided]}``.
    """
    payload = json_body()
    ids = optional_list(payload, "ids", "integer")
    if not ids or not all(1 <= i <= MAX_ID for i in ids):
        raise ValidationFailed({"ids": _("请提供审核项编号的列表。")})
    form = validate(DecisionForm, payload)
    cases = db.session.scalars(db.select(ModerationCase).where(ModerationCase.id.in_(ids))
                               .order_by(ModerationCase.id)).all()
    if len(cases) != len(set(ids)):
        raise NotFound()
    decided, skipped = services.decide_cases(cases, form.verdict.data, form.reason.data, actor=current_user)
    db.session.commit()
    return jsonify(decided=[c.id for c in decided], skipped=[c.id for c in skipped])


@bp.get("/moderation/mine")
@documented(response=page_of(OWN_CASE_SCHEMA), errors=(401,), query=PAGE_QUERY)
@login_required
def my_cases():
    """The signed-in user's own submissions, with outcome and rejection reason, newest first."""
    return paginated(queries.query_cases_by_author(current_user.id), serialize_own_case)


@bp.get("/moderation/words")
@documented(response=page_of(WORD_SCHEMA), errors=(401, 403),
            query={"list": query_choice(w.value for w in WordList), **PAGE_QUERY})
@permission_required(Permission.ADMIN)
def list_words():
    """The sensitive-word lists (administrators).

    ``?list=block|review``; ordered by list, then word.
    """
    list_name = request.args.get("list") or None
    if list_name is not None and list_name not in {w.value for w in WordList}:
        raise ValidationFailed({"list": _("请选择禁止词或审核词。")})
    return paginated(queries.query_words(list_name), serialize_word)


@bp.post("/moderation/words")
@documented(request={"oneOf": [
    {"type": "object", "required": ["list", "word"], "properties": {"list": _LIST, "word": _WORD},
     "not": {"required": ["words"]}},
    # A pasted list: each item split into lines; empty lines are ignored, too long or known words skipped.
    {"type": "object", "required": ["list", "words"], "properties": {
        "list": _LIST, "words": {"type": "array", "items": STRING}}}]},
    response={"anyOf": [WORD_SCHEMA, obj({"added": {"type": "array", "items": WORD_SCHEMA},
                                          "skipped": {"type": "array", "items": STRING}})]},
    status=201, errors=(401, 403, 409))
@permission_required(Permission.ADMIN)
def add_words():
    """Add sensitive words (administrators).

    ``{"word", "list": "block|review"}`` → 201 with the word (409 if already on that list; a word
    on the other list moves); ``{"words": [..], "list"}`` → 201 ``{"added": [...], "skipped": [...]}``.
    """
    payload = json_body()
    list_name = require_str(payload, "list", message=_("请选择禁止词或审核词。"))
    if "words" in payload:
        words = optional_list(payload, "words")
        if words is None:
            raise ValidationFailed({"words": _("请提供词语的列表。")})
        added, skipped = services.add_sensitive_words("\n".join(words), list_name, actor=current_user)
        db.session.commit()
        return jsonify(added=[serialize_word(w) for w in added], skipped=skipped), 201
    word = require_str(payload, "word", message=_("请填写词语。"))
    entry = services.add_sensitive_word(word, list_name, actor=current_user)
    db.session.commit()
    return jsonify(serialize_word(entry)), 201


@bp.delete("/moderation/words/<int:word_id>")
@documented(status=204, errors=(401, 403))
@permission_required(Permission.ADMIN)
def remove_word(word_id: int):
    """Remove a sensitive word (administrators) → 204."""
    entry = db.session.get(SensitiveWord, word_id)
    if entry is None:
        raise NotFound()
    services.remove_sensitive_word(entry, actor=current_user)
    db.session.commit()
    return "", 204
