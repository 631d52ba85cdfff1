"""WSGI middleware around the whole application (Flask and the Socket.IO engine alike).

Some requests never reach Flask's request cycle (``/socket.io/``: the engine answers them itself),
and some must be put right before Flask reads them (a chunked body). Both are done here, at the
WSGI level; :func:`interaction.core.web.init_socketio` installs them outermost.
"""

import io

from werkzeug.http import parse_set_header

#: Every page's Content-Security-Policy: nothing but this site's own scripts, styles and sockets.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(production: bool) -> tuple[tuple[str, str], ...]:
    """The security headers every response carries (HSTS only in production, which is served over HTTPS)."""
    headers = (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    )
    if production:
        headers += (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
    return headers


#: Where the Socket.IO engine answers (Flask-SocketIO's default path).
SOCKETIO_PATH = "/socket.io/"


def with_security_headers(wsgi_app, headers: tuple[tuple[str, str], ...], *, prefix: str = SOCKETIO_PATH):
    """Middleware: responses to paths under *prefix* get each of *headers* they do not already carry.

    The Socket.IO engine answers its polling transport (handshake, packets) outside Flask, so
    Flask's ``after_request`` (``core.web._security_headers``) never sees those responses.
    """

    def app(environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(prefix):
            return wsgi_app(environ, start_response)

        def start_with_headers(status, response_headers, exc_info=None):
            present = {name.lower() for name, _value in response_headers}
            missing = [(name, value) for name, value in headers if name.lower() not in present]
            return start_response(status, [*response_headers, *missing], exc_info)

        return wsgi_app(environ, start_with_headers)

    return app


def bounded_chunked_bodies(wsgi_app, max_bytes):
    """Middleware: a chunked request body is read (at most ``max_bytes() + 1`` bytes) and given a Content-Length.

    Werkzeug limits a body without ``Content-Length`` (``Transfer-Encoding: chunked``) by
    truncating it at ``MAX_CONTENT_LENGTH`` without a word: the view then read half a JSON
    document and answered 400, where a body over the limit must be 413. With the body buffered
    here and its real length declared, Flask checks it as any other and answers 413 before
    reading it. Only when the server says it ends the chunked stream itself
    (``wsgi.input_terminated``: gunicorn, gevent): on other servers Werkzeug reads no such body
    at all. *max_bytes* is called per request, so a test may change the app's limit.
    """

    def app(environ, start_response):
        limit = max_bytes()
        if (limit is not None and environ.get("wsgi.input_terminated")
                and "chunked" in parse_set_header(environ.get("HTTP_TRANSFER_ENCODING"))):
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            environ = {key: value for key, value in environ.items() if key != "HTTP_TRANSFER_ENCODING"}
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return wsgi_app(environ, start_response)

    return app


def _read_at_most(stream, size: int) -> bytes:
    """Up to *size* bytes of *stream*, fewer only at its end (a read may return less than asked)."""
    parts, remaining = [], size
    while remaining > 0:
        chunk = stream.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def decline_websocket_extensions(wsgi_app):
    """WSGI middleware: WebSocket handshakes reach Socket.IO without ``Sec-WebSocket-Extensions``.

    Why: under gevent the WebSocket server (simple-websocket over wsproto) accepts
    ``permessage-deflate`` whenever the client offers it (browsers and socket.io-client always
    do) and then deflates every frame separately for every viewer: a broadcast to 5,000 viewers
    is compressed 5,000 times (bench/interviews.py: ~60 % more CPU per delivery, ~2.5x the
    memory per connection). Node's socket.io declines it by default; so do we. simple-websocket
    builds the handshake it negotiates from the WSGI environ's ``HTTP_*`` keys and has no option
    for extensions, so the offer is taken out of the environ here (the response then names no
    extension, as RFC 6455 allows). ``SOCKETIO_WS_COMPRESSION = True`` (env INTERACTION_WS_COMPRESSION)
    keeps the library's behaviour.
    """

    def app(environ, start_response):
        if "HTTP_SEC_WEBSOCKET_EXTENSIONS" in environ and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            environ = {k: v for k, v in environ.items() if k != "HTTP_SEC_WEBSOCKET_EXTENSIONS"}
        return wsgi_app(environ, start_response)

    return app
