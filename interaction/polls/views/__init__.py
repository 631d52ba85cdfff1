"""Poll pages, one blueprint (``polls``) in two modules.

* :mod:`.public`: the list, a poll's page (vote, "you voted" with one's own answers), its results
  with charts, table and report;
* :mod:`.staff`: the department's polls, the draft and its questions, preview, publish, close,
  report, exports; withdrawal (moderators, administrators).
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from interaction.core.time import to_local
from interaction.core.web import translated_labels
from interaction.polls.models import PollStatus, ResultsVisibility

bp = Blueprint("polls", __name__, url_prefix="/polls")

PER_PAGE = 20

STATUS_LABELS = {
    PollStatus.draft.value: _l("草稿"),
    PollStatus.scheduled.value: _l("未开始"),
    PollStatus.open.value: _l("进行中"),
    PollStatus.closed.value: _l("已结束"),
    PollStatus.withdrawn.value: _l("已撤下"),
}
VISIBILITY_LABELS = {
    ResultsVisibility.after_close.value: _l("调查结束后公布结果"),
    ResultsVisibility.live.value: _l("实时公布结果"),
    ResultsVisibility.staff.value: _l("结果仅供工作人员查看"),
}


@bp.app_template_filter("poll_time")
def _poll_time(dt) -> str:
    """``2026-11-02 10:00`` in Beijing time."""
    return to_local(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


LABELS_KEY = "interaction.polls_labels"


@bp.context_processor
def _labels():
    return translated_labels(LABELS_KEY, {"poll_status_labels": STATUS_LABELS,
                                          "poll_visibility_labels": VISIBILITY_LABELS})


# The routes register themselves on ``bp`` when their modules are imported.
from interaction.polls.views import public, staff  # noqa: E402,F401
