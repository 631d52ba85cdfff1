"""The polls API (API.md "Polls and surveys"): shapes, statuses, refusals, idempotency, bad input."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from interaction.accounts.services import issue_token
from interaction.core.db import db
from interaction.polls.models import Ballot, BallotAnswer, Poll
from tests.helpers import uncached_statements
from tests.polls.helpers import answers_for, make_poll

POLL = {"title": "公交线路优化意见征集", "description": "请提出您的意见。", "opens_at": "2026-11-02T09:00:00+08:00",
        "closes_at": "2026-11-20T18:00:00+08:00", "results_visibility": "after_close",
        "questions": [{"kind": "single", "prompt": "您常坐哪条线路？", "options": ["1路", "2路", "3路"]},
                      {"kind": "multiple", "prompt": "您希望改进哪些方面？", "options": ["班次", "站点", "票价"],
                       "min_choices": 1, "max_choices": 2},
                      {"kind": "rating", "prompt": "总体满意度"},
                      {"kind": "text", "prompt": "其他意见", "required": False}]}


@pytest.fixture
def tokens(app, people):
    with app.test_request_context():
        result = {name: {"Authorization": f"Bearer {issue_token(getattr(people, name))[0]}"}
                  for name in ("staff", "other_staff", "citizen", "citizen2", "moderator", "admin")}
        db.session.commit()
        return result


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_ballot_runs_only_statements_compiled_once(client, tokens, clock, caplog):
    """The ballot's insert (ON CONFLICT DO NOTHING RETURNING), its answers, moderation and audit are cached."""
    poll = client.post("/api/v1/polls", json=POLL, headers=tokens["staff"]).get_json()
    client.post(f"/api/v1/polls/{poll['id']}/publish", headers=tokens["staff"])
    q = poll["questions"]

    def ballot(text):
        return {"answers": [{"question": q[0]["id"], "options": [q[0]["options"][0]["id"]]},
                            {"question": q[1]["id"], "options": [q[1]["options"][1]["id"]]},
                            {"question": q[2]["id"], "value": 4}, {"question": q[3]["id"], "text": text}]}

    assert client.post(f"/api/v1/polls/{poll['id']}/ballots", json=ballot("多开夜班车"),
                       headers=tokens["citizen"]).status_code == 201
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine.Engine")
    assert client.post(f"/api/v1/polls/{poll['id']}/ballots", json=ballot("增加站点"),
                       headers=tokens["citizen2"]).status_code == 201
    assert any("INSERT INTO ballots" in r.getMessage() for r in caplog.records)
    assert uncached_statements(caplog.records) == []


def test_a_ballot_without_texts_is_one_statement_outside_a_transaction_on_postgresql(app, client, tokens, clock):
    """PostgreSQL: the ballot's row and its answers are one statement, sent without BEGIN or COMMIT around it;
    SQLite: the row, then the answers as one executemany (a loop in C), in a transaction of their own."""
    poll = client.post("/api/v1/polls", json=POLL, headers=tokens["staff"]).get_json()
    client.post(f"/api/v1/polls/{poll['id']}/publish", headers=tokens["staff"])
    q = poll["questions"]
    answers = [{"question": q[0]["id"], "options": [q[0]["options"][0]["id"]]},
               {"question": q[1]["id"], "options": [q[1]["options"][0]["id"], q[1]["options"][2]["id"]]},
               {"question": q[2]["id"], "value": 4}]
    sent = []

    def note(conn, _cursor, statement, _parameters, _context, executemany):
        if statement.lstrip().startswith(("INSERT", "WITH")):
            sent.append((statement.split()[0], executemany, conn.get_execution_options().get("isolation_level")))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.post(f"/api/v1/polls/{poll['id']}/ballots", json={"answers": answers},
                           headers=tokens["citizen"]).status_code == 201
        assert client.post(f"/api/v1/polls/{poll['id']}/ballots", json={"answers": answers},
                           headers=tokens["citizen"]).status_code == 409
    finally:
        event.remove(engine, "before_cursor_execute", note)
    stored = db.session.execute(select(BallotAnswer.question_id, BallotAnswer.option_id, BallotAnswer.value)).all()
    assert sorted(map(tuple, stored), key=repr) == sorted([
        (q[0]["id"], q[0]["options"][0]["id"], None), (q[1]["id"], q[1]["options"][0]["id"], None),
        (q[1]["id"], q[1]["options"][2]["id"], None), (q[2]["id"], None, 4)], key=repr)  # the second stored nothing
    if engine.dialect.name == "postgresql":
        assert sent == [("WITH", False, "AUTOCOMMIT")] * 2
    else:
        assert sent == [("INSERT", False, None), ("INSERT", True, None), ("INSERT", False, None)]


