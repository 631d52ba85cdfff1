"""Interview guests are entered as rows (issue 18, accessibility): name, title, role, account; no text to split."""

from interaction.core.db import db
from interaction.interviews.models import Interview

BASE = {"title": "按行填写嘉宾的访谈", "department": "dev", "scheduled_at": "2026-11-10T10:00",
        "expected_minutes": "60"}


def test_the_form_shows_rows_with_a_label_for_every_field(people, client, login):
    login(people["moderator"])
    html = client.get("/interviews/new").get_data(as_text=True)
    assert html.count('data-testid="guest-row"') == 4 and "<textarea" in html  # the description only
    for n in range(4):
        for name in ("name", "title", "role", "email"):
            assert f'for="guests-{n}-{name}"' in html and f'id="guests-{n}-{name}"' in html
    assert "|" not in html.split('id="guests"', 1)[1].split("</fieldset>")[-1]


def test_rows_are_checked_and_errors_stand_by_their_field(people, client, login, post_form):
    login(people["moderator"])
    response = post_form("/interviews/new", {**BASE, "guests-0-title": "主任"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="guests-0-name-error"' in html and "请填写姓名。" in html
    response = post_form("/interviews/new", {**BASE, "guests-0-name": "", "guests-1-name": ""})
    assert response.status_code == 422 and 'id="guests-error"' in response.get_data(as_text=True)
    response = post_form("/interviews/new", {**BASE, "guests-0-name": "李明", "guests-0-email": "nobody@example.com"})
    assert response.status_code == 422 and "nobody@example.com" in response.get_data(as_text=True)
    assert db.session.query(Interview).count() == 0
