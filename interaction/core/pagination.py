"""Pages of long lists whose total is counted only up to a cap.

Counting every matching row makes a page slower as the archive grows (thousands of open letters
in a department, tens of thousands on the supervision board at a million letters). A
:class:`CappedPage` counts at most ``cap + 1`` rows: past the cap the total reads "1000+" and the
number of pages is unknown; "next page" comes from fetching one row more than the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import Integer, Select, bindparam, func, select

from interaction.core.db import MAX_PAGE, db

#: Totals above this show as "1000+".
COUNT_CAP = 1000


def count_label(total: int, capped: bool) -> str:
    """``"1000+"`` for a capped total, else the number."""
    return f"{total}+" if capped else str(total)


def _cap(cap: int | None) -> int:
    return COUNT_CAP if cap is None else cap


def _counted(stmt: Select, id_column, limit, keep_order: bool):
    # Without ORDER BY the planner may pick any index; *keep_order* keeps the statement's, which
    # steers SQLite to a small partial index matching that order (see the board's flagged section).
    return (stmt if keep_order else stmt.order_by(None)).with_only_columns(id_column).limit(limit).subquery()


def _count_of(counted):
    return select(func.count()).select_from(counted)


def capped_count(stmt: Select, id_column, cap: int | None = None, *, keep_order: bool = False) -> tuple[int, bool]:
    """``(n, capped)``: how many rows *stmt* selects, counting at most *cap* + 1 (ORDER BY dropped unless *keep_order*).

    ``capped`` is True when there are more than *cap* (default :data:`COUNT_CAP`); ``n`` is then *cap*.
    """
    cap = _cap(cap)
    n = db.session.scalar(_count_of(_counted(stmt, id_column, cap + 1, keep_order)))
    return (cap, True) if n > cap else (n, False)


def capped_count_column(stmt: Select, id_column, cap: int | None = None, *, keep_order: bool = False):
    """The count of :func:`capped_count` (at most *cap* + 1) as a scalar subquery labelled ``capped_total``."""
    return _count_of(_counted(stmt, id_column, _cap(cap) + 1, keep_order)).scalar_subquery().label("capped_total")


@dataclass
class CappedPage:
    """One page of a list (the attributes ``macros/forms.html``'s ``pagination`` reads)."""

    items: list
    page: int
    per_page: int
    total: int
    capped: bool
    has_next: bool

    @property
    def total_label(self) -> str:
        return count_label(self.total, self.capped)

    @property
    def pages(self) -> int | None:
        """The number of pages; None past the cap (unknown)."""
        if self.capped:
            return None
        return max(1, -(-self.total // self.per_page))

    @property
    def pages_label(self) -> str:
        return str(self.pages) if self.pages is not None else f"{self.total // self.per_page}+"

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def _page_number(page: int | None) -> int:
    if page is None:
        page = request.args.get("page", 1, type=int) if has_request_context() else 1
    return min(max(page or 1, 1), MAX_PAGE)


def paginate_capped(stmt: Select, id_column, *, per_page: int, page: int | None = None,
                    cap: int | None = None, rows: bool = False, total: int | None = None,
                    count_in_order: bool = False) -> CappedPage:
    """The *page*-th page of *stmt* (default: the request's ``?page=``), with a total counted up to *cap*.

    Items are ORM objects, or with *rows* the rows of a statement of columns (which then also carry
    the capped count, as ``capped_total``: one query for the page and its total). A *total* known
    otherwise (kept figures) is taken as it is, and nothing is counted. *count_in_order*: see
    :func:`capped_count`'s *keep_order*. A list opened on every request has a :class:`PageWindow`.
    """
    cap = _cap(cap)
    page = _page_number(page)
    window = stmt.limit(per_page + 1).offset((page - 1) * per_page)
    if rows and total is None:  # the capped count rides along as a column (computed once): one round trip
        found = db.session.execute(window.add_columns(capped_count_column(stmt, id_column, cap,
                                                                                 keep_order=count_in_order))).all()
    else:
        found = db.session.execute(window).all() if rows else db.session.scalars(window).unique().all()
    return _capped_page(found, page, per_page, cap, total, counted=rows,
                        count=lambda: capped_count(stmt, id_column, cap, keep_order=count_in_order))


def _capped_page(found: list, page: int, per_page: int, cap: int, total: int | None, *, counted: bool,
                 count) -> CappedPage:
    """The page of *found* (up to *per_page* + 1 rows); its total: given, seen, carried by the rows or *count()*."""
    has_next = len(found) > per_page
    items = found[:per_page]
    if total is not None:
        capped = False
    elif page == 1 and not has_next:
        total, capped = len(items), False
    elif counted and items:
        n = items[0].capped_total
        total, capped = min(n, cap), n > cap
    else:
        total, capped = count()
    return CappedPage(items=items, page=page, per_page=per_page, total=total, capped=capped, has_next=has_next)


class PageWindow:
    """The pages of a list that is opened on every request, as one statement built once.

    :func:`paginate_capped` builds the page's statement (``LIMIT``, ``OFFSET``, the capped count)
    on every call; here the window is built once with ``LIMIT`` and ``OFFSET`` as bound parameters,
    so SQLAlchemy compiles it once and PostgreSQL sees the same text each time (psycopg prepares
    it). Rows carry ``capped_total`` unless *counted* is False (a list whose total is known
    otherwise: pass ``total``); the cap is a parameter too, read at each call (:data:`COUNT_CAP`
    unless given).
    """

    def __init__(self, stmt: Select, id_column, *, count_in_order: bool = False, counted: bool = True) -> None:
        self.statement, self.id_column = stmt, id_column
        self.count_in_order, self.counted = count_in_order, counted
        window = (stmt.limit(bindparam("page_limit", type_=Integer))
                  .offset(bindparam("page_offset", type_=Integer)))
        if counted:
            counted_rows = _counted(stmt, id_column, bindparam("count_limit", type_=Integer), count_in_order)
            window = window.add_columns(_count_of(counted_rows).scalar_subquery().label("capped_total"))
        self.window = window

    def page(self, *, per_page: int, page: int | None = None, cap: int | None = None, total: int | None = None,
             **params) -> CappedPage:
        """Like :func:`paginate_capped` with ``rows=True``; *params*: the statement's own bound parameters."""
        if total is None and not self.counted:
            raise ValueError("this window counts nothing: give the total")
        cap, page = _cap(cap), _page_number(page)
        limits = {"page_limit": per_page + 1, "page_offset": (page - 1) * per_page}
        if self.counted:
            limits["count_limit"] = cap + 1
        found = db.session.execute(self.window, {**limits, **params}).all()
        return _capped_page(found, page, per_page, cap, total, counted=self.counted,
                            count=lambda: capped_count(self.statement.params(**params), self.id_column, cap,
                                                       keep_order=self.count_in_order))
