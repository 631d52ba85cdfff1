"""Helpers of the poll tests: a poll with one question of each kind, ballots through the service."""

from datetime import timedelta

from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.polls import services
from interaction.polls.services import PollData, QuestionData


def four_questions() -> list[QuestionData]:
    return [
        QuestionData("single", "您最关心哪一项？", ["教育", "医疗", "交通"]),
        QuestionData("multiple", "您常用哪些服务？", ["网上办事", "窗口办事", "电话咨询", "自助终端"],
                     min_choices=2, max_choices=3),
        QuestionData("rating", "总体满意度"),
        QuestionData("text", "其他建议", required=False),
    ]


def make_poll(department, actor, *, questions=None, visibility="after_close", publish=True,
              opens_in=timedelta(hours=-1), closes_in=timedelta(days=7), title="便民服务满意度调查"):
    now = now_utc()
    poll = services.create_poll(department, PollData(title=title, opens_dt=now + opens_in, closes_dt=now + closes_in,
                                                     description="请如实填写。", results_visibility=visibility),
                                four_questions() if questions is None else questions, actor=actor)
    if publish:
        services.publish_poll(poll, actor=actor)
    db.session.commit()
    return poll


def answers_for(poll, *, single=0, multiple=(0, 1), rating=4, text=None) -> list[dict]:
    """A valid ballot of a :func:`four_questions` poll (options by position)."""
    q_single, q_multiple, q_rating, q_text = poll.questions
    answers = [{"question": q_single.id, "options": [q_single.options[single].id]},
               {"question": q_multiple.id, "options": [q_multiple.options[i].id for i in multiple]},
               {"question": q_rating.id, "value": rating}]
    if text is not None:
        answers.append({"question": q_text.id, "text": text})
    return answers
