"""Oversight's pages: the supervision board, department performance, the self-check, the public figures.

The board keeps the mailbox's addresses (``/mailbox/supervision``): it is the mailbox's board,
and links and bookmarks to it stay valid. Its letters come from :mod:`interaction.mailbox.queries`.
Performance (``/oversight/performance``, its XLSX and CSV), the self-check (``/oversight/compliance``)
and the public figures (``/oversight/public``) are in :mod:`.pages`, on the same blueprint.
"""

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission, permission_required
from interaction.core import calendar as core_calendar
from interaction.core.time import now_utc, to_local
from interaction.core.pages import render_page
from interaction.mailbox import queries as mailbox_queries
from interaction.qa import queries as qa_queries

bp = Blueprint("oversight", __name__)

PER_PAGE = 20

BOARD_SECTION_TITLES = {"long_unanswered": _l("超过三个月未答复"), "overdue": _l("已超期"),
                        "acceptance_overdue": _l("超过受理期限"), "due_soon": _l("即将到期（2 个工作日内）"),
                        "flagged": _l("转办三次及以上")}


@bp.get("/mailbox/supervision")
@permission_required(Permission.OVERSEE)
def supervision():
    local_now = to_local(now_utc())
    years = [local_now.year, local_now.year + 1] if local_now.month >= 10 else [local_now.year]
    missing = core_calendar.years_without_schedule(years)
    board = mailbox_queries.supervision_board()
    questions = qa_queries.overdue_board()  # 公众问答: questions past their 5 working days, beside the letters
    return render_page("oversight/supervision_board.html", board=board,
                       sections=BOARD_SECTION_TITLES, missing_years=missing, board_rows=mailbox_queries.BOARD_ROWS,
                       questions=questions)


@bp.get("/mailbox/supervision/<section>")
@permission_required(Permission.OVERSEE)
def supervision_section(section):
    """All letters of one section of the board, a page at a time (督办 is on each letter's page)."""
    if section not in mailbox_queries.BOARD_SECTIONS:
        abort(404)
    page = mailbox_queries.board_section_page(section, per_page=PER_PAGE)
    return render_template("oversight/supervision_section.html", page=page, section=section,
                           title=BOARD_SECTION_TITLES[section])
