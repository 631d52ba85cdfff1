"""Automatic screening, before any person looks: sensitive words, links, submission rate.

The word lists live in the database and administrators edit them; compiling them
into a :class:`~interaction.core.words.WordScreen` costs far more than a lookup,
so each app keeps the compiled screen with the list version it was built from
and rebuilds only when :class:`WordListVersion` moved (one tiny read per screening).
"""

import re
import threading
import unicodedata
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.core.words import WordScreen
from interaction.moderation.models import ModerationCase, SensitiveWord, WordList, WordListVersion

SCREEN_KEY = "interaction.moderation_screen"
DEFAULT_RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=10)
MAX_LINKS = 2

# After NFKC (full-width ｈｔｔｐ：／／ becomes ASCII): schemes, www. hosts and bare domains.
LINK_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'，。、；）]+"
    r"|(?<![a-z0-9.@-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
    r"\.(?:com|cn|net|org|info|top|xyz|cc|io|me|vip|club|site|tk|ru)(?![a-z0-9-])(?:/[^\s<>\"'，。、；）]*)?",
    re.IGNORECASE,
)

#: Why a submission was held or refused, by code; rendered in the reader's language on pages.
REASONS = {
    "blocked_words": _l("含有禁止发布的词语"),
    "review_words": _l("含有需要人工审核的词语"),
    "too_many_links": _l("链接过多"),
    "too_fast": _l("短时间内提交过多"),
}

_lock = threading.Lock()


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))


#: Read at every screening (another process may have changed the lists): built once, not at every call.
_VERSION = select(WordListVersion.version).where(WordListVersion.id == 1)


def current_version() -> int:
    return db.session.scalar(_VERSION) or 0


def bump_version() -> None:
    """Mark the word lists changed: every process rebuilds its screen at its next screening."""
    row = db.session.get(WordListVersion, 1)
    if row is None:
        db.session.add(WordListVersion(id=1, version=1, updated_dt=now_utc()))
    else:
        row.version = WordListVersion.version + 1  # in SQL: two editors never lose a bump
        row.updated_dt = now_utc()
    db.session.flush()


def _build_screen() -> WordScreen:
    rows = db.session.execute(select(SensitiveWord.word, SensitiveWord.list)).all()
    block = [w for w, kind in rows if kind == WordList.block]
    review = [w for w, kind in rows if kind == WordList.review]
    return WordScreen(block=block, review=review)


def word_screen() -> WordScreen:
    """The compiled screen for the current word lists, rebuilt only when they changed."""
    version = current_version()
    cached = current_app.extensions.get(SCREEN_KEY)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        cached = current_app.extensions.get(SCREEN_KEY)
        if cached is not None and cached[0] == version:
            return cached[1]
        screen = _build_screen()
        current_app.extensions[SCREEN_KEY] = (version, screen)
        return screen


def count_links(text: str) -> int:
    return len(LINK_RE.findall(unicodedata.normalize("NFKC", text or "")))


def recent_by_author(author_id: int | None) -> int:
    """Cases by this author in the last ten minutes (the one being screened not yet counted)."""
    if author_id is None:
        return 0
    since = now_utc() - RATE_WINDOW
    return db.session.scalar(
        select(func.count(ModerationCase.id)).where(ModerationCase.author_id == author_id,
                                                    ModerationCase.created_dt >= since)
    ) or 0


def screen(text: str, *, author_id: int | None = None) -> dict:
    """Screen *text* by *author_id*; return the result stored on the case.

    ``{"verdict": "pass|review|block", "blocked", "review", "links", "recent_by_author",
    "reasons", "codes"}``: blocked words refuse the submission; review words, more
    than two links or more than ``MODERATION_RATE_LIMIT`` cases by the same author
    in ten minutes (this one included) hold it for a person.
    """
    result = word_screen().scan(text or "")
    blocked = sorted(set(result.blocked))
    review = sorted(set(result.review))
    links = count_links(text)
    recent = recent_by_author(author_id) + (1 if author_id is not None else 0)
    limit = current_app.config.get("MODERATION_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    codes = []
    if blocked:
        codes.append("blocked_words")
    if review:
        codes.append("review_words")
    if links > MAX_LINKS:
        codes.append("too_many_links")
    if author_id is not None and recent > limit:
        codes.append("too_fast")
    verdict = "block" if blocked else ("review" if codes else "pass")
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        reasons = [reason_text(code) for code in codes]  # stored in Chinese, the source language
    return {"verdict": verdict, "blocked": blocked, "review": review, "links": links,
            "recent_by_author": recent, "reasons": reasons, "codes": codes}
