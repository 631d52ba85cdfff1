"""The storage of the search (core.search): one table of documents, and its full-text index on each database.

``search_documents`` holds what the public may read of each published item (title, body, url,
date) and its index tokens (:mod:`interaction.core.search_text`) in ``terms``:

* **SQLite**: ``terms`` is the tokens as text, separated by spaces; an FTS5 table ``search_fts``
  (contentless, ``detail=none``: it stores which rows hold a token, no positions, since ranking is
  done on the candidates in Python) is kept in step by three triggers. The virtual table and the
  triggers are created by ``create_all`` (DDL events on the table, SQLite only) and by the Alembic
  revision ``b5e4a1c2d301``.
* **PostgreSQL**: ``terms`` is a ``tsvector`` written as a literal of exactly these tokens (no
  parser, no configuration, so both databases see the same tokens), under a GIN index. The table
  keeps its rows whole up to a page (``toast_tuple_target``): a common word's candidates are read
  newest first through the primary key, testing ``terms`` in each row, and a ``terms`` moved out to
  the TOAST table would cost a second look-up per row.

A document's ``id`` is made from its publication time (milliseconds, then twelve bits from its
type and key), so ``ORDER BY id DESC`` is "newest published first" on both databases whatever the
order of indexing: the search takes the newest matching rows as its candidates (see core.search).
On SQLite the GIN index is declared with ``WHERE 0`` (an empty partial index): FTS5 is its index.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from cachetools import TTLCache

from sqlalchemy import DDL, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import db
from interaction.core.time import now_utc

FTS_TABLE = "search_fts"

#: The tables SQLite makes for the FTS5 index (not models: `tests/test_migrations.py` leaves them out).
FTS_TABLES = frozenset({FTS_TABLE, f"{FTS_TABLE}_data", f"{FTS_TABLE}_idx", f"{FTS_TABLE}_config",
                        f"{FTS_TABLE}_docsize", f"{FTS_TABLE}_content"})


class SearchDocument(db.Model):
    """One published item as the search sees it: type and key name it, ``terms`` indexes it."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("type", "key"),
        Index("ix_search_documents_terms", "terms", postgresql_using="gin", sqlite_where=text("0")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500))
    published_dt: Mapped[datetime]
    department_id: Mapped[int | None]
    terms: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


class SearchTerm(db.Model):
    """An administrator's change to the segmenter's dictionary: a term added, or a shipped one removed."""

    __tablename__ = "search_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(40), unique=True)
    is_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    created_by_id: Mapped[int | None]


#: The FTS5 table and its triggers (SQLite): created with the table, by create_all and by the revision.
FTS_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(terms, content='', detail=none, columnsize=0, "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (new.id, new.terms); END",
    f"CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    f"CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, terms) VALUES ('delete', old.id, old.terms); "
    f"INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (new.id, new.terms); END",
)
FTS_DROP = f"DROP TABLE IF EXISTS {FTS_TABLE}"

for _statement in FTS_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(SearchDocument.__table__, "after_drop", DDL(FTS_DROP).execute_if(dialect="sqlite"))
#: PostgreSQL: rows up to a page stay whole (no TOAST): the candidates' scan reads ``terms`` in the row itself.
PG_STORAGE = "ALTER TABLE search_documents SET (toast_tuple_target = 8160)"
event.listen(SearchDocument.__table__, "after_create", DDL(PG_STORAGE).execute_if(dialect="postgresql"))
db.metadata.info.setdefault("interaction.unmodelled_tables", set()).update(FTS_TABLES)


def document_id(published_dt: datetime, type_: str, key: str) -> int:
    """The id of a document: its publication time in milliseconds, then 12 bits of its type and key."""
    salt = zlib.crc32(f"{type_}:{key}".encode()) & 0xFFF
    return (int(published_dt.timestamp() * 1000) << 12) | salt


def tsvector_literal(tokens) -> str:
    """PostgreSQL's text form of a tsvector holding exactly *tokens* (no positions)."""
    return " ".join("'" + token.replace("\\", "\\\\").replace("'", "''") + "'" for token in tokens)


def tsquery_literal(groups: list[list[str]]) -> str:
    """PostgreSQL's text form of a tsquery: the groups AND-ed, the tokens of a group OR-ed."""
    quoted = [[tsvector_literal([token]) for token in group] for group in groups]
    return " & ".join(parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")" for parts in quoted)


