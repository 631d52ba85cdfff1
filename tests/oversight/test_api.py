"""GET /api/v1/oversight/departments and /compliance: shape, who may see what, bad input (API.md "Oversight")."""

import pytest

from interaction.core.db import db
from tests.factories import PASSWORD, make_user


@pytest.fixture
def token(client, world, app):
    def _token(user):
        from interaction.accounts.services import issue_token

        with app.test_request_context():
            raw, _token = issue_token(db.session.merge(user))
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return _token


def test_departments_for_an_administrator(client, world, token):
    response = client.get("/api/v1/oversight/departments?from=2026-11-01&to=2026-11-30", headers=token(world.admin))
    assert response.status_code == 200
    body = response.get_json()
    assert body["from"] == "2026-11-01" and body["to"] == "2026-11-30"
    items = {item["department"]: item for item in body["items"]}
    edu = items["edu"]
    for key in ("department", "letters_received", "letters_replied", "reply_rate", "on_time_rate", "overdue_open",
                "avg_reply_workdays", "satisfaction_rate", "questions_answered"):
        assert key in edu
    assert (edu["letters_received"], edu["reply_rate"], edu["on_time_rate"]) == (4, 0.6667, 0.6667)
    assert items["cs"]["reply_rate"] is None and items["cs"]["letters_received"] == 0
    assert items["hn"]["rollup"]["letters_received"] == 5
    assert body["province"]["letters_received"] == 5
    assert set(body["unranked"]) == {"edu", "police"}


def test_the_description_shows_every_formula(client, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    description = spec["paths"]["/oversight/departments"]["get"]["description"]
    assert "on_time_rate = replied on time / (replied + still open past the deadline)" in description
    assert "questions_answered =" in description


def test_staff_see_only_their_own_department(client, world, token):
    headers = token(world.police_staff)
    body = client.get("/api/v1/oversight/departments?from=2026-11-01&to=2026-11-30", headers=headers).get_json()
    assert [item["department"] for item in body["items"]] == ["police"]
    assert body["province"] is None
    response = client.get("/api/v1/oversight/departments?department=edu", headers=headers)
    assert response.status_code == 403
    assert client.get("/api/v1/oversight/compliance", headers=headers).status_code == 403


def test_citizens_and_moderators_may_not_and_anonymous_must_sign_in(client, world, token):
    citizen = make_user("citizen", email="c@example.com", password=PASSWORD)
    db.session.commit()
    assert client.get("/api/v1/oversight/departments", headers=token(citizen)).status_code == 403
    assert client.get("/api/v1/oversight/departments", headers=token(world.moderator)).status_code == 403
    assert client.get("/api/v1/oversight/departments").status_code == 401
    assert client.get("/api/v1/oversight/compliance").status_code == 401


@pytest.mark.parametrize("query, field", [
    ("from=2026-11-30&to=2026-11-01", "from"),
    ("from=1900-01-01&to=2026-11-01", "from"),
    ("from=2000-01-01&to=2026-11-01", "to"),  # longer than ten years
    ("from=2026-13-01", "from"),
    ("to=tomorrow", "to"),
    ("to=", "to"),  # an API caller's empty date is no date (the page's empty box means "not set")
    ("from=&to=2026-11-01", "from"),
    ("to=%1E", "to"),  # only a blank (U+001E is one to Python): no date either (found by the API fuzz test)
    ("from=%20%20&to=2026-11-01", "from"),
    ("department=nope", "department"),
    ("period=decade", "period"),
    ("period=month&year=99999", "year"),
])
def test_bad_periods_are_422_naming_the_field(client, world, token, query, field):
    response = client.get(f"/api/v1/oversight/departments?{query}", headers=token(world.admin))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields" and field in error["fields"]


def test_compliance_checks(client, world, token):
    body = client.get("/api/v1/oversight/compliance", headers=token(world.admin)).get_json()
    codes = [check["code"] for check in body["checks"]]
    assert codes[0] == "unanswered_3_months"
    assert set(codes) >= {"unanswered_3_months", "no_reply_published_2_months", "transcript_missing",
                          "poll_report_missing"}
    assert all(isinstance(check["ok"], bool) and isinstance(check["items"], list) for check in body["checks"])
