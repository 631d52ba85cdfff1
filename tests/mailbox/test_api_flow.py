"""The letter's life through the API: submit, track, handle, reply, rate, rehandle, and every refusal."""

import logging

import pytest

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.mailbox.models import Letter, LetterEvent
from sqlalchemy import func, select

from tests.helpers import uncached_statements


def submit(client, payload, headers=None):
    response = client.post("/api/v1/letters", json=payload, headers=headers or {})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, number, headers, **body):
    return client.post(f"/api/v1/letters/{number}/actions", json=body, headers=headers)


def count_letters():
    return db.session.scalar(select(func.count()).select_from(Letter))


def test_a_submission_runs_only_statements_compiled_once(client, world, letter_payload, caplog):
    """The letter's insert (ON CONFLICT DO NOTHING RETURNING) and the rest are cached, not compiled per letter."""
    submit(client, letter_payload)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine.Engine")
    submit(client, dict(letter_payload, subject="第二封信"))
    assert any("INSERT INTO letters" in r.getMessage() for r in caplog.records)
    assert uncached_statements(caplog.records) == []


def test_submit_answers_number_code_and_deadline(client, world, letter_payload, outbox):
    data = submit(client, letter_payload)
    assert data["status"] == "submitted"
    number, code = data["number"], data["query_code"]
    assert len(number) == 10 and number[4] == "-" and number.startswith("2611")
    assert not set(number[5:] + code) & set("01OIL")
    assert len(code) == 8
    # Received Monday 2026-11-02 in Shanghai: 15 working days later is Monday 2026-11-23, end of day.
    assert data["due_at"] == "2026-11-23T23:59:59+08:00"
    assert data["accept_due_at"] == "2026-11-04T23:59:59+08:00"
    letter = db.session.scalar(select(Letter).filter_by(number=number))
    assert letter.query_code_hash != code and code not in letter.query_code_hash
    # The e-mail carries both number and code.
    assert len(outbox) == 1 and number in outbox[0].body and code in outbox[0].body
    assert outbox[0].to == ("wang@example.com",)


def test_writer_reads_letter_with_code(client, world, letter_payload):
    data = submit(client, letter_payload)
    response = client.get(f"/api/v1/letters/{data['number']}", query_string={"query_code": data["query_code"]})
    assert response.status_code == 200
    letter = response.get_json()
    assert letter["status"] == "submitted" and letter["overdue"] is False and letter["reply"] is None
    assert letter["department"] == "office"
    assert [e["action"] for e in letter["timeline"]] == ["submitted"]
    # Codes are read the way people type them: lower case, spaces.
    relaxed = data["query_code"].lower()[:4] + " " + data["query_code"].lower()[4:]
    assert client.get(f"/api/v1/letters/{data['number'].lower()}",
                      query_string={"query_code": relaxed}).status_code == 200


