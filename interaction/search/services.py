"""Administrators' changes to the segmenter's dictionary (core.search): add a term, remove one, restore one.

Each change is a row of ``search_terms`` (core.search_index.SearchTerm), audited, and applied at once
in this process (``search.dictionary_changed``) and within ``core.search.DICTIONARY_TTL`` seconds in
every other; texts already indexed keep their tokens until ``flask search reindex``.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from interaction.accounts.models import User
from interaction.accounts.permissions import Permission
from interaction.core import audit, search
from interaction.core.db import after_commit, db
from interaction.core.errors import Forbidden, ValidationFailed
from interaction.core.search_index import SearchTerm
from interaction.core.search_text import normalize


def _require_admin(actor: User | None) -> None:
    if actor is None or not actor.can(Permission.ADMIN):
        raise Forbidden()


def list_terms() -> list[tuple[str, str]]:
    """Every term with where it comes from: ``shipped``, ``added`` or ``removed`` (a shipped one taken out)."""
    rows = {row.word: row for row in db.session.scalars(select(SearchTerm))}
    terms = [(word, "removed" if word in rows and rows[word].is_removed else "shipped")
             for word in search.shipped_dictionary().words]
    terms += [(word, "added") for word, row in rows.items()
              if not row.is_removed and word not in search.shipped_dictionary().words]
    return sorted(terms)


def add_term(word: str, *, actor: User) -> None:
    """Keep *word* whole when segmenting (or restore a shipped word that was removed)."""
    _require_admin(actor)
    word = normalize(word.strip())
    row = db.session.scalar(select(SearchTerm).where(SearchTerm.word == word))
    if row is not None and not row.is_removed or (row is None and word in search.shipped_dictionary().words):
        raise ValidationFailed({"word": _("词库里已经有这个词。")})
    if row is not None:
        db.session.delete(row)  # a removed shipped word: restored
    else:
        db.session.add(SearchTerm(word=word, created_by_id=actor.id))
    db.session.flush()
    audit.record("search.add_term", actor=actor, word=word)
    after_commit(search.dictionary_changed)


def remove_term(word: str, *, actor: User) -> None:
    """Stop keeping *word* whole: an added one is deleted, a shipped one marked removed."""
    _require_admin(actor)
    row = db.session.scalar(select(SearchTerm).where(SearchTerm.word == word))
    if word in search.shipped_dictionary().words:
        if row is None:
            db.session.add(SearchTerm(word=word, is_removed=True, created_by_id=actor.id))
    elif row is not None:
        db.session.delete(row)
    db.session.flush()
    audit.record("search.remove_term", actor=actor, word=word)
    after_commit(search.dictionary_changed)
