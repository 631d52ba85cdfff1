"""One Chinese search (集中查询) over everything published: letters, questions, interview transcripts.

Features put a document when an item becomes public or its public text changes, and remove it when
it stops being public, in the same transaction as that change (:func:`put`, :func:`remove`: they
only execute statements in ``db.session``'s transaction; the caller commits). They register how to
list all their public documents (:func:`register_source`), which ``flask search reindex`` rebuilds
the index from (:func:`rebuild`). Private things never enter the index.

How a query is answered (the design choice, on SQLite and PostgreSQL alike):

1. the query is normalised and cut into index tokens (:mod:`interaction.core.search_text`: one
   CJK character, a two-character word, or the pairs of a longer run, so 1- and 2-character queries
   find what ``LIKE`` finds); any punctuation, FTS syntax or SQL in it is a separator, never syntax;
2. the database gives the **newest** :data:`CANDIDATES` documents holding every token: SQLite's FTS5
   walks its row lists from the newest (``MATCH ... ORDER BY rowid DESC LIMIT n``); PostgreSQL tests
   the newest rows one by one down the primary key, then asks the GIN index for older rows only when
   the word is rare (:func:`~interaction.core.search_index.candidate_ids`). A document's id is its
   publication time (:func:`~interaction.core.search_index.document_id`). Ranking every row that
   holds a common word costs time per row; a citizen looking for 医保 wants the recent relevant
   answers, not the best of ten years at the price of a second;
3. those candidates are ranked in Python by relevance (:func:`~interaction.core.search_text.score`:
   title, body occurrences, the query as typed) with recency breaking ties: the same code, so both
   databases give the same order for the same corpus.

The total is exact up to :data:`CANDIDATES` and "more than" past it (``Results.total_is_capped``).
The segmenter's dictionary is the shipped ``search_terms.txt`` with administrators' changes from
the database (:class:`~interaction.core.search_index.SearchTerm`): each process reads them at
most every :data:`DICTIONARY_TTL` seconds and rebuilds its segmenter when they changed (a
cachetools TTL cache: no message between processes needed); the process that saves a change applies
it at once (:func:`dictionary_changed`). Texts indexed before a change keep their tokens until
``flask search reindex``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import markupsafe
from cachetools import TTLCache
from flask import current_app, has_request_context, url_for
from sqlalchemy import delete, func, insert, select, update

from interaction.core import search_index, search_text
from interaction.core.db import db
from interaction.core.search_index import SearchDocument, SearchTerm, candidate_ids, document_id, tsvector_literal
from interaction.core.search_text import Dictionary

log = logging.getLogger(__name__)

TYPES = ("letter", "question", "transcript")

#: How many of the newest matching documents are ranked (step 2 of the module docstring); the total
#: is counted up to here (past it a list says "100+": counting further costs what ranking costs).
CANDIDATES = 100
#: The deepest a list goes (a page past CANDIDATES reads as many more candidates, up to here).
MAX_TOTAL = 1000
#: Characters of a body read for ranking and the snippet (transcripts can be long).
BODY_READ = 6000
#: Seconds a process keeps the dictionary before it looks for administrators' changes.
DICTIONARY_TTL = 30


@dataclass(frozen=True)
class Document:
    type: str
    key: str
    title: str
    body: str
    url: str
    published_at: datetime
    department_id: int | None = None


@dataclass(frozen=True)
class Hit:
    type: str
    key: str
    title: str
    url: str
    published_at: datetime
    snippet_html: markupsafe.Markup


@dataclass(frozen=True)
class Results:
    items: list[Hit]
    total: int
    page: int
    per_page: int
    total_is_capped: bool = False


_sources: dict[str, Callable[[], Iterable[Document]]] = {}
_dictionary_cache: TTLCache = TTLCache(maxsize=1, ttl=DICTIONARY_TTL)


# -- the dictionary -------------------------------------------------------------------------------------------

def shipped_dictionary() -> Dictionary:
    return _shipped()


_shipped_cache: list[Dictionary] = []


def _shipped() -> Dictionary:
    if not _shipped_cache:
        _shipped_cache.append(search_text.read_dictionary_file())
    return _shipped_cache[0]


def current_dictionary() -> Dictionary:
    """The shipped terms with administrators' additions and removals (read at most every DICTIONARY_TTL s)."""
    dictionary = _dictionary_cache.get("dictionary")
    if dictionary is None:
        shipped = _shipped()
        rows = db.session.execute(select(SearchTerm.word, SearchTerm.is_removed)).all()
        added = {search_text.normalize(word) for word, removed in rows if not removed}
        removed = {search_text.normalize(word) for word, removed in rows if removed}
        dictionary = Dictionary((shipped.words | added) - removed, shipped.splits)
        _dictionary_cache["dictionary"] = dictionary
    return dictionary


