"""Fixtures of the moderation tests: two test kinds with tiny in-memory targets, a signal recorder."""

import pytest

from interaction.core.signals import moderation_decided
from interaction.moderation.registry import ModerationKind, register_kind

NOTE = "test.note"  # a person decides every clean note
COMMENT = "test.comment"  # clean comments are approved automatically


@pytest.fixture(autouse=True)
def request_context(app):
    """Services raise errors with translated messages; core.web.select_locale needs a request for that."""
    with app.test_request_context():
        yield


@pytest.fixture
def targets():
    return {}


@pytest.fixture
def test_kinds(app, targets):
    def describe(target_id):
        text = targets.get(target_id)
        return None if text is None else {"title": f"标题{target_id}", "text": text, "url": None}

    register_kind(app, ModerationKind(NOTE, "测试留言", describe))
    register_kind(app, ModerationKind(COMMENT, "测试评论", describe, auto_approve=True))
    return targets


@pytest.fixture
def decisions():
    """Every moderation_decided sent for the test kinds, as (sender, case id, state, actor)."""
    seen = []

    def receiver(sender, case, actor):
        seen.append((sender, case.id, case.state, actor))

    for kind in (NOTE, COMMENT):
        moderation_decided.connect(receiver, sender=kind)
    try:
        yield seen
    finally:
        for kind in (NOTE, COMMENT):
            moderation_decided.disconnect(receiver, sender=kind)
