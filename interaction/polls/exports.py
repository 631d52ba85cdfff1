"""Exports for staff: the results (aggregates) and all answers, as CSV or Excel (openpyxl).

The answers carry no identity: no user, no ballot number, no time (ballot numbers and times
follow the order people voted in, which could be matched with who was seen voting when). One
row per ballot, the rows sorted by their content, so their order says nothing either.
"""

import csv
import io

from flask_babel import gettext as _
from flask_babel import ngettext
from openpyxl import Workbook
from sqlalchemy import select

from interaction.core.db import db
from interaction.polls import queries
from interaction.polls.models import BallotAnswer, Poll, QuestionKind, TextState

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def results_table(poll: Poll) -> list[list]:
    """One row per option (votes, percent of the question's respondents), per rating value, per text question."""
    figures = queries.results(poll, texts=False)
    rows = [[_("调查"), poll.title], [_("答卷数"), figures["ballots"]], [],
            [_("题号"), _("题目"), _("选项"), _("票数"), _("百分比"), _("作答人数")]]
    for number, question in enumerate(figures["questions"], start=1):
        for option in question["options"]:
            rows.append([number, question["prompt"], option["label"], option["votes"], option["percent"],
                         question["respondents"]])
        if question["kind"] == QuestionKind.rating:
            for value, votes in question["ratings"].items():
                points = ngettext("%(n)s 分", "%(n)s 分", int(value), n=value)
                rows.append([number, question["prompt"], points, votes, None, question["respondents"]])
            rows.append([number, question["prompt"], _("平均分"), question["mean"], None, question["respondents"]])
        if question["kind"] == QuestionKind.text:
            rows.append([number, question["prompt"], _("填写人数"), question["answered"], None,
                         question["respondents"]])
    return rows


def answers_table(poll: Poll) -> list[list]:
    """A header of the questions, then one row per ballot: chosen labels (joined by "；"), values, texts.

    Texts are exported whatever their moderation state except rejected ones (staff read what
    citizens wrote; rejected text broke the rules). Rows carry no identity and are sorted.
    """
    labels = {o.id: o.label for q in poll.questions for o in q.options}
    columns = {q.id: i for i, q in enumerate(poll.questions)}
    ballots: dict[int, list] = {}
    rows = db.session.execute(
        select(BallotAnswer.ballot_id, BallotAnswer.question_id, BallotAnswer.option_id, BallotAnswer.value,
               BallotAnswer.text, BallotAnswer.text_state).where(BallotAnswer.poll_id == poll.id)
        .order_by(BallotAnswer.ballot_id, BallotAnswer.question_id, BallotAnswer.id))
    for ballot_id, question_id, option_id, value, text, text_state in rows:
        cells = ballots.setdefault(ballot_id, [[] for _q in poll.questions])
        if option_id is not None:
            cells[columns[question_id]].append(labels.get(option_id, ""))
        elif value is not None:
            cells[columns[question_id]].append(str(value))
        elif text is not None and text_state != TextState.rejected:
            cells[columns[question_id]].append(text)
    body = sorted(["；".join(cell) for cell in cells] for cells in ballots.values())
    return [[q.prompt for q in poll.questions], *body]


def _safe_cell(value):
    """Text a spreadsheet would take for a formula (=, +, -, @ first) is written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(table: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table:
        writer.writerow([_safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(table: list[list], sheet: str = "results") -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in table:
        worksheet.append([_safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
