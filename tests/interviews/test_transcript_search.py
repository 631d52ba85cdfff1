"""An ended interview's transcript in the search (type ``transcript``, keyed by the interview's id)."""

import pytest

from interaction.core import search
from interaction.core.db import db
from interaction.interviews import services
from tests.factories import make_user


@pytest.fixture
def moderator(app):
    with app.test_request_context():
        yield make_user("moderator")


def transcript_keys(q):
    return [hit.key for hit in search.search(q, types=["transcript"]).items]


def test_the_transcript_is_found_once_the_interview_ended(moderator):
    from tests.factories import make_interview

    interview = make_interview(status="live", actor=moderator, title="优化营商环境在线访谈")
    services.answer(interview, "营业执照可以在一网通办平台网上办理，三个工作日内办结。", actor=moderator,
                    guest_id=interview.guests[0].id)
    db.session.commit()
    assert transcript_keys("营业执照") == []  # live: the transcript is not published yet
    services.end_interview(interview, actor=moderator)
    db.session.commit()
    assert transcript_keys("营业执照") == [str(interview.id)]
    assert transcript_keys("营商环境") == [str(interview.id)]  # the title
    hit = search.search("一网通办").items[0]
    assert hit.type == "transcript" and hit.url == f"/interviews/{interview.id}/transcript"
    entry = interview_entry(interview)
    services.correct_entry(entry, "营业执照和食品经营许可证都可以网上办理。", reason="补充", actor=moderator)
    db.session.commit()
    assert transcript_keys("食品经营许可") == [str(interview.id)]
    assert transcript_keys("三个工作日") == []


def interview_entry(interview):
    from sqlalchemy import select

    from interaction.interviews.models import TranscriptEntry

    return db.session.scalar(select(TranscriptEntry).where(TranscriptEntry.interview_id == interview.id))
