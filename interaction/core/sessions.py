"""Flask's signed cookie sessions, with a cookie that verified once read from memory after that."""

import copy
import time

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from interaction.core.lru import app_lru

SESSION_MEMO_KEY = "interaction.session_cookies"
SESSION_MEMO_MAX = 4096


class MemoizedCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's sessions in a signed cookie; a cookie already verified is not verified and decoded again.

    Reading the cookie (a serializer with its derived key, base64, zlib, HMAC, tagged JSON) was
    ~8 % of a signed-in page, and a browser sends the same cookie until its session changes. The
    memo is keyed by the whole cookie, signature included, and holds only cookies that verified,
    with the time they were signed, so ``PERMANENT_SESSION_LIFETIME`` still ends them as Flask
    would; every request gets its own copy of the data. Per app and process, the last
    :data:`SESSION_MEMO_MAX` cookies. Writing the cookie is Flask's, unchanged.
    """

    def open_session(self, app: Flask, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not app.secret_key:
            return super().open_session(app, request)
        if not value:  # Flask's answer without its signing serializer, built for nothing (most API calls)
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        memo = app_lru(app, SESSION_MEMO_KEY, SESSION_MEMO_MAX)
        cached = memo.recall(value)
        if cached is None:
            serializer = self.get_signing_serializer(app)
            try:
                data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # tampered, signed with another key, or expired: a new session, as Flask's
                return self.session_class()
            cached = memo.keep(value, (data, int(signed_at.timestamp())))
        data, signed_at = cached
        age = int(time.time()) - signed_at
        if age > max_age or age < 0:  # itsdangerous's rule (SignatureExpired)
            memo.pop(value, None)
            return self.session_class()
        return self.session_class(copy.deepcopy(data))
