"""Publication of letters: the masked version put forward, the moderator's view of it, and the decision.

A letter whose writer consented goes public only as a moderator approved it: masked once when
put forward (:func:`put_forward_for_publication`), shown to the moderator as it will be published
(:func:`describe_for_moderation`), published or kept private when the case is decided
(:func:`on_moderation_decided`, a receiver of ``core.signals.moderation_decided``).

The search index (core.search) follows in the same transaction: a letter is put when it is
published, and removed when it is withdrawn (put forward again) or its publication is rejected.
:func:`public_documents` lists every published letter for ``flask search reindex``.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select, true

from interaction.core import search
from interaction.core.db import db
from interaction.core.privacy import mask_text
from interaction.core.time import now_utc
from interaction.mailbox.models import EventAction, Letter
from interaction.mailbox.services.common import _default_locale, add_event

MODERATION_KIND = "mailbox.letter"
SEARCH_TYPE = "letter"


def _mask(letter: Letter, text: str | None) -> str:
    names = [letter.name]
    if letter.author is not None and letter.author.name:
        names.append(letter.author.name)
    return mask_text(text or "", names)


def put_forward_for_publication(letter: Letter) -> None:
    """Mask the letter once and open a moderation case (kind ``mailbox.letter``).

    A letter already published (a rehandled one replied again) is withdrawn until the new
    version is approved: what the public sees is always what a moderator approved.
    """
    from interaction.moderation.services import submit_for_moderation

    letter.published_subject = _mask(letter, letter.subject)[:200]
    letter.published_body = _mask(letter, letter.body)
    letter.published_reply = _mask(letter, letter.reply_body)
    letter.is_published = False
    letter.publication_state = "pending"
    db.session.flush()
    search.remove(SEARCH_TYPE, letter.number)
    text = "\n\n".join([letter.published_subject, letter.published_body, letter.published_reply])
    submit_for_moderation(MODERATION_KIND, letter.id, text=text, author=letter.author_id)


def describe_for_moderation(target_id: str) -> dict | None:
    """What the moderator sees: the masked version that will be published."""
    try:
        letter = db.session.get(Letter, int(target_id))
    except (TypeError, ValueError):
        return None
    if letter is None:
        return None
    with _default_locale():
        reply_label = _("答复")
    try:
        url = url_for("mailbox.public_letter", number=letter.number)
    except RuntimeError:
        url = None
    return {
        "title": letter.published_subject or "",
        "text": f"{letter.published_body or ''}\n\n【{reply_label}】{letter.published_reply or ''}",
        "url": url,
        "number": letter.number,
        "category": letter.category,
        "department": letter.reply_department.name if letter.reply_department else letter.department.name,
    }


def on_moderation_decided(sender, case=None, actor=None, **_kwargs) -> None:
    """Publish a letter whose case was approved; record a rejection (the letter stays private)."""
    if case is None:
        return
    try:
        letter = db.session.get(Letter, int(case.target_id))
    except (TypeError, ValueError):
        return
    if letter is None:
        return
    if case.state == "approved":
        now = now_utc()
        letter.is_published = True
        letter.publication_state = "approved"
        letter.published_dt = now
        add_event(letter, EventAction.published, actor=actor, at=now)
        search.put(search_document(letter))
    elif case.state == "rejected":
        letter.is_published = False
        letter.publication_state = "rejected"
        search.remove(SEARCH_TYPE, letter.number)
    db.session.flush()


def search_document(letter: Letter) -> search.Document:
    """What the search holds of a published letter: its masked subject, letter and reply."""
    with _default_locale():
        reply_label = _("答复")
    body = f"{letter.published_body or ''}\n\n【{reply_label}】{letter.published_reply or ''}"
    return search.Document(type=SEARCH_TYPE, key=letter.number, title=letter.published_subject or "", body=body,
                           url=search.public_url("mailbox.public_letter", number=letter.number),
                           published_at=letter.published_dt or letter.replied_dt or now_utc(),
                           department_id=letter.reply_department_id or letter.department_id)


def public_documents():
    """Every published letter as a search document (``flask search reindex``), read in batches."""
    stmt = select(Letter).where(Letter.is_published == true()).order_by(Letter.id).execution_options(yield_per=500)
    for letter in db.session.scalars(stmt):
        yield search_document(letter)
