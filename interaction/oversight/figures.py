"""Department performance (绩效评估): the figures per department, rolled up the hierarchy, and a ranking.

Every figure is defined once in :data:`FIGURES` (its formula is shown beside it on the page, in the
API's description and on the export's second sheet). Rates are fractions in [0, 1], or None when
there is nothing to count (never 0 for an empty period, never a division error).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from interaction.accounts import queries as accounts_queries
from interaction.core.db import db
from interaction.interviews import queries as interviews_queries
from interaction.oversight import summary
from interaction.polls import queries as polls_queries

#: Departments with fewer letters than this in the period are left out of the ranking (and the page says so).
MIN_RANKED_LETTERS = 5


@dataclass(frozen=True)
class Figure:
    key: str
    label: object
    formula: object  # shown on the page (translated)
    formula_en: str  # the API's description and the export's definitions sheet in English
    kind: str = "count"  # count | rate | days


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _mean(total, n):
    return round(total / n, 2) if n else None


FIGURES: tuple[Figure, ...] = (
    Figure("letters_received", _l("收到来信"), _l("期间内收到的来信件数（含不予受理）。"),
           "letters received in the period (rejected ones included)"),
    Figure("letters_accepted", _l("受理"), _l("收到来信中予以受理的件数（不予受理的除外）。"),
           "letters received in the period and not rejected (valid letters)"),
    Figure("letters_replied", _l("已答复"), _l("受理来信中已答复的件数（再办理中的不计）。"),
           "valid letters that have a reply (a letter being re-handled does not)"),
    Figure("reply_rate", _l("答复率"), _l("已答复 ÷ 受理。"), "letters_replied / letters_accepted", "rate"),
    Figure("on_time_rate", _l("按时答复率"),
           _l("按时答复 ÷（已答复 + 仍未答复且已超期）：仍未答复而已过期限的来信计为超期。"),
           "replied on time / (replied + still open past the deadline): an open letter past its deadline "
           "counts as late", "rate"),
    Figure("avg_reply_workdays", _l("平均答复用时（工作日）"), _l("已答复来信从收到到答复的工作日数之和 ÷ 已答复。"),
           "sum of working days from receipt to reply / letters_replied", "days"),
    Figure("transfers", _l("转办来信"), _l("转办过至少一次、现由本部门办理的来信件数（转办计入接收部门）。"),
           "letters transferred at least once, counted for the department handling them now (the receiving one)"),
    Figure("extensions", _l("延期"), _l("延长过答复期限的来信件数。"), "letters whose reply deadline was extended"),
    Figure("overdue_open", _l("当前超期"), _l("期间内收到、现仍未答复且已过答复期限的来信件数。"),
           "letters received in the period, still open and past their deadline now"),
    Figure("satisfaction_rate", _l("满意率"), _l("总体评价 3 分及以上（满意、基本满意）÷ 已评价。"),
           "ratings of 3 or more (satisfied, fairly satisfied) / rated letters", "rate"),
    Figure("satisfaction_resolution", _l("解决程度满意率"), _l("解决程度 3 分及以上 ÷ 评价了解决程度的来信。"),
           "resolution scores of 3 or more / letters with a resolution score", "rate"),
    Figure("satisfaction_attitude", _l("办理态度满意率"), _l("办理态度 3 分及以上 ÷ 评价了办理态度的来信。"),
           "attitude scores of 3 or more / letters with an attitude score", "rate"),
    Figure("satisfaction_speed", _l("办理速度满意率"), _l("办理速度 3 分及以上 ÷ 评价了办理速度的来信。"),
           "speed scores of 3 or more / letters with a speed score", "rate"),
    Figure("rehandle_rate", _l("再办理率"), _l("申请过再办理的来信 ÷ 受理。"),
           "letters taken back for re-handling / letters_accepted", "rate"),
    Figure("questions_received", _l("收到提问"), _l("期间内提出并经审核通过的提问件数（公众问答与业务咨询）。"),
           "questions and consultations asked in the period and approved"),
    Figure("questions_answered", _l("已回答提问"), _l("其中答复已公开（咨询：已答复提问人）的件数。"),
           "of those, answered (the answer public, or given to the asker of a consultation)"),
    Figure("questions_on_time_rate", _l("提问按时回答率"), _l("按时回答 ÷（已回答 + 仍未回答且已超期）。"),
           "answered on time / (answered + still awaiting the answer past the due date)", "rate"),
    Figure("avg_answer_workdays", _l("平均回答用时（工作日）"), _l("从开始计时到首次回答的工作日数之和 ÷ 已回答。"),
           "sum of working days from the clock's start to the first answer / questions_answered", "days"),
    Figure("interviews_held", _l("举办访谈"), _l("期间内结束的在线访谈场数。"), "live interviews ended in the period"),
    Figure("transcripts_published", _l("公开文字实录"), _l("其中文字实录已公开（至少一条）的场数。"),
           "of those, with a published transcript (at least one line)"),
    Figure("polls_run", _l("开展调查"), _l("期间内开始的民意调查（已撤回的除外）。"),
           "polls opened in the period (withdrawn ones excepted)"),
    Figure("poll_reports_published", _l("公开结果反馈"), _l("其中已公开结果反馈的调查。"),
           "of those, with a published results report"),
)
FIGURE_KEYS = tuple(f.key for f in FIGURES)


def compute(c: Counter) -> dict:
    """The figures of one set of counters (a department, a subtree, the province)."""
    return {
        "letters_received": c["received"], "letters_accepted": c["valid"], "letters_replied": c["replied"],
        "reply_rate": _rate(c["replied"], c["valid"]),
        "on_time_rate": _rate(c["on_time"], c["replied"] + c["overdue_open"]),
        "avg_reply_workdays": _mean(c["reply_workdays"], c["replied"]),
        "transfers": c["transferred"], "extensions": c["extended"], "overdue_open": c["overdue_open"],
        "satisfaction_rate": _rate(c["satisfied"], c["rated"]),
        "satisfaction_resolution": _rate(c["resolution_satisfied"], c["resolution_rated"]),
        "satisfaction_attitude": _rate(c["attitude_satisfied"], c["attitude_rated"]),
        "satisfaction_speed": _rate(c["speed_satisfied"], c["speed_rated"]),
        "rehandle_rate": _rate(c["rehandled"], c["valid"]),
        "questions_received": c["questions"], "questions_answered": c["questions_answered"],
        "questions_on_time_rate": _rate(c["questions_on_time"], c["questions_answered"] + c["questions_overdue_open"]),
        "avg_answer_workdays": _mean(c["question_workdays"], c["questions_answered"]),
        "interviews_held": c["interviews_held"], "transcripts_published": c["transcripts_published"],
        "polls_run": c["polls_run"], "poll_reports_published": c["poll_reports_published"],
    }


@dataclass
class Row:
    department: object  # accounts' Department
    depth: int
    own: dict
    rollup: dict | None  # own + every department below it; None for a department without any below


@dataclass
class Performance:
    first: date
    end: date  # exclusive
    rows: list[Row]
    ranking: list[tuple[int, Row]]
    unranked: list[Row]
    province: dict
    months: list[dict]  # per calendar month (``performance(months=True)``), else empty


def month_cuts(first: date, end: date) -> list[date]:
    """The first days of the months after *first*'s, before *end*: a period cut into calendar months."""
    cuts, month = [], first.replace(day=1)
    while True:
        month = month.replace(year=month.year + (month.month == 12), month=month.month % 12 + 1)
        if month >= end:
            return cuts
        cuts.append(month)


