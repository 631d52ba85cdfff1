"""The interviews API (API.md "Live interviews"), the handover after the interview, the pages."""

import pytest
from sqlalchemy import select

from interaction.core.db import db
from interaction.core.signals import question_handed_over
from interaction.interviews import services
from interaction.interviews.models import Interview, LiveQuestion, QuestionState, TranscriptEntry
from tests.factories import PASSWORD, make_interview
from tests.interviews.helpers import entries, join, received

NEW = {
    "title": "优化营商环境在线访谈", "description": "听取企业和群众意见", "scheduled_at": "2026-11-10T10:00:00+08:00",
    "department": "dev",
    "guests": [{"name": "李明", "title": "主任", "user": "official@example.com"},
               {"name": "王芳", "title": "主持人", "role": "host"}],
}


@pytest.fixture
def token(client, people):
    def _token(who):
        response = client.post("/api/v1/auth/token", json={"email": f"{who}@example.com", "password": PASSWORD})
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _token


@pytest.mark.parametrize("who, status", [(None, 401), ("citizen", 403), ("staff", 403), ("moderator", 201),
                                         ("admin", 201)])
def test_who_may_schedule(client, token, who, status):
    response = client.post("/api/v1/interviews", json=NEW, headers=token(who) if who else {})
    assert response.status_code == status, response.get_json()


def test_schedule_start_end_and_read(client, token, clock):
    headers = token("moderator")
    created = client.post("/api/v1/interviews", json=NEW, headers=headers).get_json()
    assert created["status"] == "scheduled"
    assert created["scheduled_at"] == "2026-11-10T10:00:00+08:00"
    assert [(g["name"], g["role"], g["linked"]) for g in created["guests"]] == [("李明", "guest", True),
                                                                               ("王芳", "host", False)]
    interview_id = created["id"]
    assert client.post(f"/api/v1/interviews/{interview_id}/end", headers=headers).status_code == 409
    assert client.post(f"/api/v1/interviews/{interview_id}/start", headers=headers).get_json()["status"] == "live"
    assert client.post(f"/api/v1/interviews/{interview_id}/start", headers=headers).status_code == 409
    listing = client.get("/api/v1/interviews").get_json()
    assert listing["total"] == 1 and listing["items"][0]["status"] == "live"
    assert client.get(f"/api/v1/interviews/{interview_id}").get_json()["title"] == NEW["title"]
    assert client.post(f"/api/v1/interviews/{interview_id}/end", headers=headers).get_json()["status"] == "ended"
    assert client.get("/api/v1/interviews/999").status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"), ({"scheduled_at": "明天"}, "scheduled_at"), ({"department": "nope"}, "department"),
    ({"guests": []}, "guests"), ({"guests": [{"name": 1}]}, "guests"),
    ({"guests": [{"name": "甲", "title": "乙", "user": "nobody@example.com"}]}, "guests"),
    ({"title": ["x"]}, "title"),
])
def test_invalid_interviews_are_refused_field_by_field(client, token, change, field):
    response = client.post("/api/v1/interviews", json={**NEW, **change}, headers=token("moderator"))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_non_socket_clients_ask_approve_answer(client, token, people, interview, sio, clock):
    viewer = sio()
    join(viewer, interview.id)
    asked = client.post(f"/api/v1/interviews/{interview.id}/questions", json={"body": "通过接口提的问题"},
                        headers=token("citizen"))
    assert asked.status_code == 201 and asked.get_json()["state"] == "pending"
    question_id = asked.get_json()["id"]
    public = client.get(f"/api/v1/interviews/{interview.id}/questions").get_json()
    assert public["items"] == []  # pending questions are not public
    assert client.get(f"/api/v1/interviews/{interview.id}/transcript").get_json()["items"] == []
    assert client.post(f"/api/v1/interviews/questions/{question_id}/approve",
                       headers=token("citizen")).status_code == 403
    approved = client.post(f"/api/v1/interviews/questions/{question_id}/approve", json={},
                           headers=token("moderator"))
    assert approved.status_code == 200 and approved.get_json()["state"] == "approved"
    answered = client.post(f"/api/v1/interviews/{interview.id}/answers",
                           json={"question": question_id, "body": "这是答复。"}, headers=token("official"))
    assert answered.status_code == 201, answered.get_json()
    transcript = client.get(f"/api/v1/interviews/{interview.id}/transcript").get_json()
    assert [(e["seq"], e["kind"], e["body"]) for e in transcript["items"]] == [
        (1, "question", "通过接口提的问题"), (2, "answer", "这是答复。")]
    assert set(transcript["items"][0]) >= {"seq", "kind", "body", "at"}
    assert [e["seq"] for e in entries(viewer)] == [1, 2]
    since = client.get(f"/api/v1/interviews/{interview.id}/transcript?since=1").get_json()
    assert [e["seq"] for e in since["items"]] == [2]
    assert client.post(f"/api/v1/interviews/{interview.id}/answers", json={"body": "观众"},
                       headers=token("citizen")).status_code == 403
    assert client.post(f"/api/v1/interviews/{interview.id}/questions", json={"body": 5},
                       headers=token("citizen2")).status_code == 422


