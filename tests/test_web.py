"""Application-wide web behaviour: security headers, cookies, CSRF, preferences, home page, health.

Pages a test renders come from ``PAGES``; features may append their public pages to it.
"""

import gc
import re
from pathlib import Path

import pytest
from flask import request, session
from flask.ctx import RequestContext
from werkzeug.test import EnvironBuilder

from interaction.accounts.models import User
from interaction.core.db import db
from tests import factories
from tests.helpers import csrf_token, make_test_app

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/login", "/register", "/no-such-page"]


# Security headers ---------------------------------------------------------------------------------

def _csp(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", [*PAGES, "/api/v1/mailboxes", "/api/v1/nowhere", "/healthz"])
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    csp = _csp(response)
    assert csp, f"{url} has no Content-Security-Policy"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["default-src"] == "default-src 'self'"
    assert csp["object-src"] == "object-src 'none'"
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive, csp["default-src"]).split()[1:]
        assert all(s == "'self'" or s.startswith("'nonce-") for s in sources), csp[directive]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"strict-origin-when-cross-origin", "same-origin", "no-referrer"}


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.fixture
def production_app(monkeypatch, database_url, app):
    """A second app built as production builds it (INTERACTION_PRODUCTION=1), same database."""
    monkeypatch.setenv("INTERACTION_PRODUCTION", "1")
    production = make_test_app(database_url)
    yield production
    with production.app_context():
        db.engine.dispose()  # its own connection pool: do not leave PostgreSQL connections behind


def test_production_cookies_are_secure(production_app):
    config = production_app.config
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PREFERRED_URL_SCHEME"] == "https"

    client = production_app.test_client()
    response = client.get("/login", base_url="https://localhost")  # a form: its CSRF token opens a session
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session_cookie, session_cookie

    switched = client.post("/preferences/language", data={"lang": "en"},
                           base_url="https://localhost", headers={"Referer": "https://localhost/"})
    assert switched.status_code == 302
    lang_cookie = next(c for c in switched.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert "Secure" in lang_cookie


def test_development_cookies_are_not_marked_secure(app):
    assert app.config["SESSION_COOKIE_SECURE"] is False  # http://127.0.0.1:5000 must still keep its session


# CSRF ---------------------------------------------------------------------------------------------

def _session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


@pytest.mark.parametrize("url, data", [
    ("/login", {"email": "someone@example.com", "password": factories.PASSWORD}),
    ("/register", {"email": "new@example.com", "name": "新用户", "phone": "13800138000",
                   "password": factories.PASSWORD, "password_confirm": factories.PASSWORD}),
])
def test_page_post_without_csrf_token_is_refused(client, url, data):
    factories.make_user(email="someone@example.com")
    db.session.commit()
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert not _session_cookies(response), "refused: nobody signed in"
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1, "nobody registered"


def test_page_post_with_a_wrong_csrf_token_is_refused(client):
    csrf_token(client)
    assert client.post("/login", data={"email": "a@example.com", "password": "x", "csrf_token": "forged"}
                       ).status_code == 400


def test_signed_in_post_without_csrf_token_is_refused(client, login):
    login(factories.make_user(email="signed-in@example.com"))
    db.session.commit()
    assert client.post("/logout").status_code == 400
    assert "signed-in@example.com" in client.get("/account").get_data(as_text=True), "still signed in"


@pytest.mark.parametrize("url", ["/", "/no-such-page"])
def test_anonymous_pages_open_no_session(client, url):
    """A page without a form needing a token sets no cookie: no session, no CSRF token, no Set-Cookie."""
    response = client.get(url)
    assert not response.headers.getlist("Set-Cookie")
    html = response.get_data(as_text=True)
    assert 'name="csrf-token"' not in html and 'name="csrf_token"' not in html
    assert 'action="/preferences/language"' in html, "the preference forms are still offered"


def test_pages_with_a_form_and_signed_in_pages_carry_the_token(client, login):
    response = client.get("/login")
    assert _session_cookies(response), "the sign-in form's token lives in the session"
    assert 'name="csrf_token"' in response.get_data(as_text=True)

    login(factories.make_user(email="member@example.com"))
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert re.search(rf'action="/logout".*?name="csrf_token" value="{re.escape(token)}"', html, re.S)


@pytest.mark.parametrize("url, data", [
    ("/preferences/language", {"lang": "en"}),
    ("/preferences/large-text", {}),
])
def test_preferences_need_no_csrf_token_nor_session(client, url, data):
    """A display preference changes no data and acts for no account (core.web.PREFERENCE_ENDPOINTS)."""
    response = client.post(url, data=data)
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(("lang=", "large_text=")) for c in cookies)
    assert not _session_cookies(response)