def department_counters(first: date, end: date, *, cuts: list[date] = (),
                        department_id: int | None = None) -> tuple[dict[int, Counter], dict[int, Counter]]:
    """Counters for ``[first, end)``: ``(per department id, per bucket of *cuts*)``.

    Letters and questions in both; interviews and polls per department only.
    """
    counts = summary.period_counts(first, end, cuts=cuts, department_id=department_id)
    by_department: dict[int, Counter] = defaultdict(Counter)
    by_bucket: dict[int, Counter] = defaultdict(Counter)
    for (bucket, owner), c in counts.items():
        by_department[owner].update(c)
        by_bucket[bucket].update(c)
    start, stop = summary.day_start(first), summary.day_start(end)
    for owner, n in interviews_queries.interviews_by_department(start, stop).items():
        by_department[owner]["interviews_held"] += n["held"]
        by_department[owner]["transcripts_published"] += n["transcripts"]
    for owner, n in polls_queries.polls_by_department(start, stop).items():
        by_department[owner]["polls_run"] += n["run"]
        by_department[owner]["poll_reports_published"] += n["reported"]
    return by_department, by_bucket


def performance(first: date, end: date, *, department_id: int | None = None, months: bool = False) -> Performance:
    """Every department's figures for ``[first, end)`` in tree order, with roll-ups and the ranking.

    With *department_id* (a department's staff), only that department's row, and no ranking. With
    *months*, also the figures of each calendar month (the trend chart), from the same reading.
    """
    cuts = month_cuts(first, end) if months else []
    counters, by_bucket = department_counters(first, end, cuts=cuts, department_id=department_id)
    departments = list(db.session.scalars(accounts_queries.query_departments()))
    tree = accounts_queries.department_tree(departments)
    children: dict[int | None, list[int]] = {}
    for d in departments:
        children.setdefault(d.parent_id, []).append(d.id)

    def subtree(dept_id: int, seen: frozenset = frozenset()) -> Counter:
        total = Counter(counters.get(dept_id, Counter()))
        for child in children.get(dept_id, []):
            if child not in seen:
                total.update(subtree(child, seen | {dept_id}))
        return total

    rows = [Row(d, depth, compute(counters.get(d.id, Counter())),
                compute(subtree(d.id)) if children.get(d.id) else None)
            for d, depth in tree if department_id is None or d.id == department_id]
    province = Counter()
    for counts in counters.values():
        province.update(counts)
    ranking, unranked = ([], []) if department_id is not None else rank(rows)
    trend = []
    if months:
        starts = [first, *cuts]
        trend = [{"month": day.strftime("%Y-%m"), **compute(by_bucket.get(n, Counter()))}
                 for n, day in enumerate(starts)]
    return Performance(first, end, rows, ranking, unranked, compute(province), trend)


