"""Reads of the leader mailbox: ``select()`` builders and the statistics oversight reuses.

The inbox, the supervision board, the public list and its search, and the figures that the
public strip and oversight share.

Every list is shaped for an index (see ``Letter.__table_args__``) so that it costs the same with
10,000 letters as with 1,000,000:

* staff inbox: ``department_id = ? AND status IN (open) ORDER BY due_dt`` on
  ``(department_id, status, due_dt)``; "all states" on ``(department_id, due_dt)``;
* supervision board: one partial index per section (see :func:`board_section`), 10 rows each plus
  a count; the rest on the section's own paginated page;
* public list: ``is_published ORDER BY replied_dt DESC`` on ``(is_published, replied_dt)``.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime
from operator import attrgetter

from flask import current_app
from sqlalchemy import Select, and_, bindparam, case, func, literal, literal_column, or_, select, true, union_all
from sqlalchemy.orm import aliased

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.core import pagination
from interaction.core.time import now_utc, to_local
from interaction.mailbox.models import (TRANSFER_FLAG, Letter, LetterEvent, LetterState, Mailbox, MailboxSnapshot,
                                        due_soon_limit, long_unanswered_limit, open_clause, start_of_local_day)

DUE_FILTERS = ("soon", "overdue")
SEARCH_MAX_LENGTH = 50


def active_mailboxes() -> Select:
    return select(Mailbox).where(Mailbox.is_active.is_(True)).order_by(Mailbox.sort_order, Mailbox.id)


_ACTIVE_MAILBOX = select(Mailbox).where(Mailbox.code == bindparam("code"), Mailbox.is_active.is_(True))


def active_mailbox(code: str) -> Mailbox | None:
    """The active mailbox *code* with its department (joined: every letter sent through the API names its mailbox)."""
    return db.session.scalar(_ACTIVE_MAILBOX, {"code": code})


def query_letters(*, department_id: int | None = None, status: str | None = None, category: str | None = None,
                  due: str | None = None, open_only: bool = False) -> Select:
    """Letters by deadline (soonest first), filtered.

    Optionally of one department, state, category, or only those due soon / overdue
    (``due`` = "soon" | "overdue").
    """
    stmt = select(Letter)
    if department_id is not None:
        stmt = stmt.where(Letter.department_id == department_id)
    if status:
        stmt = stmt.where(Letter.status == status)
    elif open_only or due:
        stmt = stmt.where(open_clause())
    if category:
        stmt = stmt.where(Letter.category == category)
    if due == "overdue":
        stmt = stmt.where(Letter.due_dt < now_utc())
    elif due == "soon":
        now = now_utc()
        stmt = stmt.where(Letter.due_dt >= now, Letter.due_dt <= due_soon_limit(now))
    return stmt.order_by(Letter.due_dt, Letter.id)


_NO_DEPARTMENT = object()


def _inbox_scope(user):
    """The department whose letters *user* handles.

    None for administrators (every department), else their department, or ``_NO_DEPARTMENT`` for
    staff without one (they see nothing).
    """
    if user.is_admin:
        return None
    return user.department_id if user.department_id is not None else _NO_DEPARTMENT


def query_inbox(user, **filters) -> Select:
    """The letters *user* handles: their department's (administrators: every department's)."""
    scope = _inbox_scope(user)
    if scope is _NO_DEPARTMENT:
        return select(Letter).where(Letter.id.is_(None))
    return query_letters(department_id=scope, **filters)


#: The totals of the lists staff open all day (the inbox, the supervision board's sections) are counted up to
#: this ("200+" past it): each count scans up to that many index entries on every request, which at a
#: million letters was most of the board's database time with a higher cap (figures: bench/README.md).
#: A section's own page and the public search count up to ``pagination.COUNT_CAP``.
STAFF_COUNT_CAP = 200


def inbox_page(user, *, per_page: int, status: str | None = None, category: str | None = None,
               due: str | None = None, open_only: bool = False) -> pagination.CappedPage:
    """The request's page of the letters *user* handles, as :func:`list_rows`, with the total up to the cap.

    The default view (open letters, no other filter) is the one staff open all day: its window is
    built once per department and runs at the driver (``core.pagination.PageWindow``). The other
    views are built when asked (those with a deadline filter depend on the moment).
    """
    scope = _inbox_scope(user)
    if status or category or due or not open_only or scope is _NO_DEPARTMENT:
        stmt = list_rows(query_inbox(user, status=status, category=category, due=due, open_only=open_only))
        return pagination.paginate_capped(stmt, Letter.id, per_page=per_page, rows=True, cap=STAFF_COUNT_CAP)
    return _open_inbox_window(scope).page(per_page=per_page, cap=STAFF_COUNT_CAP)


@functools.cache
def _open_inbox_window(department_id: int | None) -> pagination.PageWindow:
    return pagination.PageWindow(list_rows(query_letters(department_id=department_id, open_only=True)), Letter.id)


def query_author_letters(user_id: int) -> Select:
    return select(Letter).where(Letter.author_id == user_id).order_by(Letter.received_dt.desc())


#: The board's sections, top to bottom.
BOARD_SECTIONS = ("long_unanswered", "overdue", "acceptance_overdue", "due_soon", "flagged")
#: Rows per section on the board: the most urgent; all of them are on the section's own (paginated) page.
#: Ten keeps the five sections one screen each on a phone and the board's query at half the rows it
#: read with twenty, the database time of a board growing with its rows (figures: bench/README.md).
BOARD_ROWS = 10


def board_section(section: str, now: datetime | None = None) -> Select:
    """The letters of one section of the supervision board, in the order of its index.

    * ``long_unanswered``: open, received before the three-months line, on ``ix_letters_open_received``;
    * ``overdue``: open past the deadline (not those already in ``long_unanswered``), ``ix_letters_open_due_received``;
    * ``acceptance_overdue``: submitted and past the acceptance deadline, ``ix_letters_submitted_accept_due``;
    * ``due_soon``: open, due within 2 working days, ``ix_letters_open_due``;
    * ``flagged``: open and transferred three times or more, ``ix_letters_open_flagged_due``.
    """
    if section not in BOARD_SECTIONS:
        raise KeyError(section)
    now = now or now_utc()
    return _section(section, now, long_unanswered_limit(now), due_soon_limit(now))


#: Each section's index (see :func:`board_section`), named to SQLite (``INDEXED BY``): its planner chose
#: from the statistics of the last ``ANALYZE`` and, after one, scanned every open letter for the flagged
#: section instead of reading its small partial index. PostgreSQL's plans use these indexes by themselves.
SECTION_INDEXES = {"long_unanswered": "ix_letters_open_received", "overdue": "ix_letters_open_due_received",
                   "acceptance_overdue": "ix_letters_submitted_accept_due", "due_soon": "ix_letters_open_due",
                   "flagged": "ix_letters_open_flagged_due"}
#: The index each section's capped count reads on SQLite (an index holding every column it tests: no table reads).
COUNT_INDEXES = dict(SECTION_INDEXES, due_soon="ix_letters_open_due_received")


def _on_index(stmt: Select, index: str) -> Select:
    return stmt.with_hint(Letter, f"INDEXED BY {index}", "sqlite")


def _section(section: str, now, long_limit, soon_limit) -> Select:
    """:func:`board_section` with its moments given: values, or bound parameters (see :func:`_board_statement`)."""
    return _on_index(_section_rows(section, now, long_limit, soon_limit), SECTION_INDEXES[section])


#: Each section's order, its index's (see :func:`board_section`): its statement's ``ORDER BY``, and how the
#: rows of the board's one query are put back in order.
BOARD_ORDER = {"long_unanswered": ("received_dt", "id"), "overdue": ("due_dt", "received_dt", "id"),
               "acceptance_overdue": ("accept_due_dt", "id"), "due_soon": ("due_dt", "id"), "flagged": ("due_dt", "id")}


def _section_rows(section: str, now, long_limit, soon_limit) -> Select:
    return _section_filter(section, now, long_limit, soon_limit).order_by(
        *(getattr(Letter, column) for column in BOARD_ORDER[section]))


def _section_filter(section: str, now, long_limit, soon_limit) -> Select:
    if section == "long_unanswered":
        return select(Letter).where(open_clause(), Letter.received_dt < long_limit)
    if section == "overdue":
        # "due_dt >= long_limit" adds nothing (a deadline always comes after its letter's receipt) but
        # lets the index scan start there instead of stepping over every letter past the three-months
        # line, whose deadlines are older: without it the section slows down as the archive grows.
        # Ordered as its index, (due_dt, received_dt, id): the letters of the first deadlines past the
        # line, received before it (in long_unanswered), are stepped over in the index, not read from
        # the table, which grows with the archive. Same deadline: older letter first.
        return select(Letter).where(open_clause(), Letter.due_dt < now, Letter.due_dt >= long_limit,
                                    Letter.received_dt >= long_limit)
    if section == "acceptance_overdue":
        return select(Letter).where(Letter.status == literal_column(f"'{LetterState.submitted.value}'"),
                                    Letter.accept_due_dt < now)
    if section == "due_soon":
        return select(Letter).where(open_clause(), Letter.due_dt >= now, Letter.due_dt <= soon_limit)
    return select(Letter).where(open_clause(), Letter.transfer_count >= literal_column(str(TRANSFER_FLAG)))


def list_rows(stmt: Select) -> Select:
    """*stmt* (a :func:`query_letters` / :func:`query_inbox`) as plain rows of what the inbox's table shows.

    The rows (with ``department_name``) have the attributes of the same names as ``Letter``'s; a list
    page does not need ``Letter`` objects with their texts, mailbox and departments.
    """
    return _with_department_name(stmt, Letter.id, Letter.number, Letter.subject, Letter.category, Letter.status,
                                 Letter.department_id, Letter.received_dt, Letter.due_dt, Letter.transfer_count)


def _with_department_name(stmt: Select, *columns) -> Select:
    """*stmt* selecting only *columns* and its letters' department name (``department_name``)."""
    return (stmt.with_only_columns(*columns, Department.name.label("department_name"))
            .join(Department, Department.id == Letter.department_id))


