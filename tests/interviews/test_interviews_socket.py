"""The /interviews namespace with Flask-SocketIO's test client: the never-leak rule, rooms, replay, roles."""

import pytest
from sqlalchemy import select

from interaction.core.db import db
from interaction.core.extensions import socketio
from interaction.interviews import services
from interaction.interviews.models import LiveQuestion, QuestionState, TranscriptEntry
from tests.factories import make_interview
from tests.interviews.helpers import NS, emit, entries, join, received


def ask(client, interview_id, body="请问新区的营商环境有哪些改善措施？"):
    return emit(client, "ask", {"interview": interview_id, "body": body})


def approved_question(people, interview, sio, clock, body="请问新区的营商环境有哪些改善措施？"):
    """Ask as the citizen and approve as the moderator; returns the question id."""
    citizen = sio(people["citizen"])
    moderator = sio(people["moderator"])
    ack = ask(citizen, interview.id, body)
    assert ack["ok"], ack
    assert emit(moderator, "approve", {"question": ack["id"]})["ok"]
    clock.advance(seconds=31)
    return ack["id"]


def test_unapproved_questions_never_reach_viewers(people, interview, sio, clock):
    viewer, citizen, other, moderator = sio(), sio(people["citizen"]), sio(people["citizen2"]), sio(people["moderator"])
    guest = sio(people["official"])
    for client in (viewer, citizen, other, moderator, guest):
        join(client, interview.id)
    for client in (viewer, citizen, other, moderator, guest):
        received(client)

    ack = ask(citizen, interview.id, "一个还没审核的问题")
    assert ack == {"ok": True, "id": ack["id"], "state": "pending"}
    for client in (viewer, other, guest):
        assert all("一个还没审核的问题" not in str(e["args"]) for e in received(client)), "pending text leaked"
    assert [e["args"][0]["state"] for e in received(moderator, "question")] == ["pending"]
    mine = received(citizen, "my_question")
    assert mine and mine[0]["args"][0]["state"] == "pending" and "asker" not in mine[0]["args"][0]

    assert emit(moderator, "reject", {"question": ack["id"], "reason": "与主题无关"})["ok"]
    for client in (viewer, other, guest):
        assert all("一个还没审核的问题" not in str(e["args"]) for e in received(client)), "rejected text leaked"
    told = received(citizen, "my_question")[-1]["args"][0]
    assert told["state"] == "rejected" and told["reason"] == "与主题无关"
    assert db.session.scalar(select(TranscriptEntry).where(TranscriptEntry.interview_id == interview.id)) is None


def test_approval_reaches_viewers_of_that_interview_only(people, interview, sio, clock):
    other_interview = make_interview(people["department"], status="live", actor=people["moderator"])
    db.session.commit()
    here, there = sio(), sio()
    join(here, interview.id)
    join(there, other_interview.id)
    question_id = approved_question(people, interview, sio, clock, "只属于这场访谈的问题")
    got = entries(here)
    assert [(e["seq"], e["kind"], e["body"], e["question"]) for e in got] == [(1, "question", "只属于这场访谈的问题",
                                                                              question_id)]
    assert got[0]["at"].endswith("+08:00")
    assert entries(there) == []

    guest = sio(people["official"])
    join(guest, interview.id)
    ack = emit(guest, "answer", {"question": question_id, "body": "我们推出了一网通办。"})
    assert ack == {"ok": True, "seq": 2, "kind": "answer"}
    answer = entries(here)
    assert [(e["seq"], e["kind"], e["author"]) for e in answer] == [(2, "answer", "李明（发展改革委主任）")]
    assert entries(there) == []
    assert db.session.get(LiveQuestion, question_id).state == QuestionState.answered


def test_since_replay_is_exact_then_live(people, interview, sio, clock):
    host = sio(people["host"])
    join(host, interview.id)
    for n in range(1, 6):
        assert emit(host, "remark", {"interview": interview.id, "body": f"第{n}段主持词"})["ok"]

    late = sio()
    ack = join(late, interview.id, since=2)
    assert ack["last_seq"] == 5
    assert [e["seq"] for e in entries(late)] == [3, 4, 5]
    assert [e["body"] for e in entries(late)] == []  # drained above: nothing twice

    assert emit(host, "remark", {"interview": interview.id, "body": "第6段主持词"})["ok"]
    assert [e["seq"] for e in entries(late)] == [6]

    fresh = sio()
    join(fresh, interview.id)
    assert [e["seq"] for e in entries(fresh)] == [1, 2, 3, 4, 5, 6]
    assert [e["kind"] for e in entries(fresh)] == []

    ahead = sio()
    assert join(ahead, interview.id, since=999)["last_seq"] == 6
    assert entries(ahead) == []
    assert emit(host, "remark", {"interview": interview.id, "body": "第7段主持词"})["ok"]
    assert [e["seq"] for e in entries(ahead)] == [7]


