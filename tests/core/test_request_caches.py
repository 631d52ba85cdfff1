"""What core.web looks up once (per request or per process) gives what the uncached lookups give."""

import re
import time

from flask import render_template_string, url_for
from flask_babel import force_locale, get_translations, refresh

from interaction.core.db import db
from tests.factories import make_user
from interaction.core.web import _WTFORMS_CATALOG, request_translations, template_url_for


def test_request_translations_follow_the_locale(app):
    with app.test_request_context():
        assert request_translations() is get_translations()
        assert request_translations().ugettext("首页") == "首页"
        with force_locale("en"):
            assert request_translations() is get_translations()
            assert request_translations().ugettext("首页") != "首页"
        assert request_translations().ugettext("首页") == "首页"  # back to the request's locale
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        refresh()  # the test's app context outlives its requests: forget the first one's locale
        assert render_template_string("{{ _('首页') }}") == request_translations().ugettext("首页") != "首页"


def test_template_url_for_gives_flask_urls(app):
    with app.test_request_context():
        for args in [("web.index", {}), ("static", {"filename": "css/site.css"}),
                     ("mailbox.staff_letter", {"number": "2611-ABCDE"}), ("web.index", {"_external": True})]:
            assert template_url_for(args[0], **args[1]) == url_for(args[0], **args[1])
            assert template_url_for(args[0], **args[1]) == url_for(args[0], **args[1])  # from the cache
    with app.test_request_context("/", base_url="http://localhost/desk/"):
        assert template_url_for("web.index") == url_for("web.index") == "/desk/"


def test_wtforms_messages_stay_translated(app):
    message = "Not a valid integer value."
    with app.test_request_context():
        chinese = _WTFORMS_CATALOG.ugettext(message)
        assert chinese != message
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        refresh()
        assert _WTFORMS_CATALOG.ugettext(message) == message


MEMO_TEMPLATE = "{% call memo(shown) %}{{ _('首页') }} {{ count() }} {{ url_for('web.index') }}{% endcall %}"


def test_memo_renders_a_block_once_per_shown_locale_and_script_root(app):
    calls = []

    def count():
        calls.append(1)
        return len(calls)

    def render(shown, **request):
        with app.test_request_context(**request):
            refresh()
            return render_template_string(MEMO_TEMPLATE, shown=shown, count=count)

    first = render(("rows", 1))
    assert first == "首页 1 /" and render(("rows", 1)) == first  # the same rows: rendered once
    assert render(("rows", 2)) == "首页 2 /"  # anything shown differs: rendered anew
    assert render(("rows", 1), headers={"Cookie": "lang=en"}).startswith("Home 3")  # another language
    assert render(("rows", 1), base_url="http://localhost/desk/") == "首页 4 /desk/"  # links under another root
    assert render(("rows", 1)) == first and len(calls) == 4


def test_memo_keeps_the_last_blocks_used(app, monkeypatch):
    from interaction.core import web

    monkeypatch.setattr(web, "FRAGMENT_MEMO_MAX", 2)
    with app.test_request_context():
        for shown in [1, 2, 1, 3]:  # 1 was used after 2: 2 is the one dropped
            render_template_string(MEMO_TEMPLATE, shown=shown, count=lambda: 0)
        kept = [key[1] for key in app.extensions[web.FRAGMENT_MEMO_KEY]]
    assert kept == [1, 3]


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def test_the_layout_token_is_signed_once_per_session_and_stays_valid(app, client, login, monkeypatch):
    """core.web.csrf_token: the same signed token on every page of a session; it passes the check; others differ."""
    from interaction.core import web

    citizen, staff = make_user("citizen", email="c@example.com"), make_user("staff", email="s@example.com")
    db.session.commit()
    login(citizen)
    first = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    assert CSRF_META.search(client.get("/mailbox/").get_data(as_text=True)).group(1) == first
    page = client.get("/mailbox/write").get_data(as_text=True)
    assert f'name="csrf_token" type="hidden" value="{first}"' in page  # the forms' token is the same one

    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = staff.get_id()
    assert CSRF_META.search(other.get("/").get_data(as_text=True)).group(1) != first

    response = client.post("/logout", data={"csrf_token": first})  # the reused token passes the check
    assert response.status_code == 302
    assert "登录" in client.get("/").get_data(as_text=True)

    # With a time limit, a token is reused only while younger than a tenth of it.
    login(citizen)
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    now = [1000.0]
    monkeypatch.setattr(web.time, "monotonic", lambda: now[0])
    start = time.time()  # the signatures' clock (cookies, tokens) moves with it
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: start + now[0] - 1000)
    fresh = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    now[0] += 300
    assert CSRF_META.search(client.get("/").get_data(as_text=True)).group(1) == fresh
    now[0] += 100
    newer = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    assert newer != fresh
    assert client.post("/logout", data={"csrf_token": newer}).status_code == 302


def test_the_header_follows_user_page_language_and_text_size(app, client, login):
    """core.web.header_memo: the header is memoized by everything it shows, so every change shows."""
    citizen = make_user("citizen", email="c@example.com", name="李四")
    db.session.commit()
    login(citizen)
    home = client.get("/").get_data(as_text=True)
    assert "我的（李四）" in home
    assert 'href="/mailbox/" aria-current="page"' in client.get("/mailbox/").get_data(as_text=True)
    citizen.name = "改名的市民"
    db.session.commit()
    assert "我的（改名的市民）" in client.get("/").get_data(as_text=True)
    public = client.get("/mailbox/public?q=路").get_data(as_text=True)
    assert 'name="next" value="/mailbox/public?q=路"' in public
    client.set_cookie("large_text", "1")
    assert "标准字号" in client.get("/").get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert "Sign out" in client.get("/").get_data(as_text=True)
    client.delete_cookie("lang")
    client.post("/logout", data={"csrf_token": CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)})
    home = client.get("/").get_data(as_text=True)
    assert "改名的市民" not in home and "登录" in home