def test_ending_hands_over_unanswered_questions(people, interview, sio, clock):
    citizen = sio(people["citizen"])
    join(citizen, interview.id)
    answered_q = services.ask_question(interview, "已经回答的问题", actor=people["citizen"])
    services.approve_question(answered_q, actor=people["moderator"])
    services.answer(interview, "答复", actor=people["official"], question=answered_q)
    clock.advance(seconds=31)
    waiting = services.ask_question(interview, "来不及回答的问题", actor=people["citizen"])
    services.approve_question(waiting, actor=people["moderator"])
    clock.advance(seconds=31)
    pending = services.ask_question(interview, "还没审核的问题", actor=people["citizen"])
    db.session.commit()
    received(citizen)

    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)
        kwargs["handed_to"].append({"kind": "letter", "url": "/letters/track?number=X1", "number": "X1"})

    with question_handed_over.connected_to(receiver, sender="interviews"):
        services.end_interview(interview, actor=people["moderator"])
        db.session.commit()
    assert [(k["body"], k["reply_workdays"], k["department_id"], k["author_id"], k["source_ref"]) for k in sent] == [
        ("来不及回答的问题", 5, people["department"].id, people["citizen"].id, str(waiting.id))]
    db.session.expire_all()
    handed = db.session.get(LiveQuestion, waiting.id)
    assert handed.state == QuestionState.handed_over
    assert handed.handed_to == [{"kind": "letter", "url": "/letters/track?number=X1", "number": "X1"}]
    # Monday 2026-11-02 10:00 Shanghai + 5 working days = Monday 2026-11-09, end of day.
    assert handed.handover_due_dt.isoformat().startswith("2026-11-09T15:59:59")
    assert db.session.get(LiveQuestion, answered_q.id).state == QuestionState.answered
    assert db.session.get(LiveQuestion, pending.id).state == QuestionState.pending
    told = [e["args"][0] for e in received(citizen, "my_question")]
    assert told and told[-1]["state"] == "handed_over" and told[-1]["handed_to"][0]["number"] == "X1"


def test_handover_without_receivers_is_kept_for_the_department(people, interview, clock, client, login):
    question = services.ask_question(interview, "没人接收的问题", actor=people["citizen"])
    services.approve_question(question, actor=people["moderator"])
    services.end_interview(interview, actor=people["moderator"])
    db.session.commit()
    assert db.session.get(LiveQuestion, question.id).handed_to == []
    login(people["staff"])
    page = client.get("/interviews/handovers")
    assert page.status_code == 200 and "没人接收的问题" in page.get_data(as_text=True)
    login(people["citizen"])
    assert client.get("/interviews/handovers").status_code == 403
    mine = client.get("/interviews/mine").get_data(as_text=True)
    assert "没人接收的问题" in mine and "2026-11-09" in mine


