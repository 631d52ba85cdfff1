"""Free-text answers and the shared moderation queue (kind ``polls.text_answer``).

A text answer is shown publicly only once approved; the queue shows the moderator the poll and
the question, never the ballot or its author.
"""

from flask import url_for
from sqlalchemy import update

from interaction.core.db import db
from interaction.polls.models import BallotAnswer, Poll, PollQuestion, TextState
from interaction.polls.services.voting import MODERATION_KIND


def describe_for_moderation(target_id: str) -> dict | None:
    """What the moderation queue shows of a text answer: the poll, the question, the text."""
    try:
        answer = db.session.get(BallotAnswer, int(target_id))
    except (TypeError, ValueError):
        return None
    if answer is None:
        return None
    question = db.session.get(PollQuestion, answer.question_id)
    poll = db.session.get(Poll, answer.poll_id)
    return {"title": f"{poll.title} · {question.prompt}", "text": answer.text or "",
            "url": url_for("polls.show", poll_id=poll.id), "state": answer.text_state}


def on_moderation_decided(sender, case=None, actor=None, **_kwargs) -> None:
    """An approved answer becomes public; a rejected one stays counted but is never shown."""
    if case is None or case.kind != MODERATION_KIND:
        return
    try:
        answer_id = int(case.target_id)
    except (TypeError, ValueError):
        return
    state = TextState.approved if case.state == "approved" else TextState.rejected
    if case.state not in ("approved", "rejected"):
        return
    db.session.execute(update(BallotAnswer).where(BallotAnswer.id == answer_id).values(text_state=state.value))