#: What a board row shows (``templates/mailbox/_board.html``) and its sections' orders.
BOARD_COLUMNS = (Letter.id, Letter.number, Letter.subject, Letter.received_dt, Letter.due_dt, Letter.accept_due_dt,
                 Letter.supervised_dt)


def board_rows(stmt: Select) -> Select:
    """*stmt* (a :func:`board_section`) as plain rows of what the board's table shows.

    A board lists a hundred letters: rows of what its table shows (``templates/mailbox/_board.html``,
    with ``department_name``) and the sections' orders cost a fraction of loading ``Letter``
    objects. The rows have the attributes of the same names.
    """
    return _with_department_name(stmt, *BOARD_COLUMNS)


def board_section_page(section: str, *, per_page: int) -> pagination.CappedPage:
    """The request's page of one section of the board (its own page, "查看全部"), as :func:`board_rows`."""
    return pagination.paginate_capped(board_rows(board_section(section)), Letter.id, per_page=per_page, rows=True,
                                      count_in_order=section in COUNT_IN_ORDER)


#: Sections whose capped count keeps the section's order: without it SQLite counts the few flagged
#: letters by scanning every open letter through the status index instead of the flagged partial
#: index; PostgreSQL plans both alike. Ordering the others' counts makes them slower (bench/mailbox.py;
#: EXPLAIN on both databases; figures in bench/README.md).
COUNT_IN_ORDER = frozenset({"flagged"})