def test_reconnect_gets_what_it_missed(people, interview, sio, clock):
    host = sio(people["host"])
    join(host, interview.id)
    viewer = sio()
    join(viewer, interview.id)
    emit(host, "remark", {"interview": interview.id, "body": "开场"})
    seen = [e["seq"] for e in entries(viewer)]
    viewer.disconnect(namespace=NS)
    emit(host, "remark", {"interview": interview.id, "body": "断线期间一"})
    emit(host, "remark", {"interview": interview.id, "body": "断线期间二"})
    again = sio()
    join(again, interview.id, since=seen[-1])
    assert [(e["seq"], e["body"]) for e in entries(again)] == [(2, "断线期间一"), (3, "断线期间二")]


@pytest.mark.parametrize("event, payload", [
    ("approve", lambda q, i: {"question": q}),
    ("reject", lambda q, i: {"question": q, "reason": "不行"}),
    ("pick", lambda q, i: {"question": q}),
    ("answer", lambda q, i: {"question": q, "body": "冒充嘉宾的回答"}),
    ("answer", lambda q, i: {"interview": i, "body": "冒充嘉宾的发言"}),
    ("remark", lambda q, i: {"interview": i, "body": "冒充主持人"}),
])
@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff"])
def test_citizens_cannot_send_moderator_or_guest_events(people, interview, sio, event, payload, who):
    asker = sio(people["citizen2"])
    question_id = ask(asker, interview.id)["id"]
    if event in ("pick", "answer") and "question" in payload(1, 1):
        services.approve_question(db.session.get(LiveQuestion, question_id), actor=people["moderator"])
        db.session.commit()
    client = sio(None if who == "anonymous" else people[who])
    join(client, interview.id)
    state_before = db.session.get(LiveQuestion, question_id).state
    entries_before = db.session.scalars(select(TranscriptEntry.seq)).all()
    received(client)
    ack = emit(client, event, payload(question_id, interview.id))
    assert ack["ok"] is False
    assert ack["error"] in {"forbidden", "unauthorized"}
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question_id).state == state_before
    assert db.session.scalars(select(TranscriptEntry.seq)).all() == entries_before
    assert received(client, "entry") == []


def test_demoted_moderator_loses_privileges_at_once(people, interview, sio, clock):
    moderator_user = people["moderator"]
    moderator = sio(moderator_user)
    join(moderator, interview.id)
    citizen = sio(people["citizen"])
    first = ask(citizen, interview.id, "第一个问题")["id"]
    assert [e["args"][0]["id"] for e in received(moderator, "question")] == [first]

    moderator_user.role = "citizen"
    db.session.commit()
    ack = emit(moderator, "approve", {"question": first})
    assert ack["ok"] is False and ack["error"] == "forbidden"
    clock.advance(seconds=31)
    ask(citizen, interview.id, "降级之后的新问题")
    assert received(moderator, "question") == [], "a demoted moderator still receives pending questions"
    assert db.session.get(LiveQuestion, first).state == QuestionState.pending


def test_signed_out_session_loses_privileges(people, interview, sio):
    moderator_user = people["moderator"]
    moderator = sio(moderator_user)
    join(moderator, interview.id)
    question_id = ask(sio(people["citizen"]), interview.id)["id"]
    moderator_user.session_version += 1  # what signing out everywhere does
    db.session.commit()
    assert emit(moderator, "approve", {"question": question_id})["error"] == "forbidden"


def test_ask_rate_limit_and_length(people, interview, sio, clock):
    citizen = sio(people["citizen"])
    assert ask(citizen, interview.id, "第一个问题")["ok"]
    clock.advance(seconds=20)
    second = ask(citizen, interview.id, "第二个问题")
    assert second["ok"] is False and second["error"] == "rate_limited"
    clock.advance(seconds=11)
    assert ask(citizen, interview.id, "第二个问题")["ok"]
    clock.advance(seconds=31)
    assert ask(citizen, interview.id, "问" * 500)["ok"]
    clock.advance(seconds=31)
    too_long = ask(citizen, interview.id, "问" * 501)
    assert too_long["ok"] is False and too_long["error"] in {"invalid_fields", "invalid_payload"}
    assert ask(citizen, interview.id, "   ")["error"] == "invalid_fields"
    assert db.session.scalar(select(db.func.count(LiveQuestion.id))) == 3