def test_a_ballot_that_answers_nothing_optional_is_stored_once(app, client, tokens, clock):
    """A poll whose questions are all optional: an empty ballot is a ballot (counted once), with no answer rows."""
    body = {**POLL, "questions": [{"kind": "text", "prompt": "其他建议", "required": False},
                                  {"kind": "rating", "prompt": "满意度", "required": False}]}
    poll = client.post("/api/v1/polls", json=body, headers=tokens["staff"]).get_json()
    assert client.post(f"/api/v1/polls/{poll['id']}/publish", headers=tokens["staff"]).status_code == 200
    url = f"/api/v1/polls/{poll['id']}/ballots"
    assert client.post(url, json={"answers": []}, headers=tokens["citizen"]).status_code == 201
    assert client.post(url, json={"answers": []}, headers=tokens["citizen"]).get_json()["error"]["code"] == \
        "already_voted"
    assert _count(Ballot) == 1
    assert _count(BallotAnswer) == 0


def test_staff_create_publish_and_citizens_vote(client, tokens, clock):
    response = client.post("/api/v1/polls", json=POLL, headers=tokens["staff"])
    assert response.status_code == 201, response.get_json()
    poll = response.get_json()
    assert poll["status"] == "draft" and poll["department"] == "edu"
    assert [q["kind"] for q in poll["questions"]] == ["single", "multiple", "rating", "text"]
    assert poll["questions"][0]["options"][0].keys() == {"id", "label"}
    assert client.get(f"/api/v1/polls/{poll['id']}").status_code == 404  # a draft is not public
    assert client.post(f"/api/v1/polls/{poll['id']}/publish", headers=tokens["other_staff"]).status_code == 404
    response = client.post(f"/api/v1/polls/{poll['id']}/publish", headers=tokens["staff"])
    assert response.status_code == 200 and response.get_json()["status"] == "open"
    assert client.get("/api/v1/polls").get_json()["total"] == 1
    q = poll["questions"]
    ballot = {"answers": [{"question": q[0]["id"], "options": [q[0]["options"][1]["id"]]},
                          {"question": q[1]["id"], "options": [q[1]["options"][0]["id"]]},
                          {"question": q[2]["id"], "value": 5},
                          {"question": q[3]["id"], "text": "增加夜班车"}]}
    response = client.post(f"/api/v1/polls/{poll['id']}/ballots", json=ballot, headers=tokens["citizen"])
    assert response.status_code == 201, response.get_json()
    response = client.post(f"/api/v1/polls/{poll['id']}/ballots", json=ballot, headers=tokens["citizen"])
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "already_voted"
    mine = client.get(f"/api/v1/polls/{poll['id']}/ballots/mine", headers=tokens["citizen"]).get_json()
    assert mine["voted"] and {"question": q[2]["id"], "value": 5} in mine["answers"]
    sealed = client.get(f"/api/v1/polls/{poll['id']}/results")
    assert sealed.status_code == 403 and sealed.get_json()["error"]["code"] == "results_sealed"
    assert sealed.get_json()["error"]["message"]
    assert client.post(f"/api/v1/polls/{poll['id']}/close", headers=tokens["staff"]).status_code == 200
    late = client.post(f"/api/v1/polls/{poll['id']}/ballots", json=ballot, headers=tokens["citizen2"])
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "poll_not_open"
    results = client.get(f"/api/v1/polls/{poll['id']}/results").get_json()
    assert results["ballots"] == 1
    assert results["questions"][0]["options"][1] == {**results["questions"][0]["options"][1], "votes": 1}
    assert results["questions"][2]["mean"] == 5
    report = {"summary": "共收到答卷 1 份。", "adoption": "采纳增加夜班车的建议。"}
    assert client.post(f"/api/v1/polls/{poll['id']}/report", json=report, headers=tokens["staff"]).status_code == 200
    assert client.get(f"/api/v1/polls/{poll['id']}").get_json()["report"]["adoption"] == report["adoption"]


def test_closing_before_opening_is_422(client, tokens):
    body = {**POLL, "closes_at": "2026-11-01T09:00:00+08:00"}
    response = client.post("/api/v1/polls", json=body, headers=tokens["staff"])
    assert response.status_code == 422 and "closes_at" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("change", "field"), [
    ({"questions": "none"}, "questions"),
    ({"questions": []}, "questions"),
    ({"questions": [5]}, "questions[0]"),
    ({"questions": [{"kind": "single", "prompt": "题", "options": "a,b"}]}, "questions[0].options"),
    ({"questions": [{"kind": "multiple", "prompt": "题", "options": ["a", "b"], "max_choices": "2"}]},
     "questions[0].max_choices"),
    ({"questions": [{"kind": 1, "prompt": "题"}]}, "questions[0].kind"),
    ({"results_visibility": "public"}, "results_visibility"),
    ({"opens_at": "tomorrow"}, "opens_at"),
    ({"title": ""}, "title"),
])
def test_bad_polls_are_422_naming_the_field(client, tokens, change, field):
    response = client.post("/api/v1/polls", json={**POLL, **change}, headers=tokens["staff"])
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert _count(Poll) == 0