@functools.cache
def _board_statement(limit: int, cap: int) -> Select:
    """The board's one query, built once per process with its moments as bound parameters.

    Building this ``UNION ALL`` of ten selects costs more than running it: built once, SQLAlchemy
    finds its compiled form at once. The departments' names are joined once to the hundred rows of
    the union, not in each section (five joins cost PostgreSQL a fifth of the query).
    """
    moment = Letter.due_dt.type
    now, long_limit, soon_limit = (bindparam("board_now", type_=moment), bindparam("board_long", type_=moment),
                                   bindparam("board_soon", type_=moment))
    branches = []
    for section in BOARD_SECTIONS:
        rows = _section(section, now, long_limit, soon_limit)
        count = pagination.capped_count_column(_on_index(rows, COUNT_INDEXES[section]), Letter.id, cap,
                                               keep_order=section in COUNT_IN_ORDER)
        branches.append(rows.with_only_columns(*BOARD_COLUMNS, Letter.department_id, literal(section).label("section"),
                                               count).limit(limit).subquery().select())
    board = union_all(*branches).subquery("board")
    return (select(*(board.c[column.key] for column in BOARD_COLUMNS), board.c.section,
                   board.c.capped_total, Department.name.label("department_name"))
            .join(Department, Department.id == board.c.department_id))