def test_wrong_code_and_unknown_number_answer_alike(client, world, letter_payload):
    data = submit(client, letter_payload)
    wrong = client.get(f"/api/v1/letters/{data['number']}", query_string={"query_code": "ABCDEFGH"})
    unknown = client.get("/api/v1/letters/2611-ZZZZZ", query_string={"query_code": data["query_code"]})
    missing = client.get(f"/api/v1/letters/{data['number']}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.get_json() == unknown.get_json() == missing.get_json()


def test_repeated_wrong_codes_are_rate_limited(client, world, letter_payload):
    data = submit(client, letter_payload)
    statuses = [client.get(f"/api/v1/letters/{data['number']}", query_string={"query_code": "WRONG234"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429, 429]
    assert client.get(f"/api/v1/letters/{data['number']}").get_json()["error"]["code"] == "rate_limited"


def test_successful_lookups_are_not_counted(client, world, letter_payload):
    data = submit(client, letter_payload)
    for _ in range(15):
        response = client.get(f"/api/v1/letters/{data['number']}", query_string={"query_code": data["query_code"]})
        assert response.status_code == 200


def test_full_flow_with_transfer_extension_and_rating(client, world, letter_payload, headers, outbox):
    data = submit(client, letter_payload)
    number = data["number"]
    office = headers(world.office_staff)
    assert act(client, number, office, action="accept").get_json()["status"] == "accepted"
    response = act(client, number, office, action="assign", department="edu")
    assert response.status_code == 200 and response.get_json()["department"] == "edu"
    assert any("edu@example.com" in m.to for m in outbox)
    # The office no longer handles it; education does.
    assert act(client, number, office, action="reply", body="答复").status_code == 404
    edu = headers(world.edu_staff)
    response = act(client, number, edu, action="transfer", department="police", reason="属于公安职责")
    assert response.status_code == 200
    moved = response.get_json()
    assert moved["status"] == "assigned" and moved["department"] == "police"
    assert moved["due_at"] == data["due_at"]  # the clock keeps running
    police = headers(world.police_staff)
    response = act(client, number, police, action="extend", workdays=5, reason="需要现场核查")
    assert response.status_code == 200
    assert response.get_json()["due_at"] == "2026-11-30T23:59:59+08:00"
    assert act(client, number, police, action="extend", workdays=1, reason="再延").status_code == 409
    response = act(client, number, police, action="reply", body="经核查，已责令施工单位整改。")
    assert response.status_code == 200 and response.get_json()["status"] == "replied"

    writer = client.get(f"/api/v1/letters/{number}", query_string={"query_code": data["query_code"]}).get_json()
    assert writer["reply"]["body"] == "经核查，已责令施工单位整改。"
    assert writer["reply"]["department"] == "police"
    actions = [e["action"] for e in writer["timeline"]]
    assert actions == ["submitted", "accepted", "assigned", "transferred", "extended", "replied"]
    transferred = writer["timeline"][3]
    assert transferred["note"] == "属于公安职责" and transferred["department"] == "police"
    assert all("actor" not in e and "王" not in str(e.get("note", "")) for e in writer["timeline"])

    rating = client.post(f"/api/v1/letters/{number}/rating",
                         json={"query_code": data["query_code"], "score": 4, "comment": "满意"})
    assert rating.status_code == 200 and rating.get_json()["rating"]["score"] == 4
    assert rating.get_json()["status"] == "rated"
    again = client.post(f"/api/v1/letters/{number}/rating", json={"query_code": data["query_code"], "score": 5})
    assert again.status_code == 409
    assert act(client, number, police, action="close").get_json()["status"] == "closed"


@pytest.mark.parametrize(("state_actions", "action", "body"), [
    ([], "assign", {"department": "edu"}),
    ([], "reply", {"body": "答复"}),
    ([], "transfer", {"department": "edu", "reason": "r"}),
    ([], "extend", {"workdays": 3, "reason": "r"}),
    ([], "close", {}),
    (["accept"], "accept", {}),
    (["accept"], "reject", {"reason": "r"}),
    (["accept"], "reply", {"body": "答复"}),
    (["accept"], "transfer", {"department": "edu", "reason": "r"}),
    (["accept", "assign"], "assign", {"department": "edu"}),
    (["accept", "assign"], "accept", {}),
    (["accept", "assign", "reply"], "reply", {"body": "再答复"}),
    (["accept", "assign", "reply"], "extend", {"workdays": 3, "reason": "r"}),
    (["reject"], "accept", {}),
    (["reject"], "reject", {"reason": "again"}),
])
def test_actions_in_the_wrong_state_are_409(client, world, letter_payload, headers, state_actions, action, body):
    data = submit(client, letter_payload)
    number = data["number"]
    admin = headers(world.admin)
    steps = {"accept": {}, "assign": {"department": "office"}, "reply": {"body": "答复"},
             "reject": {"reason": "不属于受理范围"}}
    for step in state_actions:
        assert act(client, number, admin, action=step, **steps[step]).status_code == 200
    before = db.session.scalar(select(func.count()).select_from(LetterEvent))
    status_before = client.get(f"/api/v1/letters/{number}", headers=admin).get_json()["status"]
    response = act(client, number, admin, action=action, **body)
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["code"] in {"invalid_state", "already_extended"}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LetterEvent)) == before
    assert client.get(f"/api/v1/letters/{number}", headers=admin).get_json()["status"] == status_before


def test_reject_shows_reason_to_writer(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    response = act(client, data["number"], headers(world.office_staff), action="reject", reason="不属于本信箱受理范围")
    assert response.get_json()["status"] == "rejected"
    writer = client.get(f"/api/v1/letters/{data['number']}", query_string={"query_code": data["query_code"]})
    body = writer.get_json()
    assert body["rejection_reason"] == "不属于本信箱受理范围"
    last = body["timeline"][-1]
    assert last == {"at": last["at"], "action": "rejected", "note": "不属于本信箱受理范围", "department": "office",
                    "department_name": "省政府办公厅"}


def test_reject_without_reason_is_422(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    response = act(client, data["number"], headers(world.office_staff), action="reject")
    assert response.status_code == 422 and "reason" in response.get_json()["error"]["fields"]


def test_staff_of_another_department_are_refused(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    number = data["number"]
    police = headers(world.police_staff)
    assert act(client, number, police, action="accept").status_code == 404  # as an unknown number
    # Reading it without the code: the same 404 as an unknown number.
    response = client.get(f"/api/v1/letters/{number}", headers=police)
    assert response.status_code == 404
    # Citizens are not staff at all.
    assert act(client, number, headers(world.citizen), action="accept").status_code == 403
    assert client.post(f"/api/v1/letters/{number}/actions", json={"action": "accept"}).status_code == 401


def test_staff_read_is_audited_and_shows_personal_data(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    response = client.get(f"/api/v1/letters/{data['number']}", headers=headers(world.office_staff))
    assert response.status_code == 200
    assert response.get_json()["writer"] == {"name": "王小明", "phone": "13812345678", "email": "wang@example.com"}
    entries = db.session.scalars(select(AuditEntry).filter_by(action="mailbox.view_personal_data")).all()
    assert [e.actor_id for e in entries] == [world.office_staff.id]


def test_unknown_action_and_department(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    admin = headers(world.admin)
    assert act(client, data["number"], admin, action="explode").status_code == 422
    act(client, data["number"], admin, action="accept")
    response = act(client, data["number"], admin, action="assign", department="nowhere")
    assert response.status_code == 422 and "department" in response.get_json()["error"]["fields"]
    assert act(client, "2611-ZZZZZ", admin, action="accept").status_code == 404


def test_extension_limits(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    admin = headers(world.admin)
    act(client, data["number"], admin, action="accept")
    response = act(client, data["number"], admin, action="extend", workdays=16, reason="太久")
    assert response.status_code == 422 and "workdays" in response.get_json()["error"]["fields"]
    assert act(client, data["number"], admin, action="extend", workdays=15, reason="复杂").status_code == 200


def test_transfer_three_times_flags_the_letter(client, world, letter_payload, headers):
    data = submit(client, letter_payload)
    admin = headers(world.admin)
    act(client, data["number"], admin, action="accept")
    act(client, data["number"], admin, action="assign", department="office")
    for target in ("edu", "police", "office"):
        response = act(client, data["number"], admin, action="transfer", department=target, reason="职责调整")
        assert response.status_code == 200
    body = response.get_json()
    assert body["transfer_count"] == 3 and body["flagged"] is True
    same = act(client, data["number"], admin, action="transfer", department="office", reason="x")
    assert same.status_code == 422


def reply_letter(client, world, payload, headers):
    data = submit(client, payload)
    admin = headers(world.admin)
    act(client, data["number"], admin, action="accept")
    act(client, data["number"], admin, action="assign", department="edu")
    act(client, data["number"], admin, action="reply", body="第一次答复")
    return data


def test_rating_before_reply_is_409_and_nothing_stored(client, world, letter_payload):
    data = submit(client, letter_payload)
    response = client.post(f"/api/v1/letters/{data['number']}/rating",
                           json={"query_code": data["query_code"], "score": 5})
    assert response.status_code == 409
    assert db.session.scalar(select(Letter.rating_score)) is None


def test_rating_needs_the_code_and_a_valid_score(client, world, letter_payload, headers):
    data = reply_letter(client, world, letter_payload, headers)
    url = f"/api/v1/letters/{data['number']}/rating"
    assert client.post(url, json={"query_code": "WRONG234", "score": 5}).status_code == 404
    response = client.post(url, json={"query_code": data["query_code"], "score": 6})
    assert response.status_code == 422 and "score" in response.get_json()["error"]["fields"]
    response = client.post(url, json={"query_code": data["query_code"]})
    assert response.status_code == 422
    # The three dimensions alone give the overall: mean 3.67 rounds to 4.
    response = client.post(url, json={"query_code": data["query_code"], "resolution": 3, "attitude": 4, "speed": 4})
    assert response.status_code == 200 and response.get_json()["rating"]["score"] == 4


def test_rehandle_once_after_a_low_score(client, world, letter_payload, headers, clock, outbox):
    data = reply_letter(client, world, letter_payload, headers)
    number, code = data["number"], data["query_code"]
    url = f"/api/v1/letters/{number}/rehandle"
    assert client.post(url, json={"query_code": code}).status_code == 409  # not rated yet
    client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code, "score": 2})
    clock.advance(days=1)  # Tuesday 2026-11-03
    response = client.post(url, json={"query_code": code, "reason": "问题没有解决"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "assigned" and body["department"] == "edu"
    assert body["due_at"] == "2026-11-24T23:59:59+08:00"
    assert body["reply"] is None
    first_reply = [e for e in body["timeline"] if e["action"] == "replied"]
    assert first_reply and first_reply[0]["reply"] == "第一次答复"
    admin = headers(world.admin)
    act(client, number, admin, action="reply", body="第二次答复")
    client.post(f"/api/v1/letters/{number}/rating", json={"query_code": code, "score": 1})
    assert client.post(url, json={"query_code": code}).status_code == 409  # only once


def test_rehandle_refused_for_a_good_score(client, world, letter_payload, headers):
    data = reply_letter(client, world, letter_payload, headers)
    client.post(f"/api/v1/letters/{data['number']}/rating", json={"query_code": data["query_code"], "score": 3})
    response = client.post(f"/api/v1/letters/{data['number']}/rehandle", json={"query_code": data["query_code"]})
    assert response.status_code == 409


@pytest.mark.parametrize(("change", "field"), [
    ({"body": "字" * 5001}, "body"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "138001380001"}, "phone"),
    ({"mailbox": "nowhere"}, "mailbox"),
    ({"category": "praise"}, "category"),
    ({"subject": ""}, "subject"),
    ({"name": "  "}, "name"),
    ({"email": "not-an-address"}, "email"),
])
def test_invalid_letters_are_422_and_not_stored(client, world, letter_payload, change, field):
    letter_payload.update(change)
    response = client.post("/api/v1/letters", json=letter_payload)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count_letters() == 0


def test_body_of_exactly_5000_characters_and_landline_are_accepted(client, world, letter_payload):
    letter_payload.update(body="字" * 5000, phone="0731-84567890")
    submit(client, letter_payload)


def test_malformed_json_is_400(client, world):
    response = client.post("/api/v1/letters", data="{", content_type="application/json")
    assert response.status_code == 400


def test_idempotency_key_makes_one_letter(client, world, letter_payload):
    key = {"Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/letters", json=letter_payload, headers=key)
    second = client.post("/api/v1/letters", json=letter_payload, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert count_letters() == 1


def test_signed_in_citizen_becomes_author(client, world, letter_payload, headers):
    auth = headers(world.citizen)
    data = submit(client, letter_payload, headers=auth)
    letter = db.session.scalar(select(Letter).filter_by(number=data["number"]))
    assert letter.author_id == world.citizen.id
    # The author reads it without the code.
    assert client.get(f"/api/v1/letters/{data['number']}", headers=auth).status_code == 200


def test_staff_register_a_posted_letter_with_past_receipt(client, world, letter_payload, headers):
    letter_payload.update(channel="post", received_at="2026-09-29T10:00:00+08:00")
    data = submit(client, letter_payload, headers=headers(world.office_staff))
    # Across the National Day holiday (Oct 1-7) and the make-up working day Saturday Oct 10.
    assert data["due_at"] == "2026-10-26T23:59:59+08:00"
    assert data["accept_due_at"] == "2026-10-08T23:59:59+08:00"
    assert data["channel"] == "post"


def test_register_refusals(client, world, letter_payload, headers):
    future = dict(letter_payload, channel="phone", received_at="2026-11-03T09:00:00+08:00")
    response = client.post("/api/v1/letters", json=future, headers=headers(world.office_staff))
    assert response.status_code == 422 and "received_at" in response.get_json()["error"]["fields"]
    past = dict(letter_payload, channel="phone", received_at="2026-10-30T09:00:00+08:00")
    # Staff of another department, and anonymous writers, may not register.
    assert client.post("/api/v1/letters", json=past, headers=headers(world.police_staff)).status_code == 403
    assert client.post("/api/v1/letters", json=past).status_code == 403
    bad = dict(letter_payload, channel="pigeon")
    assert client.post("/api/v1/letters", json=bad, headers=headers(world.office_staff)).status_code == 422
    assert count_letters() == 0


def test_list_letters_for_staff_and_admin(client, world, letter_payload, headers, clock):
    submit(client, letter_payload)
    submit(client, dict(letter_payload, mailbox="edu-head"))
    office = client.get("/api/v1/letters", headers=headers(world.office_staff)).get_json()
    assert office["total"] == 1 and office["items"][0]["department"] == "office"
    everything = client.get("/api/v1/letters", headers=headers(world.admin)).get_json()
    assert everything["total"] == 2
    assert client.get("/api/v1/letters", query_string={"overdue": "true"},
                      headers=headers(world.admin)).get_json()["total"] == 0
    clock.advance(days=22)  # Tuesday 2026-11-24: past the deadline, token still valid
    overdue = client.get("/api/v1/letters", query_string={"overdue": "true"}, headers=headers(world.admin))
    assert overdue.get_json()["total"] == 2 and overdue.get_json()["items"][0]["overdue"] is True
    assert client.get("/api/v1/letters", query_string={"status": "bogus"},
                      headers=headers(world.admin)).status_code == 422
    assert client.get("/api/v1/letters", headers=headers(world.citizen)).status_code == 403