def test_screening_rejects_blocked_words(people, interview, sio):
    from interaction.moderation.services import add_sensitive_word

    add_sensitive_word("违禁词", "block", actor=people["admin"])
    db.session.commit()
    viewer, citizen, moderator = sio(), sio(people["citizen"]), sio(people["moderator"])
    for client in (viewer, citizen, moderator):
        join(client, interview.id)
    for client in (viewer, citizen, moderator):
        received(client)
    ack = ask(citizen, interview.id, "这里有违禁词")
    assert ack["ok"] is False and ack["error"] == "screening_rejected" and ack["message"]
    question = db.session.scalar(select(LiveQuestion))
    assert question.state == QuestionState.rejected and question.reject_reason
    assert received(viewer) == []
    assert [e["args"][0]["state"] for e in received(moderator, "question")] == ["rejected"]  # never pending
    assert received(citizen, "my_question")[-1]["args"][0]["state"] == "rejected"


def test_ask_in_ended_or_unknown_interview(people, sio):
    ended = make_interview(people["department"], status="ended", actor=people["moderator"])
    db.session.commit()
    citizen = sio(people["citizen"])
    assert ask(citizen, ended.id)["error"] == "interview_ended"
    assert ask(citizen, 99999)["error"] == "not_found"
    assert emit(citizen, "join", {"interview": 99999})["error"] == "not_found"
    assert db.session.scalar(select(LiveQuestion)) is None


def test_anonymous_cannot_ask_or_vote(people, interview, sio, clock):
    question_id = approved_question(people, interview, sio, clock)
    viewer = sio()
    assert ask(viewer, interview.id)["error"] == "unauthorized"
    assert emit(viewer, "upvote", {"question": question_id})["error"] == "unauthorized"


def test_upvotes_once_per_person_and_only_waiting_questions(people, interview, sio, clock):
    question_id = approved_question(people, interview, sio, clock)
    viewer = sio()
    join(viewer, interview.id)
    voter = sio(people["citizen2"])
    assert emit(voter, "upvote", {"question": question_id}) == {"ok": True, "id": question_id, "upvotes": 1}
    assert emit(voter, "upvote", {"question": question_id})["error"] == "already_voted"
    assert [e["args"][0]["upvotes"] for e in received(viewer, "votes")] == [1]
    pending_id = ask(voter, interview.id, "待审核的问题")["id"]
    assert emit(sio(people["citizen"]), "upvote", {"question": pending_id})["error"] == "not_waiting"
    assert db.session.get(LiveQuestion, question_id).upvotes == 1


def test_moderator_corrects_typos_before_approving(people, interview, sio):
    viewer, moderator = sio(), sio(people["moderator"])
    join(viewer, interview.id)
    question_id = ask(sio(people["citizen"]), interview.id, "请问新区的营商环镜？")["id"]
    assert emit(moderator, "approve", {"question": question_id, "body": "请问新区的营商环境？"})["ok"]
    assert [e["body"] for e in entries(viewer)] == ["请问新区的营商环境？"]
    question = db.session.get(LiveQuestion, question_id)
    assert question.original_body == "请问新区的营商环镜？"
    assert emit(moderator, "approve", {"question": question_id})["error"] == "already_decided"


def test_moderators_see_pending_questions_when_joining(people, interview, sio):
    citizen = sio(people["citizen"])
    question_id = ask(citizen, interview.id, "开播前的问题")["id"]
    moderator = sio(people["moderator"])
    ack = join(moderator, interview.id)
    assert ack["moderator"] is True
    assert [e["args"][0]["id"] for e in received(moderator, "question")] == [question_id]


def test_pick_and_host_remarks(people, interview, sio, clock):
    question_id = approved_question(people, interview, sio, clock)
    viewer, moderator, host = sio(), sio(people["moderator"]), sio(people["host"])
    join(viewer, interview.id)
    received(viewer)
    assert emit(moderator, "pick", {"question": question_id})["ok"]
    assert received(viewer, "next")[0]["args"][0] == {"interview": interview.id, "question": question_id}
    ack = emit(host, "remark", {"interview": interview.id, "body": "欢迎各位网友"})
    assert ack == {"ok": True, "seq": 2, "kind": "host"}
    assert emit(sio(people["official"]), "remark", {"interview": interview.id, "body": "嘉宾不是主持人"})[
        "error"] == "forbidden"


