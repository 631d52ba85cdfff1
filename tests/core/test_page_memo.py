"""core.pages.render_page: a page is rendered again exactly when something it reads changed.

The key is what the page reads: the template, every value its view passes, and what the layout
reads of the request and its user. Each test below changes one of those and sees the page change;
a request that changes nothing is served from the memo (no rendering).
"""

import re
from dataclasses import dataclass

import pytest
from flask import flash, render_template_string, template_rendered
from flask_babel import force_locale, refresh
from jinja2 import ChoiceLoader, DictLoader

from interaction.core.db import db
from interaction.core.pages import PAGE_MEMO_KEY, render_page
from tests.factories import make_user
from tests.helpers import make_test_app

PAGE = """{% extends "base.html" %}{% block content %}
<p id="shown">{{ rows|join(",") }} / {{ figures.total }} / {{ page.number }}</p>{% endblock %}"""


@dataclass
class Page:  # a dataclass is compared field by field, like core.pagination.CappedPage
    number: int
    items: list


class ByIdentity:  # an ORM object: equal only to itself
    def __str__(self):
        return "object"


@pytest.fixture
def page_app(app):
    """``/test-page`` and ``/test-page/other`` render PAGE from ``state``; ``renders`` lists each rendering."""
    second = PAGE.replace("<p id", '<p class="second" id')
    pages = DictLoader({"test_page.html": PAGE, "test_page_2.html": second})
    app.jinja_loader = ChoiceLoader([pages, app.jinja_loader])
    app.state = {"rows": ["甲", "乙"], "figures": {"total": 2}, "page": Page(1, [1, 2]), "template": "test_page.html"}

    @app.get("/test-page")
    def test_page():
        return render_page(app.state["template"], rows=app.state["rows"], figures=app.state["figures"],
                           page=app.state["page"])

    @app.get("/test-page/other")
    def test_page_other():
        return test_page()

    @app.get("/test-page/flash")
    def test_page_flash():
        flash("一条消息")
        return test_page()

    renders = []
    template_rendered.connect(lambda _app, template, context, **kw: renders.append(template.name), app,
                              weak=False)
    app.renders = renders
    return app


def _get(app, client, path="/test-page", **kwargs):
    """The page's HTML and whether this request rendered it."""
    before = len(app.renders)
    html = client.get(path, **kwargs).get_data(as_text=True)
    return html, len(app.renders) > before


def _settled(app, client, path="/test-page", **kwargs):
    """The page once it is in the memo: the next identical request renders nothing.

    A first signed-in request is rendered twice: the rendering that gave the session its CSRF
    token (and Flask-Login's first mark on it) changed the session, and such a rendering is not kept.
    """
    html, _ = _get(app, client, path, **kwargs)
    for _attempt in range(2):
        again, rendered = _get(app, client, path, **kwargs)
        if not rendered:
            assert again == html
            return html
        html = again
    raise AssertionError(f"{path} is rendered on every request")


def test_each_value_the_view_passes_is_part_of_the_key(page_app):
    client = page_app.test_client()
    first = _settled(page_app, client)
    assert "甲,乙 / 2 / 1" in first
    changes = [("rows", ["甲", "丙"], "甲,丙 / 2 / 1"), ("figures", {"total": 3}, "甲,丙 / 3 / 1"),
               ("page", Page(2, [1, 2]), "甲,丙 / 3 / 2")]
    for name, value, expected in changes:
        page_app.state[name] = value
        html, rendered = _get(page_app, client)
        assert rendered and expected in html, name
    page_app.state["page"] = Page(2, [1, 3])  # a field the template does not show: rendered anew all the same
    assert _get(page_app, client)[1]
    page_app.state["template"] = "test_page_2.html"
    html, rendered = _get(page_app, client)
    assert rendered and 'class="second"' in html


def test_what_the_layout_reads_of_the_request_is_part_of_the_key(page_app):
    client = page_app.test_client()
    home = _settled(page_app, client)
    query = _settled(page_app, client, "/test-page?q=路")
    assert 'name="next" value="/test-page?q=路"' in query and query != home
    other = _settled(page_app, client, "/test-page/other")  # another path and endpoint
    assert 'name="next" value="/test-page/other?"' in other
    client.set_cookie("large_text", "1")
    large = _settled(page_app, client)
    assert 'class="large-text"' in large and large != home
    client.set_cookie("lang", "en")
    english = _settled(page_app, client)
    assert "Home" in english and english != large
    client.delete_cookie("lang")
    client.delete_cookie("large_text")
    rooted = _settled(page_app, client, base_url="http://localhost/desk/")
    assert 'href="/desk/' in rooted and rooted != home
    assert _get(page_app, client)[0] == home


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def test_the_signed_in_user_and_session_are_part_of_the_key(page_app, client, login):
    citizen = make_user("citizen", email="c@example.com", name="李四")
    other = make_user("citizen", email="d@example.com")
    db.session.commit()
    anonymous = _settled(page_app, client)
    login(citizen)
    signed_in = _settled(page_app, client)
    assert "我的（李四）" in signed_in and signed_in != anonymous
    citizen.name = "改名的市民"
    db.session.commit()
    renamed = _settled(page_app, client)
    assert "我的（改名的市民）" in renamed
    citizen.role = "admin"
    db.session.commit()
    admin = _settled(page_app, client)
    assert 'href="/admin/"' in admin and 'href="/admin/"' not in renamed

    second = page_app.test_client()  # the same user in another session: its own token, its own rendering
    with second.session_transaction() as session:
        session["_user_id"] = citizen.get_id()
    theirs = _settled(page_app, second)
    assert CSRF_META.search(theirs).group(1) != CSRF_META.search(admin).group(1)
    login(other)
    assert "改名的市民" not in _settled(page_app, client)

    token = CSRF_META.search(_settled(page_app, second)).group(1)  # a remembered page's token passes the check
    assert second.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "登录" in _get(page_app, second)[0]


def test_flashes_sessions_of_anonymous_visitors_and_objects_compared_by_identity_are_always_rendered(page_app):
    client = page_app.test_client()
    _settled(page_app, client)
    html, rendered = _get(page_app, client, "/test-page/flash")
    assert rendered and "一条消息" in html
    html, rendered = _get(page_app, client)  # the message was shown once; its session is now empty
    assert "一条消息" not in html

    with client.session_transaction() as session:
        session["something"] = "a form's token"
    assert _get(page_app, client)[1] and _get(page_app, client)[1]

    page_app.state["rows"] = [ByIdentity()]
    anonymous = page_app.test_client()
    assert _get(page_app, anonymous)[1] and _get(page_app, anonymous)[1]


def test_the_memo_keeps_the_last_pages_used_and_a_time_limited_token_briefly(database_url):
    app = make_test_app(database_url, WTF_CSRF_TIME_LIMIT=3600)
    memo, _lock = app.extensions[PAGE_MEMO_KEY]
    assert memo.ttl == 360 and memo.maxsize == 256  # a remembered token is at most a tenth of its limit old
    app = make_test_app(database_url)
    memo, _lock = app.extensions[PAGE_MEMO_KEY]
    assert not hasattr(memo, "ttl")  # no time limit (the site's setting): least recently used first


def test_templates_translate_in_the_current_locale(app):
    """Flask-Babel's own template gettext: the request's locale, force_locale honoured."""
    with app.test_request_context():
        assert render_template_string("{{ _('首页') }}") == "首页"
        with force_locale("en"):
            assert render_template_string("{{ _('首页') }}") == "Home"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        refresh()  # the test's app context outlives its requests: forget the first one's locale
        assert render_template_string("{{ _('首页') }}") == "Home"
