"""The signed-cookie session, whose signer is made only when a request brings a session cookie."""

from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session (``app.session_interface``), opened without its signer when there is no cookie.

    Flask builds the session's signing serializer (itsdangerous: an HMAC key derived from the secret
    key) for every request before it looks for the cookie. Most requests bring none: API calls with a
    bearer token, the live room's socket events (each in a request context of its own, two per viewer
    who joins) and anonymous pages. They get a new, empty session, exactly as Flask would give them;
    the signer is made when there is a cookie to verify (Flask's own ``open_session``) or a session
    to save (``save_session``, unchanged).
    """

    def open_session(self, app, request):
        # Without a Cookie header at all (a socket.io client outside a browser, most API callers) the
        # cookies need not be parsed to know that the session one is missing.
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)