def test_only_staff_and_admins_create(client, tokens):
    assert client.post("/api/v1/polls", json=POLL).status_code == 401
    assert client.post("/api/v1/polls", json=POLL, headers=tokens["citizen"]).status_code == 403
    assert client.post("/api/v1/polls", json=POLL, headers=tokens["moderator"]).status_code == 403
    assert client.post("/api/v1/polls", json=POLL, headers=tokens["admin"]).status_code == 422  # names no department
    response = client.post("/api/v1/polls", json={**POLL, "department": "police"}, headers=tokens["admin"])
    assert response.status_code == 201


def test_malformed_ballots_are_422_and_store_nothing(app, client, tokens, people, clock):
    with app.test_request_context():
        poll = make_poll(people.department, people.staff)
        good = answers_for(poll)
        single = poll.questions[0]
    url = f"/api/v1/polls/{poll.id}/ballots"
    for body in ({}, {"answers": None}, {"answers": "all"}, {"answers": [{"question": "1"}]},
                 {"answers": [{"question": single.id, "options": list(range(10_000))}, *good[1:]]},
                 {"answers": [good[0], good[0], *good[1:]]}, {"answers": good[1:]},
                 {"answers": [{"question": single.id, "options": [{"id": 1}]}, *good[1:]]}):
        response = client.post(url, json=body, headers=tokens["citizen"])
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["error"]["fields"]
    for raw in (b"[", b"[1, 2]", b'"answers"'):
        response = client.post(url, data=raw, content_type="application/json", headers=tokens["citizen"])
        assert response.status_code == 400
    assert (_count(Ballot), _count(BallotAnswer)) == (0, 0)
    assert client.post(url, json={"answers": good}, headers=tokens["citizen"]).status_code == 201


def test_ballots_honour_idempotency_keys(app, client, tokens, people, clock):
    with app.test_request_context():
        poll = make_poll(people.department, people.staff)
        good = answers_for(poll)
    headers = {**tokens["citizen"], "Idempotency-Key": "ballot-1"}
    first = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"answers": good}, headers=headers)
    again = client.post(f"/api/v1/polls/{poll.id}/ballots", json={"answers": good}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert _count(Ballot) == 1


def test_withdraw_needs_a_moderator_and_a_reason(app, client, tokens, people, clock):
    with app.test_request_context():
        poll = make_poll(people.department, people.staff)
    url = f"/api/v1/polls/{poll.id}/withdraw"
    assert client.post(url, json={"reason": "x"}, headers=tokens["staff"]).status_code == 403
    assert client.post(url, json={}, headers=tokens["moderator"]).status_code == 422
    response = client.post(url, json={"reason": "含有不实信息"}, headers=tokens["moderator"])
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert client.post(url, json={"reason": "again"}, headers=tokens["moderator"]).status_code == 409
    assert client.get(f"/api/v1/polls/{poll.id}/results").status_code == 403


def test_unknown_and_huge_ids_are_404(client, tokens):
    for url in ("/api/v1/polls/999", "/api/v1/polls/99999999999999999999", "/api/v1/polls/999/results"):
        assert client.get(url).status_code == 404
    for poll_id in (999, 2**31, 99999999999999999999):
        assert client.post(f"/api/v1/polls/{poll_id}/ballots", json={"answers": []},
                           headers=tokens["citizen"]).status_code == 404


def test_once_a_process_knows_a_poll_its_ballots_do_not_read_it_and_a_closed_poll_still_refuses(
        app, client, tokens, clock):
    """The second ballot on a poll reads no poll row (its rules are kept, the insert checks the window); after
    the poll closes behind the process's back (another process closed it), ballots are 409, bad ones too."""
    poll = client.post("/api/v1/polls", json=POLL, headers=tokens["staff"]).get_json()
    client.post(f"/api/v1/polls/{poll['id']}/publish", headers=tokens["staff"])
    url = f"/api/v1/polls/{poll['id']}/ballots"
    q = poll["questions"]
    answers = [{"question": q[0]["id"], "options": [q[0]["options"][0]["id"]]},
               {"question": q[1]["id"], "options": [q[1]["options"][0]["id"]]}, {"question": q[2]["id"], "value": 3}]
    assert client.post(url, json={"answers": answers}, headers=tokens["citizen"]).status_code == 201
    read = []

    def note(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip().startswith("SELECT") and "FROM polls" in statement:
            read.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.post(url, json={"answers": answers}, headers=tokens["citizen2"]).status_code == 201
        assert read == []
        closed = clock.now - timedelta(minutes=1)
        db.session.execute(update(Poll).where(Poll.id == poll["id"]).values(closes_dt=closed))
        db.session.commit()  # closed in the database only: this process's kept rules do not know
        late = client.post(url, json={"answers": answers}, headers=tokens["staff"])
        assert late.status_code == 409 and late.get_json()["error"]["code"] == "poll_not_open"
        bad = client.post(url, json={"answers": [{"question": q[2]["id"], "value": 9}]}, headers=tokens["staff"])
        assert bad.status_code == 409 and bad.get_json()["error"]["code"] == "poll_not_open"
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert _count(Ballot) == 2