def test_transcript_page_and_corrections(people, interview, client, login, clock):
    question = services.ask_question(interview, "实录里的问题", actor=people["citizen"])
    services.approve_question(question, actor=people["moderator"])
    services.answer(interview, "实录里的回答", actor=people["official"], question=question)
    db.session.commit()
    assert client.get(f"/interviews/{interview.id}/transcript").status_code == 404  # not before it ends
    services.end_interview(interview, actor=people["moderator"])
    db.session.commit()
    page = client.get(f"/interviews/{interview.id}/transcript").get_data(as_text=True)
    assert "实录里的问题" in page and "实录里的回答" in page and "李明" in page and "营商环境" in page
    login(people["moderator"])
    response = client.patch(f"/api/v1/interviews/{interview.id}/transcript/2",
                            json={"body": "更正后的回答", "reason": "错别字"},
                            headers={"X-CSRFToken": _csrf(client)})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["body"] == "更正后的回答"
    assert body["revisions"] == [{"body_before": "实录里的回答", "body_after": "更正后的回答", "reason": "错别字",
                                  "at": body["revisions"][0]["at"]}]
    login(people["citizen"])
    assert client.patch(f"/api/v1/interviews/{interview.id}/transcript/2", json={"body": "x", "reason": "y"},
                        headers={"X-CSRFToken": _csrf(client)}).status_code == 403
    assert db.session.scalar(select(TranscriptEntry.body).where(TranscriptEntry.seq == 2)) == "更正后的回答"


def _csrf(client):
    from tests.helpers import csrf_token

    return csrf_token(client)


def test_room_page_never_shows_pending_questions_to_the_public(people, interview, client, login):
    services.ask_question(interview, "页面上不应出现的待审问题", actor=people["citizen"])
    db.session.commit()
    public = client.get(f"/interviews/{interview.id}")
    assert public.status_code == 200
    assert "页面上不应出现的待审问题" not in public.get_data(as_text=True)
    login(people["citizen2"])
    assert "页面上不应出现的待审问题" not in client.get(f"/interviews/{interview.id}").get_data(as_text=True)
    login(people["moderator"])
    html = client.get(f"/interviews/{interview.id}").get_data(as_text=True)
    assert "页面上不应出现的待审问题" in html and 'id="pending-list"' in html


def test_pages_schedule_and_ask_without_javascript(people, client, login, post_form, clock):
    login(people["moderator"])
    response = post_form("/interviews/new", {"title": "页面安排的访谈", "department": "dev",
                                             "scheduled_at": "2026-11-10T10:00", "expected_minutes": "90",
                                             "guests-0-name": "李明", "guests-0-title": "主任",
                                             "guests-0-email": "official@example.com", "guests-0-role": "guest",
                                             "guests-1-name": "王芳", "guests-1-title": "记者", "guests-1-role": "host",
                                             "guests-2-name": "", "guests-2-title": "", "guests-2-role": "guest"})
    assert response.status_code == 302, response.get_data(as_text=True)
    interview_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    guests = db.session.get(Interview, interview_id).guests
    assert [(g.name, g.title, g.role, g.user_id is not None) for g in guests] == [
        ("李明", "主任", "guest", True), ("王芳", "记者", "host", False)]
    login(people["citizen"])
    assert post_form(f"/interviews/{interview_id}/questions", {"body": "预先提出的问题"}).status_code == 302
    question = db.session.scalar(select(LiveQuestion))
    assert question.is_pre_question and question.state == QuestionState.pending
    assert client.get("/interviews/").status_code == 200
    login(people["moderator"])
    response = post_form(f"/interviews/questions/{question.id}/approve", {"body": "预先提出的问题（已更正）"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question.id).state == QuestionState.approved


def test_listing_and_preview_for_everyone(people, client):
    make_interview(people["department"], actor=people["moderator"], title="下周的访谈")
    db.session.commit()
    assert "下周的访谈" in client.get("/interviews/").get_data(as_text=True)


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("data, status", [
    (b"", 200), (b"null", 200), (b"{}", 200),  # no fields: all of them are optional
    (b"false", 400), (b"0", 400), (b'""', 400), (b"[]", 400), (b"{", 400),  # not a JSON object: malformed
])
def test_optional_bodies_are_absent_or_an_object(client, token, people, interview, action, data, status):
    question = services.ask_question(interview, "没有正文也能审核吗？", actor=people["citizen"])
    db.session.commit()
    response = client.post(f"/api/v1/interviews/questions/{question.id}/{action}", data=data,
                           content_type="application/json", headers=token("moderator"))
    assert response.status_code == status, response.get_json()
