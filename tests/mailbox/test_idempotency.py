"""An ``Idempotency-Key`` belongs to its caller (API.md, Conventions; issue 13 item 1).

Signed in, the key is the user's; anonymous, the key counts together with a fingerprint of
method, path and body. A stored response is replayed only to the caller that caused it, and a
caller repeating a key with another body gets 422 ``idempotency_key_reused``.
"""

from sqlalchemy import func, select

from interaction.accounts.models import User
from interaction.core.db import db
from interaction.mailbox.models import Letter

LETTERS = "/api/v1/letters"
REGISTER = "/api/v1/auth/register"
KEY = {"Idempotency-Key": "order-1"}
REGISTRATION = {"email": "a@example.com", "password": "a-long-password-1", "name": "甲", "phone": "13800138000"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_another_anonymous_letter_with_the_same_key_is_never_given_the_first(client, world, letter_payload):
    first = client.post(LETTERS, json=letter_payload, headers=KEY)
    assert first.status_code == 201
    other = {**letter_payload, "name": "赵六", "phone": "13700137000", "subject": "另一封信"}
    second = client.post(LETTERS, json=other, headers=KEY)
    assert second.status_code in (201, 422), second.get_json()
    body = second.get_json()
    assert first.get_json()["number"] not in second.get_data(as_text=True)
    assert first.get_json()["query_code"] not in second.get_data(as_text=True)
    if second.status_code == 201:
        assert count(Letter) == 2
        letter = db.session.scalar(select(Letter).filter_by(number=body["number"]))
        assert letter.name == "赵六" and letter.subject == "另一封信"
    else:
        assert body["error"]["code"] == "idempotency_key_reused"


def test_an_anonymous_repeat_of_the_same_body_is_replayed(client, world, letter_payload):
    first = client.post(LETTERS, json=letter_payload, headers=KEY)
    second = client.post(LETTERS, json=letter_payload, headers=KEY)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert count(Letter) == 1


def test_another_anonymous_registration_with_the_same_key_gets_its_own_account(client):
    first = client.post(REGISTER, json=REGISTRATION, headers=KEY)
    assert first.status_code == 201
    other = {**REGISTRATION, "email": "b@example.com", "name": "乙", "phone": "13900139000"}
    second = client.post(REGISTER, json=other, headers=KEY)
    assert second.status_code in (201, 422), second.get_json()
    assert "a@example.com" not in second.get_data(as_text=True)
    assert first.get_json()["id"] != second.get_json().get("id")
    if second.status_code == 201:
        assert second.get_json()["email"] == "b@example.com"
        assert count(User) == 2


def test_a_signed_in_caller_reusing_a_key_with_another_body_gets_422(client, world, letter_payload, headers):
    auth = {**headers(world.citizen), **KEY}
    first = client.post(LETTERS, json=letter_payload, headers=auth)
    assert first.status_code == 201
    again = client.post(LETTERS, json=letter_payload, headers=auth)
    assert again.get_json() == first.get_json()
    changed = client.post(LETTERS, json={**letter_payload, "subject": "改了标题"}, headers=auth)
    assert changed.status_code == 422
    error = changed.get_json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert first.get_json()["number"] not in changed.get_data(as_text=True)
    assert count(Letter) == 1


def test_a_signed_in_callers_key_is_not_replayed_to_another_user(client, world, letter_payload, headers):
    first = client.post(LETTERS, json=letter_payload, headers={**headers(world.citizen), **KEY})
    second = client.post(LETTERS, json=letter_payload, headers={**headers(world.moderator), **KEY})
    anonymous = client.post(LETTERS, json=letter_payload, headers=KEY)
    assert first.status_code == second.status_code == anonymous.status_code == 201
    numbers = {r.get_json()["number"] for r in (first, second, anonymous)}
    assert len(numbers) == 3
    assert count(Letter) == 3


def test_the_same_key_on_another_path_is_another_request(client, world, letter_payload):
    letter = client.post(LETTERS, json=letter_payload, headers=KEY)
    account = client.post(REGISTER, json=REGISTRATION, headers=KEY)
    assert letter.status_code == account.status_code == 201
    assert "number" not in account.get_json()
