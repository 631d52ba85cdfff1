"""Middleware around the whole app (core.wsgi): chunked bodies over the limit, Socket.IO's security headers."""

import io
import json
import os
import time

from tests.helpers import free_port, start_desk, stop_processes, wait_ready

LIMIT = 1024 * 1024
#: What gunicorn and gevent's server say of a chunked body they de-chunk themselves (Werkzeug's test
#: client does not de-chunk, so the test sends the body as those servers hand it to the app).
TERMINATED = {"wsgi.input_terminated": True}
CHUNKED = {"Transfer-Encoding": "chunked"}


def _json_body(size: int) -> bytes:
    body = json.dumps({"email": "a@example.com", "password": "x"}).encode()
    return body[:-2] + b"x" * (size - len(body)) + body[-2:]


def test_a_chunked_json_body_over_the_limit_is_413(client):
    body = _json_body(LIMIT + 1)
    response = client.post("/api/v1/auth/token", input_stream=io.BytesIO(body), content_type="application/json",
                           headers=CHUNKED, environ_overrides=TERMINATED)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_chunked_json_body_within_the_limit_is_read_whole(client):
    body = _json_body(LIMIT)
    response = client.post("/api/v1/auth/token", input_stream=io.BytesIO(body), content_type="application/json",
                           headers=CHUNKED, environ_overrides=TERMINATED)
    assert response.status_code == 422  # read whole and validated: a password too long, not a malformed body
    assert "password" in response.get_json()["error"]["fields"]


def test_a_chunked_form_over_the_limit_is_a_friendly_413(client):
    body = b"email=a%40example.com&password=" + b"x" * LIMIT
    response = client.post("/login", input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                           headers=CHUNKED, environ_overrides=TERMINATED)
    assert response.status_code == 413
    assert response.mimetype == "text/html"


PAGE_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


def test_the_socketio_handshake_carries_the_pages_security_headers(client):
    page = client.get("/")
    handshake = client.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status_code == 200 and handshake.get_data(as_text=True).startswith("0{")
    for name in PAGE_HEADERS:
        assert handshake.headers.get(name) == page.headers[name], name
    refused = client.get("/socket.io/?EIO=4&transport=nonsense")
    assert refused.status_code == 400
    assert all(name in refused.headers for name in PAGE_HEADERS)


def test_production_adds_hsts_to_socketio_too(database_url):
    from tests.helpers import make_test_app

    app = make_test_app(database_url, PRODUCTION=True)
    response = app.test_client().get("/socket.io/?EIO=4&transport=polling", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_real_server_answers_413_to_a_chunked_body_over_the_limit(tmp_path):
    import requests

    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'chunked.db'}", "INTERACTION_SECRET_KEY": "c-secret",
           "INTERACTION_RATELIMIT": "0"}
    env.pop("REDIS_URL", None)
    server = start_desk(port, env)
    try:
        wait_ready(port, server, time.monotonic() + 30)
        url = f"http://127.0.0.1:{port}/api/v1/auth/token"

        def chunks(total):
            body = _json_body(total)
            for start in range(0, len(body), 64 * 1024):
                yield body[start:start + 64 * 1024]

        big = requests.post(url, data=chunks(LIMIT + 1), headers={"Content-Type": "application/json"}, timeout=10)
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        handshake = requests.get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", timeout=10)
        assert handshake.headers["X-Frame-Options"] == "DENY"
    finally:
        stop_processes(server)