def supervision_board(limit: int = BOARD_ROWS, cap: int | None = None) -> dict[str, dict]:
    """The administrators' board of letters across all departments.

    Per section, the first *limit* letters (``letters``: rows, see :func:`board_rows`) and how many
    there are (``total``, counted up to *cap*, default
    :data:`STAFF_COUNT_CAP`: ``capped`` is True past it and the total reads "200+"); see
    :func:`board_section`. Letters past the three-months line (red, at the top), overdue, not
    accepted in time, due soon, and transferred three times or more.

    One query whatever the size: ``UNION ALL`` of one indexed ``LIMIT`` query per section, each row
    carrying its section's capped count (a subquery computed once per section). The rows are put
    back in their section's order here.
    """
    cap = STAFF_COUNT_CAP if cap is None else cap
    now = now_utc()
    fetched = db.session.execute(_board_statement(limit, cap), {
        "board_now": now, "board_long": long_unanswered_limit(now), "board_soon": due_soon_limit(now)})
    grouped: dict[str, list] = {section: [] for section in BOARD_SECTIONS}
    for row in fetched:
        grouped[row.section].append(row)
    board = {}
    for section, rows in grouped.items():
        rows.sort(key=attrgetter(*BOARD_ORDER[section]))
        n = rows[0].capped_total if rows else 0
        board[section] = {"letters": rows, "total": min(n, cap), "capped": n > cap}
    return board


#: The replying department of a public row (made once: an alias is costly to make and adapt per request).
_REPLY_DEPARTMENT = aliased(Department, name="reply_department")


def public_rows(stmt: Select) -> Select:
    """*stmt* (a :func:`query_published`) as plain rows of what the public list shows.

    The masked texts (for :func:`search_snippet`), dates, category, and ``department_name``: the
    replying department's, else the handling one's.
    """
    return (stmt.with_only_columns(Letter.id, Letter.number, Letter.category, Letter.received_dt, Letter.accepted_dt,
                                   Letter.replied_dt, Letter.published_subject, Letter.published_body,
                                   Letter.published_reply,
                                   func.coalesce(_REPLY_DEPARTMENT.name, Department.name).label("department_name"))
            .join(Department, Department.id == Letter.department_id)
            .outerjoin(_REPLY_DEPARTMENT, _REPLY_DEPARTMENT.id == Letter.reply_department_id))


