r"""The one check of where the site may send a browser back to (``next``, the referrer): no open redirect.

An open redirect helps phishing: a link on this site's domain that lands on another. Browsers are
lenient in what they take as "another host": ``//evil``, ``/\evil`` and ``\\evil`` all leave the
site, and they drop tabs and line breaks inside a URL (``/<tab>/evil`` is ``//evil``). Targets are
therefore refused, not repaired, and checked again after percent-decoding, in case some layer
between here and the browser decodes them (``/%2F%2Fevil``, ``/%5Cevil``).
"""

import re
from urllib.parse import unquote, urlsplit

from flask import has_request_context, request

# Control characters (browsers drop some of them inside URLs) and the backslash (read as "/").
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def _is_local_path(target: str) -> bool:
    """Whether *target* is a path on this site (``/...``), under every reading a browser might make."""
    for candidate in (target, unquote(target)):
        if not candidate.startswith("/") or candidate.startswith("//") or _UNSAFE.search(candidate):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None) -> str | None:
    """*target* if it leads to a page of this site, else None.

    A path (``/mailbox?page=2``) is kept as it is. A full URL naming this site's own host (as a
    browser's ``Referer`` does) becomes its path and query. Anything else (another host, a
    scheme-relative ``//host``, backslashes, control characters, their percent-encoded forms) is
    refused: the caller then uses its own default page.
    """
    if not target:
        return None
    if not target.startswith("/") and has_request_context():
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.netloc == request.host and not _UNSAFE.search(target):
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target if _is_local_path(target) else None
