"""The accounts API: tokens, registration, the signed-in user, bad input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from interaction.accounts.models import ApiToken, User
from interaction.core.db import db
from tests.factories import PASSWORD

REGISTRATION = {"email": "li.si@example.com", "password": "long enough pw", "name": "李四", "phone": "13912345678"}


def test_token_shape_me_and_revocation(app, client, people):
    response = client.post("/api/v1/auth/token", json={"email": " Staff@Example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"id": people["staff"].id, "email": "staff@example.com", "name": "工作人员乙",
                            "role": "staff", "department": "edu"}
    token = body["token"]
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only the SHA-256 is kept
    headers = {"Authorization": f"Bearer {token}"}

    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["email"] == "staff@example.com"

    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204  # no CSRF for bearer calls
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 401


def test_tokens_expire(app, client, clock, people, api_token):
    headers = api_token("citizen@example.com", PASSWORD)
    days = app.config["API_TOKEN_DAYS"]
    clock.advance(days=days, seconds=-1)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    clock.advance(seconds=1)
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_disabled_users_tokens_stop_working(client, people, api_token):
    headers = api_token("citizen@example.com", PASSWORD)
    people["citizen"].is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_wrong_credentials_are_401_with_one_message(client, people):
    unknown = client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "wrong pass"})
    wrong = client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": "wrong pass"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"


def test_register_creates_a_citizen(client):
    response = client.post("/api/v1/auth/register", json=REGISTRATION)
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("email", "name", "role", "department")} == {
        "email": "li.si@example.com", "name": "李四", "role": "citizen", "department": None}
    assert client.post("/api/v1/auth/token", json={"email": REGISTRATION["email"],
                                                   "password": REGISTRATION["password"]}).status_code == 200


def test_register_twice_is_409(client):
    assert client.post("/api/v1/auth/register", json=REGISTRATION).status_code == 201
    again = client.post("/api/v1/auth/register", json={**REGISTRATION, "email": "LI.SI@ＥＸＡＭＰＬＥ.com"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "email_taken"
    assert "fields" not in again.get_json()["error"]


def test_register_honours_idempotency_key(client):
    headers = {"Idempotency-Key": "k-1"}
    first = client.post("/api/v1/auth/register", json=REGISTRATION, headers=headers)
    second = client.post("/api/v1/auth/register", json=REGISTRATION, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("payload, fields", [
    ({}, {"email", "password", "name", "phone"}),
    ({**REGISTRATION, "email": "not an email"}, {"email"}),
    ({**REGISTRATION, "password": "short"}, {"password"}),
    ({**REGISTRATION, "password": "x" * 129}, {"password"}),
    ({**REGISTRATION, "phone": "110"}, {"phone"}),
    ({**REGISTRATION, "name": "名" * 51}, {"name"}),
    ({**REGISTRATION, "name": {"first": "李"}}, {"name"}),
    ({**REGISTRATION, "phone": ["138", ["00138000"]]}, {"phone"}),
])
def test_register_bad_fields_are_422(client, payload, fields):
    response = client.post("/api/v1/auth/register", json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields"
    assert set(error["fields"]) == fields
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("url", ["/api/v1/auth/register", "/api/v1/auth/token"])
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b""])
def test_malformed_json_is_400_json(client, url, body):
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]["code"] == "bad_request"


def test_token_missing_fields_are_422(client):
    response = client.post("/api/v1/auth/token", json={"email": "a@example.com"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"password"}


def test_html_name_is_kept_as_text(client):
    name = '<img src=x onerror="alert(1)">'
    response = client.post("/api/v1/auth/register", json={**REGISTRATION, "name": name})
    assert response.status_code == 201
    assert response.get_json()["name"] == name
    assert db.session.scalar(select(User.name)) == name


def test_cookie_session_api_calls_need_csrf(client, people, login):
    login(people["citizen"])
    assert client.get("/api/v1/auth/me").get_json()["email"] == "citizen@example.com"
    response = client.delete("/api/v1/auth/token")  # a cookie-authenticated unsafe call without a CSRF token
    assert response.status_code == 400 and response.is_json


def test_token_lifetime_follows_config(app, client, people):
    app.config["API_TOKEN_DAYS"] = 2
    client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": PASSWORD})
    token = db.session.scalar(select(ApiToken))
    assert token.expires_dt - token.created_dt == timedelta(days=2)
