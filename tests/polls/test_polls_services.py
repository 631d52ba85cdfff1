"""The rules of polls, through the services: authoring, publishing, voting and its refusals, results."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from interaction.core.db import db
from interaction.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from interaction.moderation.models import ModerationCase
from interaction.moderation.services import decide_case
from interaction.polls import queries, services
from interaction.polls.models import Ballot, BallotAnswer, PollStatus
from interaction.polls.services import PollData, QuestionData
from tests.polls.helpers import answers_for, four_questions, make_poll

pytestmark = pytest.mark.usefixtures("request_context")


def _stored():
    return (db.session.scalar(select(func.count()).select_from(Ballot)),
            db.session.scalar(select(func.count()).select_from(BallotAnswer)))


def test_a_draft_is_created_with_its_questions_and_published(people, clock):
    poll = make_poll(people.department, people.staff, publish=False)
    assert poll.status == PollStatus.draft
    assert [q.kind for q in poll.questions] == ["single", "multiple", "rating", "text"]
    assert poll.questions[1].min_choices == 2 and poll.questions[1].max_choices == 3
    assert poll.questions[3].is_required is False and poll.questions[0].is_required is True
    services.publish_poll(poll, actor=people.staff)
    assert poll.status == PollStatus.open


def test_closing_before_opening_is_422(people, clock):
    with pytest.raises(ValidationFailed) as error:
        services.create_poll(people.department, PollData("标题", clock.now, clock.now - timedelta(hours=1)),
                             four_questions(), actor=people.staff)
    assert "closes_at" in error.value.fields


@pytest.mark.parametrize(("question", "field"), [
    (QuestionData("single", "题目", ["只有一个"]), "questions[0].options"),
    (QuestionData("single", "题目", ["同", "同"]), "questions[0].options"),
    (QuestionData("multiple", "题目", ["a", "b"], min_choices=3), "questions[0].min_choices"),
    (QuestionData("multiple", "题目", ["a", "b", "c"], min_choices=2, max_choices=1), "questions[0].max_choices"),
    (QuestionData("rating", "题目", ["a", "b"]), "questions[0].options"),
    (QuestionData("essay", "题目"), "questions[0].kind"),
    (QuestionData("text", " "), "questions[0].prompt"),
])
def test_question_rules(people, clock, question, field):
    with pytest.raises(ValidationFailed) as error:
        services.create_poll(people.department, PollData("标题", clock.now, clock.now + timedelta(days=1)),
                             [question], actor=people.staff)
    assert field in error.value.fields


def test_only_the_departments_staff_and_admins_manage(people, clock):
    poll = make_poll(people.department, people.staff, publish=False)
    for outsider in (people.other_staff, people.citizen, people.moderator):
        with pytest.raises(Forbidden):
            services.publish_poll(poll, actor=outsider)
    services.publish_poll(poll, actor=people.admin)


def test_a_published_polls_questions_cannot_change(people, clock):
    poll = make_poll(people.department, people.staff)
    with pytest.raises(InvalidTransition):
        services.add_question(poll, QuestionData("rating", "再加一题"), actor=people.staff)
    with pytest.raises(InvalidTransition):
        services.remove_question(poll, poll.questions[0], actor=people.staff)
    with pytest.raises(InvalidTransition):
        services.update_poll(poll, PollData("新标题", poll.opens_dt, poll.closes_dt), actor=people.staff)


def test_a_ballot_is_stored_whole_and_seen_by_its_voter(people, clock):
    poll = make_poll(people.department, people.staff)
    services.cast_ballot(poll, answers_for(poll, text="多开窗口"), actor=people.citizen)
    db.session.commit()
    assert _stored() == (1, 5)  # single, two choices, rating, text
    mine = queries.own_ballot(poll, people.citizen)
    assert mine[poll.questions[2].id] == 4 and mine[poll.questions[3].id] == "多开窗口"
    assert queries.own_ballot(poll, people.citizen2) is None


def test_before_opening_and_after_closing_is_409(people, clock):
    poll = make_poll(people.department, people.staff, opens_in=timedelta(hours=2))
    with pytest.raises(Conflict) as error:
        services.cast_ballot(poll, answers_for(poll), actor=people.citizen)
    assert error.value.code == "poll_not_open"
    clock.advance(days=8)
    with pytest.raises(Conflict):
        services.cast_ballot(poll, answers_for(poll), actor=people.citizen)
    draft = make_poll(people.department, people.staff, publish=False)
    with pytest.raises(Conflict):
        services.cast_ballot(draft, answers_for(draft), actor=people.citizen)
    assert _stored() == (0, 0)


@pytest.mark.parametrize("change", ["closed early", "withdrawn", "its time ran out"])
def test_a_ballot_checked_while_open_is_refused_if_the_poll_closed_before_it_is_stored(people, clock, change):
    """The insert checks the window itself: staff closing the poll (or the clock) between check and store wins."""
    poll = make_poll(people.department, people.staff)
    rows = services.check_ballot(poll, answers_for(poll, text="多开窗口"))
    if change == "closed early":
        services.close_poll(poll, actor=people.staff)
    elif change == "withdrawn":
        services.withdraw_poll(poll, "重复发布", actor=people.admin)
    else:
        clock.advance(days=8)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        services.store_ballot(poll.id, rows, user_id=people.citizen.id, live=False)
    assert error.value.code == "poll_not_open"
    db.session.rollback()
    assert _stored() == (0, 0)


def test_a_second_ballot_is_409_and_the_first_stays(people, clock):
    poll = make_poll(people.department, people.staff)
    services.cast_ballot(poll, answers_for(poll, single=0), actor=people.citizen)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        services.cast_ballot(poll, answers_for(poll, single=1), actor=people.citizen)
    assert error.value.code == "already_voted"
    db.session.rollback()
    assert _stored() == (1, 4)
    assert queries.results(poll)["questions"][0]["options"][0]["votes"] == 1


def _bad(poll, other):
    single, multiple, rating, text = poll.questions
    good = answers_for(poll)
    return {
        "an option of another question": [{"question": single.id, "options": [multiple.options[0].id]}, *good[1:]],
        "an option of another poll": [{"question": single.id, "options": [other.questions[0].options[0].id]},
                                      *good[1:]],
        "too few choices": [good[0], {"question": multiple.id, "options": [multiple.options[0].id]}, good[2]],
        "too many choices": [good[0], {"question": multiple.id, "options": [o.id for o in multiple.options]}, good[2]],
        "two options of a single choice": [{"question": single.id, "options": [o.id for o in single.options[:2]]},
                                           *good[1:]],
        "a missing required answer": good[:2],
        "a rating out of range": [*good[:2], {"question": rating.id, "value": 6}],
        "a rating as a string": [*good[:2], {"question": rating.id, "value": "5"}],
        "a boolean rating": [*good[:2], {"question": rating.id, "value": True}],
        "strings for ids": [{"question": str(single.id), "options": [str(single.options[0].id)]}, *good[1:]],
        "option ids as strings": [{"question": single.id, "options": [str(single.options[0].id)]}, *good[1:]],
        "nested junk": [{"question": single.id, "options": [[single.options[0].id]]}, *good[1:]],
        "junk keys": [{"question": single.id, "options": [single.options[0].id], "extra": {"a": 1}}, *good[1:]],
        "an item that is not an object": ["q1", *good],
        "10,000 options": [{"question": single.id, "options": list(range(1, 10_001))}, *good[1:]],
        "10,000 answers": [good[0]] * 10_000,
        "duplicate option ids": [good[0], {"question": multiple.id, "options": [multiple.options[0].id] * 2}, good[2]],
        "a question answered twice": [good[0], good[0], good[2]],
        "text for a choice": [{"question": single.id, "text": "教育"}, *good[1:]],
        "a text too long": [*good, {"question": text.id, "text": "字" * 2001}],
        "answers not a list": {"question": single.id},
        "an unknown question": [{"question": 2_000_000_000, "options": [1]}, *good],
    }


def test_every_malformed_ballot_is_422_with_messages_and_stores_nothing(people, clock):
    poll = make_poll(people.department, people.staff)
    other = make_poll(people.department, people.staff, title="另一次调查")
    for name, answers in _bad(poll, other).items():
        with pytest.raises(ValidationFailed) as error:
            services.cast_ballot(poll, answers, actor=people.citizen)
        assert error.value.fields and all(error.value.fields.values()), name
        db.session.rollback()
    assert _stored() == (0, 0)


def test_a_required_text_question_must_be_answered(people, clock):
    poll = make_poll(people.department, people.staff, questions=[QuestionData("text", "意见", required=True)])
    with pytest.raises(ValidationFailed) as error:
        services.cast_ballot(poll, [{"question": poll.questions[0].id, "text": "   "}], actor=people.citizen)
    assert f"q{poll.questions[0].id}" in error.value.fields


def test_results_count_votes_percentages_and_the_rating_mean(people, clock):
    poll = make_poll(people.department, people.staff)
    services.cast_ballot(poll, answers_for(poll, single=0, multiple=(0, 1), rating=5), actor=people.citizen)
    services.cast_ballot(poll, answers_for(poll, single=1, multiple=(0, 2, 3), rating=2), actor=people.citizen2)
    db.session.commit()
    figures = queries.results(poll)
    assert figures["ballots"] == 2
    single, multiple, rating, text = figures["questions"]
    assert [o["votes"] for o in single["options"]] == [1, 1, 0]
    assert [o["percent"] for o in single["options"]] == [50.0, 50.0, 0.0]
    assert [o["votes"] for o in multiple["options"]] == [2, 1, 1, 1]
    assert multiple["options"][0]["percent"] == 100.0
    assert rating["mean"] == 3.5 and rating["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert text["answered"] == 0


def test_text_answers_count_as_respondents_of_their_question_only(people, clock):
    poll = make_poll(people.department, people.staff)
    services.cast_ballot(poll, answers_for(poll, single=0, multiple=(1, 3), rating=4, text="建议延长办公时间"),
                         actor=people.citizen)
    services.cast_ballot(poll, answers_for(poll, single=0, multiple=(1, 2), rating=2, text="建议增加停车位"),
                         actor=people.citizen2)
    db.session.commit()
    cases = db.session.scalars(select(ModerationCase).where(ModerationCase.kind == "polls.text_answer")
                               .order_by(ModerationCase.id)).all()
    decide_case(cases[0], "approve", actor=people.moderator)  # one approved, one still pending: both answered
    db.session.commit()
    single, multiple, rating, text = queries.results(poll)["questions"]
    assert text["answered"] == text["respondents"] == 2 and text["texts"] == ["建议延长办公时间"]
    assert text["options"] == []
    assert single["respondents"] == 2 and [o["votes"] for o in single["options"]] == [2, 0, 0]
    assert multiple["respondents"] == 2 and [o["votes"] for o in multiple["options"]] == [0, 2, 1, 1]
    assert [o["percent"] for o in multiple["options"]] == [0.0, 100.0, 50.0, 50.0]
    assert rating["respondents"] == 2 and rating["mean"] == 3.0


def test_texts_are_public_only_once_approved_and_without_author(people, clock):
    poll = make_poll(people.department, people.staff)
    services.cast_ballot(poll, answers_for(poll, text="建议延长办公时间"), actor=people.citizen)
    services.cast_ballot(poll, answers_for(poll, text="建议增加停车位"), actor=people.citizen2)
    db.session.commit()
    assert queries.results(poll)["questions"][3]["texts"] == []
    cases = db.session.scalars(select(ModerationCase).where(ModerationCase.kind == "polls.text_answer")
                               .order_by(ModerationCase.id)).all()
    assert len(cases) == 2 and all(case.author_id is None for case in cases)
    decide_case(cases[0], "approve", actor=people.moderator)
    decide_case(cases[1], "reject", actor=people.moderator, reason="与调查无关")
    db.session.commit()
    assert queries.results(poll)["questions"][3]["texts"] == ["建议延长办公时间"]


def test_results_are_sealed_until_close_for_everyone_with_after_close(people, clock):
    poll = make_poll(people.department, people.staff)
    for user in (None, people.citizen, people.staff, people.admin):
        assert queries.results_refusal(poll, user) is not None
    services.close_poll(poll, actor=people.staff)
    assert queries.results_refusal(poll, None) is None


def test_live_results_are_public_while_open_and_staff_results_only_to_staff(people, clock):
    live = make_poll(people.department, people.staff, visibility="live")
    assert queries.results_refusal(live, None) is None
    staff_only = make_poll(people.department, people.staff, visibility="staff")
    assert queries.results_refusal(staff_only, people.citizen) is not None
    assert queries.results_refusal(staff_only, people.other_staff) is not None
    assert queries.results_refusal(staff_only, people.staff) is None


def test_close_early_withdraw_and_report(people, clock):
    poll = make_poll(people.department, people.staff)
    with pytest.raises(InvalidTransition):
        services.publish_report(poll, "综述", "采纳", actor=people.staff)
    services.close_poll(poll, actor=people.staff)
    assert poll.status == PollStatus.closed
    with pytest.raises(InvalidTransition):
        services.close_poll(poll, actor=people.staff)
    assert [p.id for p in db.session.scalars(queries.query_closed_without_report())] == [poll.id]
    with pytest.raises(ValidationFailed):
        services.publish_report(poll, " ", "采纳", actor=people.staff)
    services.publish_report(poll, "共收到答卷。", "采纳了延长时间的建议。", actor=people.staff)
    with pytest.raises(InvalidTransition):
        services.publish_report(poll, "再发一次", "采纳", actor=people.staff)
    assert list(db.session.scalars(queries.query_closed_without_report())) == []
    assert queries.count_polls_run() == 1
    with pytest.raises(Forbidden):
        services.withdraw_poll(poll, "违规", actor=people.staff)
    with pytest.raises(ValidationFailed):
        services.withdraw_poll(poll, "", actor=people.moderator)
    services.withdraw_poll(poll, "内容有误", actor=people.moderator)
    assert poll.status == PollStatus.withdrawn and poll.withdraw_reason == "内容有误"
    assert queries.count_polls_run() == 0
