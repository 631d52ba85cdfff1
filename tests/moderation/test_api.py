"""The moderation API as API.md fixes it: list shape, decisions (200, 409, 422), word lists."""

import pytest
from sqlalchemy import select

from interaction.core.db import db
from interaction.moderation import services
from interaction.moderation.models import SensitiveWord
from tests.factories import PASSWORD, make_user
from tests.moderation.conftest import COMMENT, NOTE


@pytest.fixture
def headers(api_token):
    def _headers(role):
        user = make_user(role=role)
        db.session.commit()
        return api_token(user.email, PASSWORD)

    return _headers


def _case(kind=NOTE, target="1", text="请修路灯", author=None):
    case = services.submit_for_moderation(kind, target, text=text, author=author)
    db.session.commit()
    return case


def test_list_shape_and_filters(client, headers, test_kinds, clock):
    test_kinds["1"] = "请修路灯"
    first = _case()
    clock.advance(minutes=1)
    _case(kind=COMMENT, target="2")  # clean comment: approved automatically
    clock.advance(minutes=1)
    third = _case(target="gone")  # its target has vanished: "target" is null
    auth = headers("moderator")
    body = client.get("/api/v1/moderation/cases?state=pending", headers=auth).get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 2)
    assert [item["id"] for item in body["items"]] == [first.id, third.id]  # oldest first
    item = body["items"][0]
    assert {"id", "kind", "target", "state", "screening", "created_at", "decided_at", "reason"} <= set(item)
    assert item["kind"] == NOTE and item["state"] == "pending"
    assert item["target"] == {"title": "标题1", "text": "请修路灯", "url": None}
    assert item["screening"]["verdict"] == "pass" and item["created_at"] == "2026-11-02T10:00:00+08:00"
    assert item["decided_at"] is None and item["reason"] is None
    assert body["items"][1]["target"] is None
    approved = client.get("/api/v1/moderation/cases?state=approved", headers=auth).get_json()["items"]
    assert [(i["kind"], i["state"]) for i in approved] == [(COMMENT, "approved")]
    assert client.get(f"/api/v1/moderation/cases?kind={COMMENT}", headers=auth).get_json()["total"] == 1
    assert client.get("/api/v1/moderation/cases", headers=auth).get_json()["total"] == 3
    assert client.get("/api/v1/moderation/cases?state=odd", headers=auth).status_code == 422
    assert client.get("/api/v1/moderation/cases?per_page=1&page=2", headers=auth).get_json()["items"][0]["kind"] \
        == COMMENT


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("citizen", 403), ("staff", 403),
                                              ("moderator", 200), ("admin", 200)])
def test_who_may_read_and_decide(client, headers, test_kinds, role, status):
    case = _case()
    auth = headers(role) if role else {}
    assert client.get("/api/v1/moderation/cases", headers=auth).status_code == status
    response = client.post(f"/api/v1/moderation/cases/{case.id}/decision", json={"verdict": "approve"}, headers=auth)
    assert response.status_code == status
    if status != 200:
        assert response.get_json()["error"]["code"] in {"unauthorized", "forbidden"}


def test_decision_answers_with_the_case_and_twice_is_409(client, headers, test_kinds, decisions):
    case = _case()
    auth = headers("moderator")
    response = client.post(f"/api/v1/moderation/cases/{case.id}/decision",
                           json={"verdict": "reject", "reason": "含广告"}, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["state"], body["reason"]) == (case.id, "rejected", "含广告")
    assert body["decided_at"] == "2026-11-02T10:00:00+08:00" or body["decided_at"].endswith("+08:00")
    assert [d[2] for d in decisions] == ["rejected"]
    again = client.post(f"/api/v1/moderation/cases/{case.id}/decision", json={"verdict": "approve"}, headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_decided"


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"verdict": "maybe"}, 422, "verdict"), ({}, 422, "verdict"), ({"verdict": "reject"}, 422, "reason"),
    ({"verdict": "reject", "reason": "  "}, 422, "reason"), ({"verdict": ["approve"]}, 422, "verdict"),
    ({"verdict": {"x": 1}}, 422, "verdict"),
])
def test_bad_decisions_are_422(client, headers, test_kinds, payload, status, field):
    case = _case()
    response = client.post(f"/api/v1/moderation/cases/{case.id}/decision", json=payload, headers=headers("moderator"))
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(case)
    assert case.state == "pending"


