"""The one place that turns untrusted text into HTML: the only module that imports bleach.

Services call these functions once, when they write a ``*_html`` field; templates print only those
fields with ``|safe``. Two inputs exist:

* ``clean_html``: rich text that staff write in an editor. An allow-list keeps paragraphs, lists,
  emphasis, quotes, small headings, simple tables and http/https/mailto links; everything else is
  stripped (its text is kept, its markup is not).
* ``plain_text_html``: what citizens type. It is never read as markup: it is escaped, line breaks
  become ``<br>`` and blank lines paragraphs, and http(s) URLs become links.

Every link, written or found, gets ``rel="nofollow noopener"`` so that the site lends no ranking to
spam and a linked page cannot reach back through ``window.opener``.

This module is pure: it knows neither Flask nor the database.
"""

from __future__ import annotations

import html
import re
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    "p br strong em ul ol li a blockquote h3 h4 table caption thead tbody tr th td".split()
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "th": ["colspan", "rowspan"], "td": ["colspan", "rowspan"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Only URLs written with their scheme are linked, and only their ASCII characters: Chinese text runs
# straight on before and after a URL ("详见https://example.gov.cn/a。谢谢"), which bleach's default
# pattern, made for space-separated words, gets wrong. Trailing punctuation is left out of the link.
URL_RE = re.compile(
    r"(?<![A-Za-z0-9])https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]*[A-Za-z0-9\-_~/#=&%+]", re.IGNORECASE
)

# Characters an HTML parser does not keep (controls other than line breaks and tabs, noncharacters):
# plain text shows U+FFFD in their place.
_REWRITTEN_BY_PARSER = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)) + "]"
)

_ABSOLUTE_URL = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n\s*")


def _set_rel(attrs: dict, new: bool = False) -> dict | None:
    """Give each link a rel of nofollow noopener; unwrap links whose href is missing or relative.

    bleach lets relative URLs through, "//elsewhere.example" included; of those only paths on this
    site ("/qa/12") are kept.
    """
    href = attrs.get((None, "href"), "")
    is_site_path = href.startswith("/") and not href.startswith(("//", "/\\"))
    if not (is_site_path or _ABSOLUTE_URL.match(href)):
        return None
    attrs[(None, "rel")] = LINK_REL
    return attrs


_linkify = partial(LinkifyFilter, callbacks=[_set_rel], url_re=URL_RE, parse_email=False)

_rich_text_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    # The filter runs after sanitising, so it sees only links that survived, and the rel it adds
    # does not have to be in the allow-list (where writers could set it themselves).
    filters=[_linkify],
)

def clean_html(rich_text: str | None) -> str:
    """Return staff-written HTML reduced to the allow-list, with http(s) URLs linked. Safe for ``|safe``."""
    if not rich_text:
        return ""
    return _rich_text_cleaner.clean(rich_text)


def plain_text_html(text: str | None) -> str:
    """Return citizen-typed text as HTML: escaped, paragraphs and line breaks kept, URLs linked.

    Blank lines separate ``<p>`` paragraphs; single line breaks become ``<br>``. Safe for ``|safe``:
    the only markup in the result is what this function writes (``p``, ``br`` and ``a`` with an
    ``http(s)`` URL of ASCII characters); everything typed is escaped, so what a citizen typed is
    what readers see ("&lt;" stays "&lt;"). Characters an HTML parser would not keep (controls other
    than line breaks and tabs, noncharacters) become U+FFFD. The result equals what cleaning the
    escaped text with bleach's linkifier gives for ordinary text (tests/core/test_sanitize.py), at a
    fraction of its cost: bleach parses the whole text with html5lib, and this runs for every
    question, answer and letter written.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    text = _REWRITTEN_BY_PARSER.sub("\ufffd", text)
    return "".join("<p>" + "<br>\n".join(_linked(line) for line in paragraph.split("\n")) + "</p>"
                   for paragraph in _PARAGRAPH_BREAK.split(text))


def _linked(line: str) -> str:
    """One line escaped, with each http(s) URL in it made a link."""
    out, end = [], 0
    for match in URL_RE.finditer(line):
        url = match.group()
        out.append(html.escape(line[end:match.start()], quote=False))
        out.append(f'<a href="{html.escape(url)}" rel="{LINK_REL}">{html.escape(url, quote=False)}</a>')
        end = match.end()
    out.append(html.escape(line[end:], quote=False))
    return "".join(out)