def public_page(q: str | None, category: str | None, *, per_page: int, total: int) -> pagination.CappedPage:
    """The request's page of :func:`public_rows` of :func:`query_published`.

    A search has its total counted up to the cap. The plain list (no search, no category) is what
    nearly every visitor opens: its *total* is the kept figure, so it stays as fast with a large
    archive, and its window is built once and runs at the driver (``core.pagination.PageWindow``).
    """
    if q or category:
        return pagination.paginate_capped(public_rows(query_published(q, category)), Letter.id, per_page=per_page,
                                          rows=True)
    return _plain_public_window().page(per_page=per_page, total=total)


@functools.cache
def _plain_public_window() -> pagination.PageWindow:
    return pagination.PageWindow(public_rows(query_published()), Letter.id, counted=False)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_published(q: str | None = None, category: str | None = None) -> Select:
    """Published letters, newest reply first; *q* searches the MASKED subject, letter and reply.

    The one search function of the mailbox: a full-text index (core/search.py) will replace the
    LIKE here. Until then the public list itself is indexed and the search scans only published
    letters, matching every space-separated word.
    """
    # "= true", not "IS true": PostgreSQL can use the (is_published, replied_dt) index only for the former.
    stmt = select(Letter).where(Letter.is_published == true())
    if category:
        stmt = stmt.where(Letter.category == category)
    for word in (q or "").split()[:5]:
        pattern = f"%{_escape_like(word[:SEARCH_MAX_LENGTH])}%"
        stmt = stmt.where(or_(Letter.published_subject.like(pattern, escape="\\"),
                              Letter.published_body.like(pattern, escape="\\"),
                              Letter.published_reply.like(pattern, escape="\\")))
    return stmt.order_by(Letter.replied_dt.desc(), Letter.id.desc())


def _cache_seconds() -> int:
    """0 (tests): the public figures are computed on each call; otherwise they come from the snapshot."""
    return current_app.config.get("MAILBOX_STATS_CACHE_SECONDS", 0 if current_app.testing else 60)


def count_published() -> int:
    """How many letters are published (from the snapshot: see :func:`public_figures`).

    The public list's plain pages need a total; counting hundreds of thousands of index entries on
    every request would make the page slower as the archive grows.
    """
    return public_figures()["published"]


