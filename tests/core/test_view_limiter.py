"""core.extensions.ViewLimiter: no every-request check while nothing limits every request; limits still hold."""

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from interaction.core.extensions import ViewLimiter


def _app(**limiter_options):
    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    limiter = ViewLimiter(key_func=get_remote_address, **limiter_options)
    pages = Blueprint("pages", __name__)

    @pages.get("/open")
    def open_page():
        return "open"

    @pages.get("/limited")
    @limiter.limit("2/minute")
    def limited_page():
        return "limited"

    app.register_blueprint(pages)
    limiter.init_app(app)
    return app, limiter


def _statuses(app, path, n=3):
    client = app.test_client()
    return [client.get(path).status_code for _ in range(n)]


def test_view_limits_hold_and_other_pages_skip_the_check(monkeypatch):
    app, limiter = _app()
    assert not limiter._limits_every_request()
    resolved = []  # the checks that reach Flask-Limiter's resolution of limits
    original = Limiter._check_request_limit

    def spy(self, callable_name=None, in_middleware=True):
        resolved.append(in_middleware)
        return original(self, callable_name=callable_name, in_middleware=in_middleware)

    monkeypatch.setattr(Limiter, "_check_request_limit", spy)
    assert _statuses(app, "/open", 5) == [200] * 5
    assert _statuses(app, "/limited") == [200, 200, 429]  # the decorator's own check
    assert resolved == [False] * 3  # one per limited request, from its decorator; none before requests


def test_default_and_application_limits_turn_the_check_on():
    app, limiter = _app(default_limits=["2/minute"])
    assert limiter._limits_every_request()
    assert _statuses(app, "/open") == [200, 200, 429]
    app, limiter = _app(application_limits=["3/minute"])
    assert limiter._limits_every_request()
    assert _statuses(app, "/open", 4) == [200, 200, 200, 429]