def dictionary_changed() -> None:
    """Forget this process's dictionary: the next text is cut with the database's terms."""
    _dictionary_cache.clear()


def current_segmenter():
    """The segmenter of :func:`current_dictionary` (one per dictionary, kept while it is current)."""
    return search_text.segmenter(current_dictionary())


# -- writing ----------------------------------------------------------------------------------------------------

def _terms_value(dialect: str, tokens: Iterable[str]) -> str:
    """The ``terms`` column's value: a tsvector's text form on PostgreSQL (the server casts it), else the tokens."""
    ordered = sorted(tokens)
    return tsvector_literal(ordered) if dialect == "postgresql" else " ".join(ordered)


def _row(document: Document, dialect: str, tokenizer) -> dict:
    tokens = search_text.document_tokens(f"{document.title}\n{document.body}", tokenizer)
    tokens.update(search_text.facet_tokens(document.type, document.department_id))
    return {"type": document.type, "key": str(document.key), "title": document.title[:300],
            "body": document.body, "url": document.url[:500], "published_dt": document.published_at,
            "department_id": document.department_id, "terms": _terms_value(dialect, tokens)}


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _free_id(wanted: int) -> int:
    """*wanted*, or the next id no document holds (two documents published in the same millisecond)."""
    while db.session.scalar(select(SearchDocument.id).where(SearchDocument.id == wanted)) is not None:
        wanted += 1
    return wanted


def put(document: Document) -> None:
    """Add or replace the document (type, key) in the index, in db.session's current transaction.

    Call it when an item becomes public or its public text changes; the caller commits.
    """
    dialect = _dialect()
    row = _row(document, dialect, current_segmenter())
    table = SearchDocument.__table__
    existing = db.session.scalar(select(table.c.id).where(table.c.type == row["type"], table.c.key == row["key"]))
    wanted = document_id(document.published_at, row["type"], row["key"])
    if existing is not None and existing == wanted:
        db.session.execute(update(table).where(table.c.id == existing).values(**row))
        return
    if existing is not None:
        db.session.execute(delete(table).where(table.c.id == existing))
    db.session.execute(insert(table).values(id=_free_id(wanted), **row))


def remove(type: str, key: str) -> None:  # noqa: A002 - the contract's name
    """Take (type, key) out of the index, in the current transaction; no error if absent."""
    table = SearchDocument.__table__
    db.session.execute(delete(table).where(table.c.type == type, table.c.key == str(key)))


def public_url(endpoint: str, **values) -> str:
    """The path of a public page, in a request or not (a moderation decision taken by a CLI, a reindex)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def register_source(type: str, documents: Callable[[], Iterable[Document]]) -> None:  # noqa: A002
    """How to list all public documents of *type*: ``flask search reindex`` rebuilds from these."""
    _sources[type] = documents


def sources() -> dict[str, Callable[[], Iterable[Document]]]:
    return dict(_sources)


def index_many(documents: Iterable[Document], *, batch: int = 500) -> Iterator[int]:
    """Insert *documents* (not yet indexed) in batches, yielding how many each batch held (reindex, bench)."""
    dialect = _dialect()
    tokenizer = current_segmenter()
    table = SearchDocument.__table__
    taken: set[int] = set()
    rows: list[dict] = []

    def flush_rows():
        db.session.execute(insert(table), rows)

    for document in documents:
        row = _row(document, dialect, tokenizer)
        wanted = document_id(document.published_at, row["type"], row["key"])
        while wanted in taken:
            wanted += 1
        taken.add(wanted)
        rows.append({"id": wanted, **row})
        if len(rows) >= batch:
            flush_rows()
            yield len(rows)
            rows = []
    if rows:
        flush_rows()
        yield len(rows)


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Empty the index and fill it from every registered source; returns how many documents it holds."""
    db.session.execute(delete(SearchDocument.__table__))
    count = 0
    for type_, documents in sorted(_sources.items()):
        for done in index_many(documents()):
            count += done
            if progress is not None:
                progress(done)
        log.info("search: %s indexed", type_)
    search_index.optimize(_dialect())
    return count