def search_snippet(letter: Letter, q: str | None, width: int = 80) -> str:
    """A piece of the masked text around the first search word (or the start of the letter)."""
    text = letter.published_body or ""
    words = (q or "").split()
    for source in (letter.published_body or "", letter.published_reply or ""):
        for word in words:
            at = source.find(word)
            if at >= 0:
                start = max(0, at - width // 3)
                return ("…" if start else "") + source[start:start + width] + \
                    ("…" if start + width < len(source) else "")
    return text[:width] + ("…" if len(text) > width else "")


def public_events(letter: Letter) -> list[LetterEvent]:
    """The timeline as the writer and the public may see it (internal notes dropped, no staff names)."""
    return [event for event in letter.events if not (event.is_internal and event.action != "supervised")]


# -- statistics -------------------------------------------------------------------------------------

def letter_statistics(start: datetime | None = None, end: datetime | None = None,
                      department_id: int | None = None) -> dict:
    """Figures over letters received in ``[start, end)`` (optionally of one handling department).

    ``received``: letters received (rejected ones included); ``valid``: not rejected;
    ``replied``: valid letters with a reply; ``reply_rate`` = replied / valid; ``on_time_rate`` =
    replied on time / (replied + open past deadline): a letter still open past its deadline
    counts against it; ``satisfaction_rate`` = ratings of 3 or more (满意, 基本满意) / ratings;
    ``overdue_open``: open letters past their deadline. Rates are None when there is nothing to count.
    """
    now = now_utc()
    is_valid = Letter.status != LetterState.rejected.value
    replied = and_(is_valid, Letter.replied_dt.is_not(None))
    overdue_open = and_(open_clause(), Letter.due_dt < now)

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    stmt = select(
        func.count(Letter.id),
        count_if(is_valid),
        count_if(replied),
        count_if(and_(replied, Letter.replied_on_time.is_(True))),
        count_if(overdue_open),
        count_if(Letter.rating_score.is_not(None)),
        count_if(Letter.rating_score >= 3),
    )
    if start is not None:
        stmt = stmt.where(Letter.received_dt >= start)
    if end is not None:
        stmt = stmt.where(Letter.received_dt < end)
    if department_id is not None:
        stmt = stmt.where(Letter.department_id == department_id)
    received, valid, n_replied, on_time, n_overdue, rated, satisfied = (int(v or 0) for v in
                                                                         db.session.execute(stmt).one())

    def rate(part, whole):
        return round(part / whole, 4) if whole else None

    return {
        "received": received,
        "valid": valid,
        "replied": n_replied,
        "reply_rate": rate(n_replied, valid),
        "on_time_rate": rate(on_time, n_replied + n_overdue),
        "overdue_open": n_overdue,
        "rated": rated,
        "satisfaction_rate": rate(satisfied, rated),
    }


def period_bounds(now: datetime | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Bounds of this month and this year in Shanghai, as UTC-comparable aware bounds."""
    local = to_local(now or now_utc())
    month_start = start_of_local_day(local.date().replace(day=1))
    year_start = start_of_local_day(local.date().replace(month=1, day=1))
    next_month = start_of_local_day(_first_of_next_month(local.date()))
    next_year = start_of_local_day(local.date().replace(year=local.year + 1, month=1, day=1))
    return {"month": (month_start, next_month), "year": (year_start, next_year)}


def _first_of_next_month(day):
    return day.replace(year=day.year + (day.month == 12), month=day.month % 12 + 1, day=1)


def statistics_strip() -> dict[str, dict]:
    """The public strip: figures of this month and this year (from the snapshot: see :func:`public_figures`)."""
    return public_figures()["strip"]


PUBLIC_SNAPSHOT = "public"


def compute_public_figures() -> dict:
    """The public strip and the number of published letters, computed now (the year's aggregate: slow)."""
    bounds = period_bounds()
    published = db.session.scalar(select(func.count()).select_from(Letter).where(Letter.is_published == true()))
    return {"strip": {name: letter_statistics(*span) for name, span in bounds.items()}, "published": published}


def refresh_public_snapshot() -> dict:
    """Compute the public figures and store them (``flask mailbox sweep``); flushes, never commits."""
    figures = compute_public_figures()
    snapshot = db.session.get(MailboxSnapshot, PUBLIC_SNAPSHOT)
    if snapshot is None:
        snapshot = MailboxSnapshot(key=PUBLIC_SNAPSHOT)
        db.session.add(snapshot)
    snapshot.data, snapshot.computed_dt = figures, now_utc()
    db.session.flush()
    current_app.extensions.pop(FIGURES_KEY, None)  # this process reads the new snapshot at once
    return figures


FIGURES_KEY = "interaction.mailbox_public_figures"


def public_figures() -> dict:
    """The figures the public pages show, as ``flask mailbox sweep`` last stored them.

    Requests never run the year's aggregate (nearly a second at a million letters): they read the
    snapshot row, and each process keeps what it read for ``MAILBOX_STATS_CACHE_SECONDS`` (the
    sweep runs every few minutes; a page need not read the row on every request). Until the sweep
    has run once, each process computes the figures once and keeps them (no write in a page
    request). With ``MAILBOX_STATS_CACHE_SECONDS`` = 0 (tests) they are computed on every call.
    """
    seconds = _cache_seconds()
    if not seconds:
        return compute_public_figures()
    cached = current_app.extensions.get(FIGURES_KEY)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    snapshot = db.session.get(MailboxSnapshot, PUBLIC_SNAPSHOT)
    if snapshot is not None:
        figures = snapshot.data
    elif cached is not None:  # no sweep yet: the figures this process computed
        figures = cached[1]
    else:
        figures = compute_public_figures()
    current_app.extensions[FIGURES_KEY] = (now + seconds, figures)
    return figures
