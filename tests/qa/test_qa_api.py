"""The Q&A API exactly as API.md says: create, list, search, similar, one question, answer, me-too, reroute."""

import pytest
from sqlalchemy import func, select

from interaction.core.db import db
from interaction.qa.models import Question
from tests.qa.conftest import ask


@pytest.fixture
def tokens(qa, api_token):
    return {name: api_token(getattr(qa, name).email, qa.password)
            for name in ("citizen", "other", "edu_staff", "police_staff", "admin", "moderator")}


def _approve(client, tokens, question_id):
    cases = client.get("/api/v1/moderation/cases?state=pending&kind=qa.question", headers=tokens["moderator"])
    (case,) = [c for c in cases.get_json()["items"] if c["target_id"] == str(question_id)]
    response = client.post(f"/api/v1/moderation/cases/{case['id']}/decision", json={"verdict": "approve"},
                           headers=tokens["moderator"])
    assert response.status_code == 200, response.get_json()


def _ask(client, tokens, **fields):
    body = {"department": "edu", "kind": "question", "title": "外省转入小学需要哪些材料", "body": "请问需要准备什么？",
            **fields}
    response = client.post("/api/v1/questions", json=body, headers=tokens["citizen"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_asking_answers_201_pending_and_the_public_sees_it_once_approved(client, qa, tokens):
    created = _ask(client, tokens)
    assert created["status"] == "pending" and set(created) >= {"id", "status"}
    assert client.get(f"/api/v1/questions/{created['id']}").status_code == 404  # not yet public
    assert client.get("/api/v1/questions").get_json()["total"] == 0
    mine = client.get(f"/api/v1/questions/{created['id']}", headers=tokens["citizen"]).get_json()
    assert mine["status"] == "pending"
    _approve(client, tokens, created["id"])
    public = client.get(f"/api/v1/questions/{created['id']}")
    assert public.status_code == 200 and public.get_json()["status"] == "open"
    assert "moderation_reason" not in public.get_json()
    listed = client.get("/api/v1/questions").get_json()
    assert listed["total"] == 1 and listed["page"] == 1 and listed["items"][0]["id"] == created["id"]
    assert client.get("/api/v1/questions?q=转入小学").get_json()["items"][0]["id"] == created["id"]
    assert "<mark>" in client.get("/api/v1/questions?q=准备").get_json()["items"][0]["snippet"]
    assert client.get("/api/v1/questions?status=answered").get_json()["total"] == 0
    assert client.get("/api/v1/questions?department=police").get_json()["total"] == 0


def test_anonymous_cannot_ask_and_unknown_departments_are_422(client, qa, tokens):
    body = {"department": "edu", "kind": "question", "title": "标题", "body": "内容"}
    assert client.post("/api/v1/questions", json=body).status_code == 401
    response = client.post("/api/v1/questions", json={**body, "department": "nope"}, headers=tokens["citizen"])
    assert response.status_code == 422 and "department" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/questions", json={**body, "kind": "letter"}, headers=tokens["citizen"])
    assert response.status_code == 422 and "kind" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/questions", json={**body, "title": 5}, headers=tokens["citizen"])
    assert response.status_code == 422 and "title" in response.get_json()["error"]["fields"]
    assert client.get("/api/v1/questions?status=whatever").status_code == 422


def test_the_idempotency_key_creates_one_question(client, qa, tokens):
    body = {"department": "edu", "kind": "question", "title": "同一个问题", "body": "内容"}
    headers = {**tokens["citizen"], "Idempotency-Key": "ask-1"}
    first = client.post("/api/v1/questions", json=body, headers=headers)
    second = client.post("/api/v1/questions", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.get_json() == second.get_json()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 1


def test_answering_rules(client, qa, tokens):
    created = _ask(client, tokens)
    url = f"/api/v1/questions/{created['id']}/answer"
    assert client.post(url, json={"body": "答复"}, headers=tokens["edu_staff"]).status_code == 409  # pending
    _approve(client, tokens, created["id"])
    refused = client.post(url, json={"body": "答复"}, headers=tokens["police_staff"])
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.post(url, json={"body": "答复"}, headers=tokens["citizen"]).status_code == 403
    assert client.post(url, json={"body": 7}, headers=tokens["edu_staff"]).status_code == 422
    response = client.post(url, json={"body": "请携带户口簿到区教育局办理。"}, headers=tokens["edu_staff"])
    assert response.status_code == 201 and response.get_json()["state"] == "approved"
    assert client.post(url, json={"body": "再答"}, headers=tokens["edu_staff"]).status_code == 409
    edited = client.put(url, json={"body": "更正：到区教育局政务窗口办理。"}, headers=tokens["edu_staff"])
    assert edited.status_code == 200 and edited.get_json()["is_edit"] is True
    patched = client.patch(url, json={"body": "再更正。"}, headers=tokens["edu_staff"])
    assert patched.status_code == 200
    question = client.get(f"/api/v1/questions/{created['id']}").get_json()
    assert question["status"] == "answered" and question["answer"]["body"] == "再更正。"
    assert [h["body"] for h in question["history"]] == [
        "请携带户口簿到区教育局办理。", "更正：到区教育局政务窗口办理。", "再更正。"]
    assert client.get("/api/v1/questions?status=answered").get_json()["total"] == 1


def test_a_second_me_too_is_409(client, qa, tokens):
    created = _ask(client, tokens)
    url = f"/api/v1/questions/{created['id']}/me-too"
    assert client.post(url, headers=tokens["other"]).status_code == 404  # not public yet
    _approve(client, tokens, created["id"])
    assert client.post(url).status_code == 401
    first = client.post(url, headers=tokens["other"])
    assert first.status_code == 201 and first.get_json()["me_too_count"] == 1
    second = client.post(url, headers=tokens["other"])
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "already_me_too"
    helpful = client.post(f"/api/v1/questions/{created['id']}/helpful", headers=tokens["other"])
    assert helpful.status_code == 409  # not answered yet


def test_a_consultation_is_404_to_everyone_but_its_asker_and_department(client, qa, tokens):
    created = _ask(client, tokens, kind="consultation", title="灵活就业养老保险怎么缴")
    cases = client.get("/api/v1/moderation/cases?state=pending&kind=qa.question", headers=tokens["moderator"])
    assert cases.get_json()["items"][0]["target"]["url"] is None  # no page a moderator could open
    _approve(client, tokens, created["id"])
    url = f"/api/v1/questions/{created['id']}"
    assert client.get(url, headers=tokens["citizen"]).status_code == 200
    assert client.get(url, headers=tokens["edu_staff"]).status_code == 200
    assert client.get(url, headers=tokens["admin"]).status_code == 200
    for who in (None, "other", "police_staff", "moderator"):
        response = client.get(url, headers=tokens[who] if who else {})
        assert response.status_code == 404, who
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.post(f"{url}/answer", json={"body": "答"}, headers=tokens["police_staff"]).status_code == 404
    assert client.post(f"{url}/me-too", headers=tokens["other"]).status_code == 404
    assert client.get("/api/v1/questions").get_json()["total"] == 0
    assert client.get("/api/v1/questions?q=养老保险").get_json()["items"] == []
    assert client.get("/api/v1/questions/similar?text=养老保险怎么缴").get_json()["items"] == []
    assert client.get("/api/v1/questions/mine", headers=tokens["citizen"]).get_json()["total"] == 1


def test_similar_gives_up_to_five_published(client, qa, tokens, request_context):
    for n in range(7):
        ask(qa, title=f"小学转学材料问题{n}")
    db.session.commit()
    items = client.get("/api/v1/questions/similar?text=小学转学材料").get_json()["items"]
    assert 1 <= len(items) <= 5 and all("小学转学" in i["title"] for i in items)
    assert client.get("/api/v1/questions/similar?text=").get_json()["items"] == []


def test_reroute_is_admin_only_and_restarts_the_clock(client, qa, tokens, clock):
    created = _ask(client, tokens)
    _approve(client, tokens, created["id"])
    before = client.get(f"/api/v1/questions/{created['id']}").get_json()["due_at"]
    clock.advance(days=3)
    url = f"/api/v1/questions/{created['id']}/reroute"
    body = {"department": "police", "reason": "属于公安厅职责"}
    assert client.post(url, json=body, headers=tokens["edu_staff"]).status_code == 403
    assert client.post(url, json={**body, "department": 3}, headers=tokens["admin"]).status_code == 422
    response = client.post(url, json=body, headers=tokens["admin"])
    assert response.status_code == 200, response.get_json()
    moved = response.get_json()
    assert moved["department"] == "police" and moved["due_at"] > before and moved["reroute_count"] == 1
    answer = f"/api/v1/questions/{created['id']}/answer"
    assert client.post(answer, json={"body": "答"}, headers=tokens["edu_staff"]).status_code == 403
    assert client.post(answer, json={"body": "答"}, headers=tokens["police_staff"]).status_code == 201


def test_queue_faq_and_setting(client, qa, tokens):
    created = _ask(client, tokens)
    _approve(client, tokens, created["id"])
    queue = client.get("/api/v1/questions/queue", headers=tokens["edu_staff"]).get_json()
    assert [q["id"] for q in queue["items"]] == [created["id"]] and queue["items"][0]["workdays_waiting"] == 0
    assert client.get("/api/v1/questions/queue", headers=tokens["police_staff"]).get_json()["total"] == 0
    assert client.get("/api/v1/questions/queue", headers=tokens["citizen"]).status_code == 403
    assert client.get("/api/v1/questions/faq/edu").get_json() == {"department": "edu", "items": []}
    assert client.get("/api/v1/questions/faq/nope").status_code == 404
    setting = client.put("/api/v1/questions/settings/edu", json={"answers_need_review": True},
                         headers=tokens["admin"])
    assert setting.status_code == 200 and setting.get_json()["answers_need_review"] is True
    assert client.put("/api/v1/questions/settings/edu", json={"answers_need_review": "yes"},
                      headers=tokens["admin"]).status_code == 422
    answer = client.post(f"/api/v1/questions/{created['id']}/answer", json={"body": "答复"},
                         headers=tokens["edu_staff"])
    assert answer.status_code == 201 and answer.get_json()["state"] == "pending"