def fts_query(groups: list[list[str]]) -> str:
    """FTS5's query string: each token a quoted string (so nothing in it is syntax), groups AND-ed."""
    def quote(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    quoted = [[quote(token) for token in group] for group in groups]
    return " AND ".join(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")" for parts in quoted)


FTS_CANDIDATES = (f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :query "
                  "ORDER BY rowid DESC LIMIT :limit")

#: PostgreSQL: newest first down the primary key between two ids, each row tested. ``ts_match_vq`` is
#: ``@@`` as a plain function: the planner cannot take the GIN index for it, so this is always that
#: bounded walk, whatever it estimates.
PG_WALK = ("SELECT id FROM search_documents WHERE id >= :low AND id < :high "
           "AND ts_match_vq(terms, CAST(:query AS tsquery)) ORDER BY id DESC LIMIT :limit")
#: PostgreSQL: the older rows of a rarer word through the GIN index: ``id + 0`` keeps the planner off
#: the primary key (whose walk would read every older row).
PG_INDEX = ("SELECT id FROM search_documents WHERE terms @@ CAST(:query AS tsquery) AND id + 0 < :high "
            "ORDER BY id + 0 DESC LIMIT :limit")
PG_ALL = "SELECT id FROM search_documents WHERE terms @@ CAST(:query AS tsquery) ORDER BY id DESC LIMIT :limit"
PG_FLOOR = "SELECT id FROM search_documents ORDER BY id DESC OFFSET :offset LIMIT 1"

#: PostgreSQL: the newest rows walked first; and the most rows a word may be walked through in all.
RECENT_WINDOW = 500
WALK_BUDGET = 15_000
_floors: TTLCache = TTLCache(maxsize=8, ttl=60)
_TOP = 2**63 - 1


def _floors_now() -> tuple[int | None, int | None]:
    """The ids of the RECENT_WINDOW-th and WALK_BUDGET-th newest documents (None past the end), kept a minute."""
    key = (db.engine.url.render_as_string(), RECENT_WINDOW, WALK_BUDGET)
    if key not in _floors:
        _floors[key] = tuple(db.session.execute(text(PG_FLOOR), {"offset": offset}).scalar()
                             for offset in (RECENT_WINDOW, WALK_BUDGET))
    return _floors[key]


def _pg_candidates(query: str, limit: int) -> list[int]:
    """PostgreSQL's candidates (see :func:`candidate_ids`): walk, measure, then walk on or ask the index."""
    recent, budget = _floors_now()
    if recent is None:  # a small index: the planner's choice costs little either way
        return list(db.session.execute(text(PG_ALL), {"query": query, "limit": limit}).scalars())

    def walk(low, high, n):
        return list(db.session.execute(text(PG_WALK), {"query": query, "low": low, "high": high, "limit": n})
                    .scalars())

    ids = walk(recent, _TOP, limit)
    if len(ids) >= limit:
        return ids
    older_than = recent
    share = max(len(ids), 1) / RECENT_WINDOW  # of the newest rows, the share that holds the word
    if budget is not None and (limit - len(ids)) / share <= WALK_BUDGET - RECENT_WINDOW:
        ids += walk(budget, recent, limit - len(ids))
        if len(ids) >= limit:
            return ids
        older_than = budget
    params = {"query": query, "high": older_than, "limit": limit - len(ids)}
    return ids + list(db.session.execute(text(PG_INDEX), params).scalars())


def candidate_ids(dialect: str, groups: list[list[str]], limit: int) -> list[int]:
    """The ids of the newest *limit* documents holding every group (a group: any of its tokens), newest first.

    SQLite: FTS5 walks its lists of rows from the newest. PostgreSQL's GIN index knows no order, and
    the planner's estimate for several words AND-ed is often far off, so the way is chosen here: the
    newest :data:`RECENT_WINDOW` rows are tested one by one down the primary key; the share of them
    that holds the words tells how far a walk must go for the rest. A common word is walked on (up to
    :data:`WALK_BUDGET` rows); a rarer one's older rows come from the GIN index, where the cost is the
    number of rows that hold it. The worst case is a word about as frequent as candidates / budget.
    """
    if dialect == "sqlite":
        params = {"query": fts_query(groups), "limit": limit}
        return list(db.session.execute(text(FTS_CANDIDATES), params).scalars())
    return _pg_candidates(tsquery_literal(groups), limit)


def optimize(dialect: str) -> None:
    """After a bulk load: SQLite merges the FTS5 index into one segment (FTS5's ``optimize``)."""
    if dialect == "sqlite":
        db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))