def test_shared_queue_approval_broadcasts_too(people, interview, sio):
    from interaction.moderation.models import ModerationCase
    from interaction.moderation.services import decide_case

    viewer = sio()
    join(viewer, interview.id)
    question_id = ask(sio(people["citizen"]), interview.id, "从审核队列通过的问题")["id"]
    case = db.session.scalar(select(ModerationCase).where(ModerationCase.target_id == str(question_id)))
    decide_case(case, "approve", actor=people["moderator"])
    assert entries(viewer) == []  # not before the commit
    db.session.commit()
    assert [e["body"] for e in entries(viewer)] == ["从审核队列通过的问题"]


def test_token_authentication(people, interview, sio, client):
    from tests.factories import PASSWORD

    response = client.post("/api/v1/auth/token", json={"email": "moderator@example.com", "password": PASSWORD})
    token = response.get_json()["token"]
    question_id = ask(sio(people["citizen"]), interview.id)["id"]
    moderator = sio(auth={"token": token})
    assert join(moderator, interview.id)["moderator"] is True
    assert emit(moderator, "approve", {"question": question_id})["ok"]
    refused = sio(auth={"token": "not-a-token"})
    assert not refused.is_connected(NS)
    weird = sio(auth={"token": ["x"]})
    assert not weird.is_connected(NS)


def test_presence_counts_viewers(people, interview, sio):
    first = sio()
    assert join(first, interview.id)["viewers"] == 1
    second = sio()
    join(second, interview.id)
    counts = [e["args"][0]["viewers"] for e in received(first, "presence")]
    assert counts[-1] == 2
    second.disconnect(namespace=NS)
    assert [e["args"][0]["viewers"] for e in received(first, "presence")][-1] == 1


def test_frames_are_utf8():
    from interaction.core.web import Utf8Json

    assert socketio.server.packet_class.json is Utf8Json
    assert Utf8Json.dumps({"body": "营商环境"}) == '{"body":"营商环境"}'


def test_a_connection_that_never_joins_is_closed_after_the_timeout_and_one_that_joined_is_not(app, interview, sio):
    import time

    from interaction.interviews import live

    manager = live.manager()
    manager.join_timeout = 30.0
    try:
        idle, watching = sio(), sio()
        join(watching, interview.id)
        now = time.monotonic()
        assert manager.disconnect_unjoined(now + 29) == []
        [late] = manager.disconnect_unjoined(now + 31)
        assert not idle.is_connected(NS) and watching.is_connected(NS)
        assert late not in manager._awaiting_join and manager.disconnect_unjoined(now + 3600) == []
    finally:
        manager.join_timeout = 0


def test_a_flood_of_connections_from_one_address_is_refused_while_other_addresses_connect(app, interview, sio):
    from interaction.interviews import live

    manager = live.manager()
    burst, rate = manager.connect_burst, manager.connect_rate
    manager.connect_burst, manager.connect_rate = 3, 0.001
    try:
        manager._connects.clear()
        first = [sio() for _ in range(3)]
        assert all(client.is_connected(NS) for client in first)
        flooding = sio()
        assert not flooding.is_connected(NS)  # the fourth from 127.0.0.1 is refused
        assert manager.allow_connect("203.0.113.7")  # another address keeps its whole budget
        assert all(manager.allow_connect("198.51.100.1") for _ in range(3))
        join(first[0], interview.id)  # those already connected are not slowed
    finally:
        manager.connect_burst, manager.connect_rate = burst, rate


def test_a_viewer_joining_a_room_whose_status_is_known_is_given_no_database_session(app, interview, sio):
    interview_id, status = interview.id, interview.status
    join(sio(), interview_id)  # the first join reads the interview's status; the next ones reuse it
    db.session.remove()
    ack = join(sio(), interview_id)
    assert ack["ok"] and ack["status"] == status
    assert not db.session.registry.has()


def test_joins_reuse_the_status_read_by_an_earlier_join_until_a_status_event_passes(app, people, interview, sio):
    from interaction.interviews import live

    manager = live.manager()
    manager.room_state_seconds = 60.0
    reads = []

    def read(interview_id):
        reads.append(interview_id)
        return ("live", None)

    try:
        assert manager.room_state(interview.id, read) == ("live", None)
        assert manager.room_state(interview.id, read) == ("live", None)
        assert reads == [interview.id]
        assert manager.room_state(10**9, lambda _id: None) is None  # no such interview: nothing kept
        # Ending the interview emits a status event, which every process's manager sees: joins read again.
        viewer = sio()
        join(viewer, interview.id)
        services.end_interview(interview, actor=people["moderator"])
        db.session.commit()
        ack = join(sio(), interview.id)
        assert ack["status"] == "ended"
    finally:
        manager.room_state_seconds = 1.0