def _desc(value):
    return -value if value is not None else 1  # None after every rate


def rank(rows: list[Row]) -> tuple[list[tuple[int, Row]], list[Row]]:
    """Departments with at least :data:`MIN_RANKED_LETTERS` letters, by on-time rate, reply rate, satisfaction.

    Returns ``([(position, row)], rows left out for too few letters)``; departments without a letter at
    all are neither ranked nor listed.
    """
    ranked = [r for r in rows if r.own["letters_received"] >= MIN_RANKED_LETTERS]
    unranked = [r for r in rows if 0 < r.own["letters_received"] < MIN_RANKED_LETTERS]
    ranked.sort(key=lambda r: (_desc(r.own["on_time_rate"]), _desc(r.own["reply_rate"]),
                               _desc(r.own["satisfaction_rate"]), r.department.sort_order, r.department.id))
    return [(n, r) for n, r in enumerate(ranked, 1)], unranked


#: The page's tables: a title and the figures it shows (every figure once).
SECTIONS = (
    (_l("来信办理"), ("letters_received", "letters_accepted", "letters_replied", "reply_rate", "on_time_rate",
                   "avg_reply_workdays", "transfers", "extensions", "overdue_open")),
    (_l("满意度与再办理"), ("satisfaction_rate", "satisfaction_resolution", "satisfaction_attitude",
                      "satisfaction_speed", "rehandle_rate")),
    (_l("公众问答与业务咨询"), ("questions_received", "questions_answered", "questions_on_time_rate",
                        "avg_answer_workdays")),
    (_l("在线访谈与民意调查"), ("interviews_held", "transcripts_published", "polls_run", "poll_reports_published")),
)
#: The roll-up table's figures.
ROLLUP_KEYS = ("letters_received", "reply_rate", "on_time_rate", "overdue_open", "satisfaction_rate",
               "questions_answered")
BY_KEY = {f.key: f for f in FIGURES}


def department_choices() -> list[tuple[str, str, int]]:
    """``(code, name, depth)`` of every department in tree order (the page's department filter)."""
    departments = list(db.session.scalars(accounts_queries.query_departments()))
    return [(d.code, d.name, depth) for d, depth in accounts_queries.department_tree(departments)]
