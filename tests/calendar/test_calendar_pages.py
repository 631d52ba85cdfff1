"""The working-day calendar's administration page (its API is tested with the deadlines: tests/mailbox)."""

from interaction.core.calendar import CalendarYear
from interaction.core.db import db
from tests.factories import make_department, make_user


def text(response):
    return response.get_data(as_text=True)


def test_calendar_admin_page(client, login, post_form):
    admin, staff = make_user(role="admin"), make_user(role="staff", department=make_department())
    db.session.commit()
    login(admin)
    listing = text(client.get("/admin/calendar/"))
    assert "2027" in listing and "未录入" in listing
    assert '<a href="/admin/calendar/2027">' in listing
    response = post_form("/admin/calendar/2027", {"holidays": "2027-01-01\n2027-02-06", "workdays": ""})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/calendar/"
    assert db.session.get(CalendarYear, 2027).holidays == ["2027-01-01", "2027-02-06"]
    bad = post_form("/admin/calendar/2027", {"holidays": "2027-02-30", "workdays": ""})
    assert bad.status_code == 200 and "2027-02-30 不是真实的日期" in text(bad)
    assert client.get("/admin/calendar/1999").status_code == 404
    assert "/admin/calendar/" in text(client.get("/admin/"))  # listed on the administration index
    login(staff)
    assert client.get("/admin/calendar/").status_code == 403
    assert client.get("/admin/calendar/2027").status_code == 403
