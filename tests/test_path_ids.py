"""Integer ids in paths past what the database holds are 404 on every route (issue 13 item 3).

PostgreSQL's ``integer`` ends at 2**31 - 1 and SQLite's at 2**63 - 1; an id past them names no row,
and handing it to the database failed (a 500). One URL converter, the app's ``int``, refuses them
for every route, API and pages alike, so no view ever sees such an id.
"""

import re

import pytest
from werkzeug.exceptions import NotFound

from interaction.core.db import MAX_ID, db
from tests.factories import make_user
from tests.helpers import csrf_token

TOO_LARGE = [str(2**31), str(2**63), "1" + "0" * 30, "9" * 5000]


def _int_routes(app):
    """(rule, method) for every route with an ``<int:...>`` part, each method it answers."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            routes.extend((rule.rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def _fill(rule: str, value: int) -> str:
    return re.sub(r"<int:\w+>", str(value), rule)


def test_the_int_converter_stops_at_the_smaller_databases_range(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/api/v1/interviews/{MAX_ID}")[1] == {"interview_id": MAX_ID}
    for value in TOO_LARGE:
        with pytest.raises(NotFound):
            adapter.match(f"/api/v1/interviews/{value}")


def test_every_route_with_an_int_is_covered(app):
    """The routes the issue names are among those the converter guards (the list is not empty)."""
    rules = {rule for rule, _method in _int_routes(app)}
    for expected in ("/api/v1/interviews/<int:interview_id>", "/api/v1/interviews/questions/<int:question_id>/vote",
                     "/api/v1/moderation/words/<int:word_id>", "/interviews/<int:interview_id>",
                     "/moderation/cases/<int:case_id>"):
        assert expected in rules


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_ids_past_the_database_range_are_404_on_every_route(app, client, login, value):
    """Signed in as an administrator with a CSRF token, so no permission or CSRF check answers first."""
    login(make_user("admin", email="admin@example.com"))
    db.session.commit()
    token = csrf_token(client)
    failures = []
    for rule, method in _int_routes(app):
        url = _fill(rule, value)
        if url.startswith("/api/"):
            response = client.open(url, method=method, json={}, headers={"X-CSRFToken": token})
        else:
            response = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
        if response.status_code != 404:
            failures.append((method, url, response.status_code))
        if url.startswith("/api/"):
            assert response.mimetype == "application/json", (method, url)
    assert failures == []