def test_malformed_and_unknown(client, headers, test_kinds):
    auth = headers("moderator")
    case = _case()
    assert client.post(f"/api/v1/moderation/cases/{case.id}/decision", data="nope", headers=auth,
                       content_type="application/json").status_code == 400
    assert client.post("/api/v1/moderation/cases/999999/decision", json={"verdict": "approve"},
                       headers=auth).status_code == 404
    assert client.get(f"/api/v1/moderation/cases/{case.id}", headers=auth).get_json()["id"] == case.id


def test_bulk_decision(client, headers, test_kinds):
    cases = [_case(target=str(i)) for i in range(3)]
    auth = headers("moderator")
    client.post(f"/api/v1/moderation/cases/{cases[1].id}/decision", json={"verdict": "approve"}, headers=auth)
    response = client.post("/api/v1/moderation/cases/decision", headers=auth,
                           json={"ids": [c.id for c in cases], "verdict": "reject", "reason": "重复"})
    assert response.get_json() == {"decided": [cases[0].id, cases[2].id], "skipped": [cases[1].id]}
    assert client.post("/api/v1/moderation/cases/decision", headers=auth,
                       json={"ids": [], "verdict": "approve"}).status_code == 422


def test_author_sees_own_outcome_and_reason(client, headers, api_token, test_kinds):
    author = make_user()
    case = _case(author=author)
    services.decide_case(case, "reject", reason="请勿留电话", actor=None)
    db.session.commit()
    mine = client.get("/api/v1/moderation/mine", headers=api_token(author.email, PASSWORD)).get_json()
    assert [(i["id"], i["state"], i["reason"]) for i in mine["items"]] == [(case.id, "rejected", "请勿留电话")]
    assert client.get("/api/v1/moderation/mine", headers=headers("citizen")).get_json()["total"] == 0
    assert client.get("/api/v1/moderation/mine").status_code == 401


def test_word_endpoints(client, headers, test_kinds):
    assert client.get("/api/v1/moderation/words", headers=headers("moderator")).status_code == 403
    auth = headers("admin")
    created = client.post("/api/v1/moderation/words", json={"word": "甲乙", "list": "block"}, headers=auth)
    assert created.status_code == 201 and created.get_json()["word"] == "甲乙"
    assert client.post("/api/v1/moderation/words", json={"word": "甲乙", "list": "block"},
                       headers=auth).status_code == 409
    assert client.post("/api/v1/moderation/words", json={"word": "x", "list": "grey"}, headers=auth).status_code == 422
    bulk = client.post("/api/v1/moderation/words", json={"words": ["丙", "甲乙"], "list": "review"}, headers=auth)
    assert bulk.status_code == 201 and [w["word"] for w in bulk.get_json()["added"]] == ["丙", "甲乙"]
    listing = client.get("/api/v1/moderation/words?list=review", headers=auth).get_json()
    assert listing["total"] == 2 and {"id", "word", "list", "created_at"} <= set(listing["items"][0])
    assert _case(kind=COMMENT, text="甲-乙").state == "pending"  # moved to the review list: screened as such
    word_id = db.session.scalar(select(SensitiveWord.id).filter_by(word="丙"))
    assert client.delete(f"/api/v1/moderation/words/{word_id}", headers=auth).status_code == 204
    assert client.delete(f"/api/v1/moderation/words/{word_id}", headers=auth).status_code == 404
