"""Leader mailbox pages, one blueprint (``mailbox``) in three modules.

* :mod:`.citizens`: writing, tracking, rating and "my letters" (the writer), the published letters (everyone);
* :mod:`.staff`: the inbox, the letter page and its actions, registering a letter, 督办;
* :mod:`.admin`: the mailboxes (administrators).

The supervision board is oversight's (``interaction.oversight``), the working-day calendar's page
the calendar's (``interaction.calendar``). This module holds the blueprint and what every page
shows: the label tables and the date filter.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from interaction.core.time import to_local
from interaction.core.web import translated_labels
from interaction.mailbox.forms import CATEGORY_LABELS, LETTER_CHANNEL_LABELS
from interaction.mailbox.models import OPEN_STATES, LetterState
from interaction.mailbox.queries.public import satisfaction

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")

PER_PAGE = 20

STATUS_LABELS = {
    LetterState.submitted.value: _l("待受理"),
    LetterState.accepted.value: _l("已受理"),
    LetterState.assigned.value: _l("办理中"),
    LetterState.replied.value: _l("已答复"),
    LetterState.rated.value: _l("已评价"),
    LetterState.closed.value: _l("已办结"),
    LetterState.rejected.value: _l("不予受理"),
}

EVENT_LABELS = {
    "submitted": _l("来信已收到"),
    "registered": _l("来信已登记"),
    "accepted": _l("已受理"),
    "rejected": _l("不予受理"),
    "assigned": _l("已交办"),
    "transferred": _l("已转办"),
    "extended": _l("已延期"),
    "replied": _l("已答复"),
    "rated": _l("已评价"),
    "rehandle": _l("申请再办理"),
    "supervised": _l("已督办"),
    "closed": _l("已办结"),
    "published": _l("已公开"),
    "handed_over": _l("由在线访谈转来"),
    "rescheduled": _l("答复期限已调整"),
}

DUE_LABELS = {"soon": _l("即将到期"), "overdue": _l("已超期")}

#: The public's view of a rating (queries.public.satisfaction).
SATISFACTION_LABELS = {"satisfied": _l("满意"), "basic": _l("基本满意"), "unsatisfied": _l("不满意")}


@bp.app_template_filter("mailbox_date")
def _mailbox_date(dt) -> str:
    """``2026-11-02`` in Shanghai: the date of list rows, without Babel's datetimeformat (costly per call)."""
    return to_local(dt).strftime("%Y-%m-%d") if dt else ""


LABELS_KEY = "interaction.mailbox_labels"


@bp.context_processor
def _labels():
    return dict(translated_labels(LABELS_KEY, {
        "status_labels": STATUS_LABELS, "event_labels": EVENT_LABELS, "category_labels": CATEGORY_LABELS,
        "channel_labels": LETTER_CHANNEL_LABELS, "due_labels": DUE_LABELS, "satisfaction_labels": SATISFACTION_LABELS,
    }), open_states=OPEN_STATES, satisfaction=satisfaction)


# The routes register themselves on ``bp`` when their modules are imported (flasky's pattern).
from interaction.mailbox.views import admin, citizens, staff  # noqa: E402,F401
