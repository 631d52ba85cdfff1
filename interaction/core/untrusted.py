r"""Strings that no column can store, found in untrusted input the same way wherever it comes from.

Two kinds of character reach a decoded JSON string (an HTTP body, a Socket.IO event) and then fail
only when written: a NUL (``\u0000``), which PostgreSQL refuses in text while SQLite keeps it, and a
lone UTF-16 surrogate (``\ud800``, an escape JSON allows), which cannot be encoded as UTF-8 at all,
so neither database driver can send it. Input holding either is refused when it arrives, as bad
input, never stored on one database and a server error on the other.

This module is pure: it knows neither Flask nor the database.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_unstorable(text: str) -> bool:
    """Whether *text* holds a NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def has_unstorable_text(value) -> bool:
    """Whether any string in a decoded JSON value, object keys included, holds a NUL or a lone surrogate.

    Iterative, so deeply nested input cannot exhaust the stack.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item) is not None:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