def test_cookie_session_api_post_needs_csrf_but_bearer_does_not(app, client, login, api_token):
    user = factories.make_user(email="csrf@example.com")
    db.session.commit()
    headers = api_token("csrf@example.com", factories.PASSWORD)

    # A signed-in browser session: an API POST without the token could be a forged cross-site request.
    login(user)
    refused = client.post("/api/v1/auth/token", json={"email": "csrf@example.com", "password": "x"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    # With the page's token in X-CSRFToken the same session passes the CSRF check.
    accepted = client.post("/api/v1/auth/token", json={"email": "csrf@example.com", "password": factories.PASSWORD},
                           headers={"X-CSRFToken": csrf_token(client)})
    assert accepted.status_code == 200, accepted.get_json()

    # A bearer token carries no ambient credential: no CSRF token needed.
    bearer_client = app.test_client()
    response = bearer_client.delete("/api/v1/auth/token", headers=headers)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert bearer_client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_anonymous_api_post_needs_no_csrf(client):
    response = client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] != "csrf_failed"


# Preferences: language and large text --------------------------------------------------------------

def test_language_switch_sets_cookie_and_page_turns_english(client, post_form):
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN"' in home
    assert "跳到主要内容" in home

    response = post_form("/preferences/language", {"lang": "en", "next": "/?from=switch"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?from=switch"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie

    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Skip to main content" in page
    assert "跳到主要内容" not in page

    post_form("/preferences/language", {"lang": "zh_Hans_CN"})
    assert '<html lang="zh-CN"' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused(post_form):
    response = post_form("/preferences/language", {"lang": "xx"})
    assert response.status_code == 400
    assert "lang=" not in str(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1"])
def test_preferences_never_redirect_off_site(post_form, target):
    response = post_form("/preferences/language", {"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_preferences_go_back_to_the_referring_page_of_this_site(post_form):
    response = post_form("/preferences/large-text", {}, headers={"Referer": "http://localhost/login?next=%2F"})
    assert response.headers["Location"] == "/login?next=%2F"


def test_large_text_toggle_persists_and_marks_html(client, post_form):
    assert 'class="large-text"' not in client.get("/").get_data(as_text=True)

    response = post_form("/preferences/large-text", {"next": "/"})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("large_text="))
    assert cookie.startswith("large_text=1;") and "Max-Age=" in cookie

    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<html [^>]*class="large-text"', page)
    assert 'aria-pressed="true"' in page
    assert re.search(r'<html [^>]*class="large-text"', client.get("/no-such-page").get_data(as_text=True)), \
        "large text stays on for every page, error pages too"

    post_form("/preferences/large-text", {"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r'<html [^>]*class="large-text"', page)
    assert 'aria-pressed="false"' in page


def test_navigation_follows_the_user_and_the_language(client, login):
    """The navigation is built once per locale and set of visible links: each user still gets their own."""
    admin_link = '<a href="/admin/">'
    assert admin_link not in client.get("/").get_data(as_text=True)
    login(factories.make_user(role="admin", email="nav-admin@example.com"))
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f'{admin_link}管理</a>' in page
    client.set_cookie("lang", "en")
    assert f'{admin_link}Administration</a>' in client.get("/").get_data(as_text=True)
    login(factories.make_user(role="citizen", email="nav-citizen@example.com"))
    db.session.commit()
    assert "/admin/" not in client.get("/").get_data(as_text=True)
    client.delete_cookie("lang")
    login(factories.make_user(role="admin", email="nav-admin2@example.com"))
    db.session.commit()
    assert f'{admin_link}管理</a>' in client.get("/").get_data(as_text=True)


# Home page and health ------------------------------------------------------------------------------

def test_home_page_lists_the_channels_and_is_accessible(client, app):
    html = client.get("/").get_data(as_text=True)
    for channel in app.extensions.get("interaction.channels", []):
        assert str(channel.title) in html, f"channel {channel.endpoint} missing on the home page"
    body = html.split("<body", 1)[1]
    first_link = re.search(r"<a\b[^>]*>", body).group()
    assert 'class="skip-link"' in first_link and 'href="#main"' in first_link, "skip link must come first"
    assert re.search(r'<main id="main"', html)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert re.search(r'<nav [^>]*aria-label="主导航"', html)


def test_signed_in_user_sees_their_name(client, login):
    user = login(factories.make_user(name="张三丰"))
    html = client.get("/").get_data(as_text=True)
    assert "张三丰" in html
    assert isinstance(user, User)


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "realtime": "fast"}}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    broken = make_test_app(f"sqlite:///{tmp_path / 'missing-dir' / 'nope.db'}")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "checks": {"database": "down"}}


# Nothing from the internet; nothing CSP would block ----------------------------------------------

EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
ASSET_REFS = re.compile(r"<(script|link|img|iframe|source|video|audio)\b[^>]*?\b(src|href)\s*=\s*[\"']([^\"']*)", re.I)


@pytest.mark.parametrize("url", PAGES)
def test_rendered_pages_load_nothing_from_outside(client, url):
    html = client.get(url).get_data(as_text=True)
    external = [ref for _tag, _attr, ref in ASSET_REFS.findall(html) if EXTERNAL.match(ref)]
    assert not external, f"{url} loads from outside the site: {external}"


TEMPLATE_FILES = sorted((ROOT / "templates").rglob("*.html"))
STATIC_FILES = sorted(p for ext in ("css", "js") for p in (ROOT / "static").rglob(f"*.{ext}"))
STATIC_EXTERNAL = [
    re.compile(r"(url\(|@import)\s*[\"']?\s*(https?:)?//", re.I),  # CSS
    re.compile(r"\b(src|href)\s*=\s*[\"'](https?:)?//", re.I),  # markup in JS strings
    re.compile(r"\bimport\s*\(?\s*[\"'](https?:)?//", re.I),
    re.compile(r"\bfetch\s*\(\s*[\"']https?://", re.I),
    re.compile(r"//cdn", re.I),
]


def _rel(path):
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", TEMPLATE_FILES + STATIC_FILES, ids=_rel)
def test_sources_reference_nothing_from_outside(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    hits = [m.group() for m in ASSET_REFS.finditer(text) if EXTERNAL.match(m.group(3))]
    hits += [m.group() for pattern in STATIC_EXTERNAL for m in pattern.finditer(text)]
    assert not hits, f"{_rel(path)} refers to the internet (ship the file under static/vendor/ instead): {hits}"


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
EVENT_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"(href|action|src)\s*=\s*[\"']\s*javascript:", re.I)


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=_rel)
def test_templates_have_nothing_the_csp_blocks(path):
    text = path.read_text(encoding="utf-8")
    problems = [f"{name}: {m.group()[:80]}" for name, pattern in [
        ("inline <script>", INLINE_SCRIPT), ("style attribute", STYLE_ATTR), ("<style> block", STYLE_BLOCK),
        ("on* event attribute", EVENT_ATTR), ("javascript: URL", JS_URL),
    ] for m in pattern.finditer(text)]
    assert not problems, (
        f"{_rel(path)}: the Content-Security-Policy blocks these; put JS in static/js/<feature>.js "
        "and styles in static/css/site.css:\n  " + "\n  ".join(problems)
    )


def test_form_fields_carry_only_attributes_that_apply(client, post_form):
    import re

    html = client.get("/register").get_data(as_text=True)
    email = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert '"None"' not in html
    assert "aria-invalid" not in email
    assert 'aria-describedby="email-hint"' in email
    html = post_form("/register", {"email": "not an e-mail"}).get_data(as_text=True)
    email = re.search(r'<input[^>]*name="email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email
    assert 'aria-describedby="email-hint email-error"' in email


# How a request's transaction ends -------------------------------------------------------------------

@pytest.fixture
def transaction_ends(app):
    """``commit`` / ``rollback`` for each transaction the app's engine ends, in order."""
    from sqlalchemy import event

    ends = []

    def on_commit(_conn):
        ends.append("commit")

    def on_rollback(_conn):
        ends.append("rollback")

    event.listen(db.engine, "commit", on_commit)
    event.listen(db.engine, "rollback", on_rollback)
    yield ends
    event.remove(db.engine, "commit", on_commit)
    event.remove(db.engine, "rollback", on_rollback)


def _connection_state():
    """The session's connection: psycopg's autocommit mode (None on SQLite) and whether a transaction is open."""
    dbapi_connection = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name != "postgresql":
        return None, "INTRANS" if dbapi_connection.in_transaction else "IDLE"
    return dbapi_connection.autocommit, dbapi_connection.info.transaction_status.name


def test_reads_run_without_a_transaction_and_writes_in_one(app, client):
    """core.db: no BEGIN or COMMIT for a GET (both databases: SQLAlchemy's AUTOCOMMIT); other methods run in one."""
    seen = {}

    @app.route("/test-states", methods=["GET", "POST"])
    def states():
        db.session.execute(db.text("SELECT 1"))
        seen[request.method] = _connection_state()
        return "ok"

    db.session.commit()  # the test's connection goes back to the pool: the requests take their own
    assert client.get("/test-states").status_code == 200
    assert client.post("/test-states", data={"csrf_token": "-"}).status_code in (200, 400)
    if "POST" in seen:  # past the CSRF check (the test app may require a token)
        assert seen["POST"][1] == "INTRANS"
    client.get("/test-states")
    assert seen["GET"][1] == "IDLE"  # the query ran and nothing is open: no transaction to end (both databases)
    if db.engine.dialect.name == "postgresql":
        assert seen["GET"] == (True, "IDLE")
    assert not db.session().in_transaction()  # the GET's autocommit ended with it
    db.session.execute(db.text("SELECT 1"))
    assert _connection_state()[1] == "INTRANS"  # outside a GET: a transaction as usual
    db.session.rollback()


def test_psycopg_keeps_its_prepared_statements_across_read_requests(app, client, login):
    """A read ends with no ROLLBACK, which would make psycopg forget its prepared statements (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only (this suite also runs on PostgreSQL)")
    login(factories.make_user("citizen", email="prepared@example.com"))
    db.session.commit()
    for _ in range(6):  # the user's row: psycopg prepares a statement on the server from its fifth run
        assert client.get("/").status_code == 200
        db.session.remove()  # as a server ends a request: the session closes (a ROLLBACK, were a transaction open)
    statements = db.session.scalars(db.text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM users" in statement for statement in statements), statements


def test_a_get_that_writes_needs_no_call_and_its_writes_are_stored(app, client):
    """Nothing refuses a write: a GET's insert commits as it runs (AUTOCOMMIT), an ORM object with the commit."""
    from interaction.accounts.models import Department

    @app.get("/test-inserts-on-get")
    def inserts_on_get():
        db.session.execute(db.insert(Department).values(code="inserted-on-get", name="应保存", kind="department"))
        return "inserted"

    @app.get("/test-adds-on-get")
    def adds_on_get():
        db.session.add(Department(code="added-on-get", name="应保存", kind="department"))
        db.session.commit()
        return "added"

    db.session.commit()
    assert client.get("/test-inserts-on-get").status_code == 200
    assert client.get("/test-adds-on-get").status_code == 200
    db.session.rollback()  # as a server does: this test's session outlives the request
    codes = db.session.scalars(db.select(Department.code).where(Department.code.like("%-on-get"))
                               .order_by(Department.code)).all()
    assert codes == ["added-on-get", "inserted-on-get"]


def test_a_failed_read_request_is_not_committed(app, client, transaction_ends):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-fails")
    def fails():
        db.session.execute(db.text("SELECT 1"))
        raise RuntimeError("broken page")

    db.session.commit()
    assert client.get("/test-fails").status_code == 500
    assert "commit" not in transaction_ends


def test_requests_without_a_session_cookie_build_no_signer(app, client, login, monkeypatch):
    """Flask's session signer is made only for a cookie to verify or a session to save (core.cookie_session)."""
    user = factories.make_user(email="cookie@example.com")
    db.session.commit()
    built = []
    signer = app.session_interface.get_signing_serializer

    def counting(flask_app):
        built.append(request.path)
        return signer(flask_app)

    monkeypatch.setattr(app.session_interface, "get_signing_serializer", counting)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/mailboxes").status_code == 200
    assert built == [], "no cookie: nothing to verify, nothing to save"
    login(user)  # the test client writes a signed cookie session (the signer is made for that)
    built.clear()
    assert "cookie@example.com" in client.get("/account").get_data(as_text=True), "the cookie is read"
    assert "/account" in built


def test_a_request_without_a_cookie_header_opens_its_session_without_parsing_cookies(app):
    """A live viewer's socket events (a request context each) bring no Cookie header: nothing to parse."""
    with app.test_request_context("/socket.io/", query_string={"EIO": "4", "transport": "websocket"}):
        assert "HTTP_COOKIE" not in request.environ
        assert not session and "cookies" not in vars(request)  # werkzeug keeps what it parsed in the request
    with app.test_request_context("/", headers={"Cookie": "theme=large"}):
        assert not session and request.cookies["theme"] == "large"


@pytest.mark.parametrize("method, headers", [("GET", {}), ("POST", {}),
                                             ("GET", {"Upgrade": "websocket", "Connection": "Upgrade"})])
def test_a_socket_events_request_context_leaves_nothing_for_the_garbage_collector(app, method, headers):
    """Flask-SocketIO runs each event in a request context of the engine's URL: it matches a rule.

    Without one, the URL matching's NotFound was kept on the request with its traceback, whose frames
    held the request context: a reference cycle (~70 objects) per event of every viewer, that only
    the garbage collector freed.
    """
    environ = EnvironBuilder("/socket.io/", method=method, headers=headers,
                             query_string={"EIO": "4", "transport": "polling"}).get_environ()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept in gc.garbage to look at
    try:
        with app.request_context(environ):
            assert request.routing_exception is None and request.endpoint == "socketio"
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if isinstance(o, RequestContext | BaseException)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == [], "the request context was freed by reference counting"
    assert app.test_client().get("/socket.io/").status_code == 400  # still the engine's to answer (no EIO)
