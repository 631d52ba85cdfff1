"""Pages rendered again only when something they read changed: :func:`render_page`.

For the list pages opened on every request (an inbox, the supervision board, the public list):
rendering a hundred rows costs more than fetching them. The memo is a cachetools cache per app.
"""

import dataclasses
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum

from cachetools import LRUCache, TTLCache
from flask import Flask, current_app, get_flashed_messages, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

PAGE_MEMO_KEY = "interaction.page_memo"
#: Renderings each process keeps (the least recently used go first).
PAGE_MEMO_SIZE = 256


class _NotAValue(Exception):
    """A template context value compared by identity (an ORM object): a page showing it is not memoized."""


#: Types compared by value whose instances hold no other objects.
_SCALARS = frozenset({str, Markup, bytes, int, float, bool, type(None), date, datetime, time, timedelta, Decimal})


def _as_key(value):
    """*value* as a hashable value equal to another's exactly when the two show the same.

    Containers (dicts, lists, tuples, sets, dataclasses) are compared by their contents, in order;
    other objects by their own equality, if their type defines one with a hash (strings, numbers,
    dates, enums, SQLAlchemy's rows, lazy strings); an object compared only by identity (an ORM
    object) raises :class:`_NotAValue`.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if isinstance(value, tuple):
        if all(type(item) in _SCALARS for item in value):  # a row: the common case, checked in one pass
            return value if cls is tuple else (cls, value)
        return cls, tuple(_as_key(item) for item in value)
    if isinstance(value, list):
        return list, tuple(_as_key(item) for item in value)
    if isinstance(value, dict):
        return cls, tuple((_as_key(k), _as_key(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return frozenset, frozenset(_as_key(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return cls, tuple(_as_key(getattr(value, field.name)) for field in dataclasses.fields(value))
    if isinstance(value, Enum):  # one object per member
        return value
    if cls.__hash__ is None or cls.__eq__ is object.__eq__:
        raise _NotAValue(cls.__name__)
    return value


def _request_key() -> tuple:
    """What every page's layout (``base.html``) reads of the request and its user, as a memo key.

    The page's path with its query (the preference forms come back to it), its endpoint (the
    navigation marks it), the script root (every link), the text size and the locale; signed in,
    the user (id with session version, role: the navigation, name) and the session's CSRF token
    (the layout's sign-out form and meta tag carry one signed from it), so that a signed-in
    rendering is its session's own.
    """
    user = None
    if current_user.is_authenticated:
        field = current_app.config["WTF_CSRF_FIELD_NAME"]  # Flask-WTF's session key for the raw token
        user = (current_user.get_id(), current_user.role, current_user.name, session.get(field))
    return (request.full_path, request.endpoint, request.script_root, request.cookies.get("large_text") == "1",
            str(get_locale()), user)


def render_page(template: str, /, **context) -> str:
    """``render_template(template, **context)``, rendered again only when something the page reads changed.

    For the list pages opened on every request (an inbox, the supervision board, the public list):
    rendering a hundred rows costs more than fetching them. The page's queries still run on every
    request; what they return is the key. The key is everything the page reads: the template,
    every context value the view passes (by value: :func:`_as_key`) and what the layout reads of
    the request and its user (:func:`_request_key`); the context processors' values follow from
    those (the locale, the user's role). Such a page's template reads nothing else (no clock, no
    database): its view passes what it shows.

    Always rendered: a page with a flashed message (rendering consumes it), an anonymous visitor
    with a session (a form's token), a context holding an object compared by identity. A
    rendering that changed the session (gave it a CSRF token) is not kept: the key did not hold
    it. With a CSRF time limit, a rendering (and the token in it) is kept for a tenth of it.
    """
    if get_flashed_messages() or (session and not current_user.is_authenticated):
        return render_template(template, **context)
    if current_user.is_authenticated and current_app.config["WTF_CSRF_FIELD_NAME"] not in session:
        generate_csrf()  # the session's token first: it is part of the key
    try:
        key = (template, _as_key(context), _request_key())
    except _NotAValue:
        return render_template(template, **context)
    memo, lock = current_app.extensions[PAGE_MEMO_KEY]
    with lock:
        page = memo.get(key)
    if page is None:
        before = dict(session)
        page = render_template(template, **context)
        if dict(session) == before:
            with lock:
                memo[key] = page
    return page


def init_app(app: Flask) -> None:
    """The app's page memo (cachetools) and its lock: the last :data:`PAGE_MEMO_SIZE` renderings."""
    limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    memo = TTLCache(PAGE_MEMO_SIZE, ttl=limit / 10) if limit else LRUCache(PAGE_MEMO_SIZE)
    app.extensions[PAGE_MEMO_KEY] = memo, threading.Lock()
