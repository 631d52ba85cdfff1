"""The supervision board's reads: its five sections, each on its own index, and a section's own page.

One partial index per section (see :func:`board_section`), :data:`BOARD_ROWS` rows each plus a
capped count, all in one query; the rest on the section's own paginated page. Oversight
(``interaction.oversight``) shows them.
"""

from __future__ import annotations

import functools
from datetime import datetime
from operator import attrgetter

from sqlalchemy import Select, bindparam, literal, literal_column, select, union_all

from interaction.accounts.models import Department
from interaction.core import pagination
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.mailbox.models import (TRANSFER_FLAG, Letter, LetterState, due_soon_limit, long_unanswered_limit,
                                        open_clause)
from interaction.mailbox.queries import letters
from interaction.mailbox.queries.letters import with_department_name


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


#: What a board row shows (``templates/oversight/_board.html``) and its sections' orders.
BOARD_COLUMNS = (Letter.id, Letter.number, Letter.subject, Letter.received_dt, Letter.due_dt, Letter.accept_due_dt,
                 Letter.supervised_dt)


def board_rows(stmt: Select) -> Select:
    """*stmt* (a :func:`board_section`) as plain rows of what the board's table shows.

    A board lists a hundred letters: rows of what its table shows (``templates/oversight/_board.html``,
    with ``department_name``) and the sections' orders cost a fraction of loading ``Letter``
    objects. The rows have the attributes of the same names.
    """
    return with_department_name(stmt, *BOARD_COLUMNS)


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
    ``letters.STAFF_COUNT_CAP``: ``capped`` is True past it and the total reads "200+"); see
    :func:`board_section`. Letters past the three-months line (red, at the top), overdue, not
    accepted in time, due soon, and transferred three times or more.

    One query whatever the size: ``UNION ALL`` of one indexed ``LIMIT`` query per section, each row
    carrying its section's capped count (a subquery computed once per section). The rows are put
    back in their section's order here.
    """
    cap = letters.STAFF_COUNT_CAP if cap is None else cap
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
