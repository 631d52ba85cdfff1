"""``GET /api/v1/search`` (API.md "Public Q&A and consultation"), mounted under ``/api/v1`` by ``interaction.api``."""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from interaction.core import search
from interaction.core.api import page_args
from interaction.core.apidoc import BOOLEAN, DATETIME, INTEGER, STRING, documented, obj, page_of, query_choice
from interaction.core.errors import ValidationFailed
from interaction.search.forms import SearchForm

bp = Blueprint("search", __name__)

HIT_SCHEMA = obj({"type": STRING, "id": INTEGER, "number": STRING, "title": STRING, "snippet": STRING,
                  "url": STRING, "published_at": DATETIME}, optional=("id", "number"))
RESULTS_SCHEMA = {**page_of(HIT_SCHEMA)}
RESULTS_SCHEMA["properties"] = {**RESULTS_SCHEMA["properties"], "total_is_capped": BOOLEAN}


def serialize_hit(hit: search.Hit) -> dict:
    """A hit as the contract has it: a letter by its ``number``, the others by their integer ``id``."""
    item = {"type": hit.type, "title": hit.title, "snippet": str(hit.snippet_html), "url": hit.url,
            "published_at": hit.published_at.isoformat()}
    if hit.type == "letter":
        item["number"] = hit.key
    else:
        item["id"] = int(hit.key) if hit.key.isdigit() else hit.key
    return item


@bp.get("/search")
@documented(response=RESULTS_SCHEMA, query={"q": STRING, "type": query_choice(search.TYPES),
                                            "page": INTEGER, "per_page": INTEGER})
def search_published():
    """Published items of every channel, ranked; ``snippet`` marks matched words with ``<mark>`` only.

    An empty ``q`` gives no items; a ``q`` past the length limit or an unknown ``type`` → 422.
    """
    form = SearchForm(request.args)
    if not form.validate():
        raise ValidationFailed({name: errors[0] for name, errors in form.errors.items()})
    page, per_page = page_args()
    q = (form.q.data or "").strip()
    if not q:
        return jsonify(items=[], page=page, per_page=per_page, total=0, total_is_capped=False)
    if page * per_page > search.MAX_TOTAL + per_page:
        raise ValidationFailed({"page": _("只能查看前 %(n)d 条结果，请缩小查询范围。", n=search.MAX_TOTAL)})
    results = search.search(q, types=form.types(), page=page, per_page=per_page)
    return jsonify(items=[serialize_hit(hit) for hit in results.items], page=page, per_page=per_page,
                   total=results.total, total_is_capped=results.total_is_capped)
