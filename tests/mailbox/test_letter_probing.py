"""Staff cannot learn which letter numbers exist: another department's letter answers as an unknown number."""

import pytest

from interaction.core.db import db
from tests.factories import make_letter

UNKNOWN = "2611-ZZZZZ"


@pytest.fixture
def letter_of_edu(world):
    letter, _code = make_letter(world.edu_box, subject="教育厅的信")
    db.session.commit()
    return letter.number


@pytest.mark.parametrize("action", [{"action": "accept"}, {"action": "reply", "body": "答复"},
                                    {"action": "reject", "reason": "不属于受理范围"}])
def test_api_actions_on_another_departments_letter_answer_as_an_unknown_number(
        client, world, headers, letter_of_edu, action):
    police = headers(world.police_staff)
    other = client.post(f"/api/v1/letters/{letter_of_edu}/actions", json=action, headers=police)
    unknown = client.post(f"/api/v1/letters/{UNKNOWN}/actions", json=action, headers=police)
    assert other.status_code == unknown.status_code == 404
    assert other.get_data() == unknown.get_data()
    own = client.post(f"/api/v1/letters/{letter_of_edu}/actions", json={"action": "accept"},
                      headers=headers(world.edu_staff))
    assert own.status_code == 200


def test_pages_of_another_departments_letter_answer_as_an_unknown_number(
        client, world, login, post_form, letter_of_edu):
    login(world.police_staff)
    for method, suffix in [("get", ""), ("post", "/accept"), ("post", "/close")]:
        def fetch(number, method=method, suffix=suffix):
            url = f"/mailbox/staff/letters/{number}{suffix}"
            return client.get(url) if method == "get" else post_form(url, {})
        other, unknown = fetch(letter_of_edu), fetch(UNKNOWN)
        assert other.status_code == unknown.status_code == 404, (method, suffix)
        assert _without_tokens(other).replace(letter_of_edu, UNKNOWN) == _without_tokens(unknown)


def _without_tokens(response) -> str:
    import re

    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*|(name="csrf-token" content=")[^"]*', r"\1\2",
                  response.get_data(as_text=True))