# -- reading ----------------------------------------------------------------------------------------------------

def _groups(query_groups: Iterable[Iterable[str]], types: Collection[str] | None,
            department_id: int | None) -> list[list[str]]:
    groups = [list(group) for group in query_groups]
    if types:
        groups.append([search_text.TYPE_FACET + t for t in sorted(set(types))])
    if department_id is not None:
        groups.append([f"{search_text.DEPARTMENT_FACET}{department_id}"])
    return groups


def _rows(ids: Collection[int]) -> list:
    if not ids:
        return []
    table = SearchDocument.__table__
    stmt = select(table.c.id, table.c.type, table.c.key, table.c.title, func.substr(table.c.body, 1, BODY_READ),
                  table.c.url, table.c.published_dt).where(table.c.id.in_(list(ids)))
    return list(db.session.execute(stmt))


def _hit(row, runs) -> Hit:
    return Hit(type=row[1], key=row[2], title=row[3], url=row[5], published_at=row[6],
               snippet_html=search_text.snippet(row[4], runs))


def _ranked(rows, runs, weights=None) -> list:
    scored = [(search_text.score(runs, row[3], row[4], weights), row) for row in rows]
    scored.sort(key=lambda pair: (-pair[0], -pair[1][6].timestamp(), -pair[1][0]))
    return scored


def search(q: str, *, types: Collection[str] | None = None, department_id: int | None = None,
           page: int = 1, per_page: int = 20) -> Results:
    """Ranked by relevance, recency breaking ties. An empty/whitespace q gives no items (total 0).

    Never raises for odd input (FTS syntax, SQL, 500 characters, full-width, traditional).
    """
    page = min(max(int(page), 1), MAX_TOTAL)
    per_page = min(max(int(per_page), 1), 100)
    query = search_text.parse_query(q if isinstance(q, str) else "", current_segmenter())
    if not query:
        return Results([], 0, page, per_page)
    groups = _groups(query.groups, types, department_id)
    limit = min(max(CANDIDATES, page * per_page), MAX_TOTAL)
    ids = candidate_ids(_dialect(), groups, limit)
    total, capped = len(ids), len(ids) == limit  # counted no further than the candidates: "100+"
    ranked = _ranked(_rows(ids), query.runs)
    window = ranked[(page - 1) * per_page: page * per_page]
    return Results([_hit(row, query.runs) for _score, row in window], total, page, per_page, capped)


def matching_keys(q: str, *, types: Collection[str], limit: int = MAX_TOTAL) -> list[str] | None:
    """The keys of the newest *limit* documents of *types* matching *q*; None when *q* has nothing to search.

    For a feature's own list filtered by the search (the public letters' ``q``), in the list's order.
    """
    query = search_text.parse_query(q if isinstance(q, str) else "", current_segmenter())
    if not query:
        return None
    ids = candidate_ids(_dialect(), _groups(query.groups, types, None), limit)
    if not ids:
        return []
    table = SearchDocument.__table__
    return list(db.session.scalars(select(table.c.key).where(table.c.id.in_(ids))))


#: Per word of a draft, how many of its newest documents are compared (similar()).
SIMILAR_PER_WORD = 40


def similar(text: str, *, types: Collection[str] = ("question",), limit: int = 5) -> list[Hit]:
    """The published documents most like a draft title/text (for "similar questions").

    The draft's words (two characters or more, not the filler of questions), each giving its newest
    :data:`SIMILAR_PER_WORD` documents; those are ranked by the words they hold, a word weighing more
    the fewer documents hold it (fewer than SIMILAR_PER_WORD: a rare word).
    """
    if not isinstance(text, str):
        return []
    tokenizer = current_segmenter()
    words = search_text.similar_words(text, tokenizer)
    if not words:
        return []
    dialect = _dialect()
    candidates: set[int] = set()
    weights: dict[str, float] = {}
    for word in words:
        word_groups = search_text.parse_query(word, tokenizer).groups
        ids = candidate_ids(dialect, _groups(word_groups, types, None), SIMILAR_PER_WORD)
        if ids:
            weights[word] = 1.0 + math.log(SIMILAR_PER_WORD / len(ids))
            candidates.update(ids)
    ranked = _ranked(_rows(candidates), list(weights), weights)
    return [_hit(row, list(weights)) for score, row in ranked[:max(0, limit)] if score > 0.1]
