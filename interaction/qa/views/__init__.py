"""Q&A pages, one blueprint (``qa``, under ``/questions``) in four modules.

* :mod:`.public`: the public board (list, search, detail), similar questions, the departments' FAQ;
* :mod:`.citizens`: asking, "my questions", 同问, 有帮助, withdrawal, consent;
* :mod:`.staff`: the department's queue, the answer page and its actions, FAQ management;
* :mod:`.admin`: rerouting and the answers-need-review setting (administrators).

This module holds the blueprint and what every page shows: the label tables.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from interaction.core.web import translated_labels
from interaction.qa.forms import KIND_LABELS, TOPIC_LABELS
from interaction.qa.models import AnswerState, QuestionKind, QuestionStatus

bp = Blueprint("qa", __name__, url_prefix="/questions")

PER_PAGE = 20

STATUS_LABELS = {
    QuestionStatus.pending.value: _l("待审核"),
    QuestionStatus.rejected.value: _l("未通过审核"),
    QuestionStatus.open.value: _l("待答复"),
    QuestionStatus.reviewing.value: _l("答复审核中"),
    QuestionStatus.answered.value: _l("已答复"),
    QuestionStatus.withdrawn.value: _l("已撤回"),
}

SHORT_KIND_LABELS = {QuestionKind.question.value: _l("公众问答"), QuestionKind.consultation.value: _l("业务咨询")}

ANSWER_STATE_LABELS = {AnswerState.pending.value: _l("待审核"), AnswerState.approved.value: _l("已公开"),
                       AnswerState.rejected.value: _l("未通过审核")}

ORDER_LABELS = {"newest": _l("最新"), "most_asked": _l("同问最多"), "most_helpful": _l("最有帮助")}

STATE_LABELS = {"answered": _l("已答复"), "waiting": _l("待答复")}

LABELS_KEY = "interaction.qa_labels"


@bp.context_processor
def _labels():
    return translated_labels(LABELS_KEY, {
        "status_labels": STATUS_LABELS, "kind_labels": SHORT_KIND_LABELS, "topic_labels": TOPIC_LABELS,
        "answer_state_labels": ANSWER_STATE_LABELS, "order_labels": ORDER_LABELS, "state_labels": STATE_LABELS,
        "ask_kind_labels": KIND_LABELS})


# The routes register themselves on ``bp`` when their modules are imported.
from interaction.qa.views import admin, citizens, public, staff  # noqa: E402,F401
