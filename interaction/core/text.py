"""One-line text (a name, a subject, a title) as it may be stored: visible, and shown as it reads.

Two tricks make such text lie: characters that show nothing (zero-width spaces, U+3000, format
characters), so that a name or a subject is blank on the page, and bidirectional controls, which
reorder what follows them. :func:`single_line` takes the controls out and trims invisible ends;
text with nothing visible left is refused (:func:`is_invisible_only`), by ``core.forms.SingleLineField``
in every form and by services that take such text without a form.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

#: The refusal of text made only of invisible characters, shown next to the field.
INVISIBLE_ONLY_MESSAGE = _l("不能只填写空格或不可见的字符。")

#: Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder how
#: the text around them is shown ("Trojan Source"), so a name can read otherwise than it is stored.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Unicode categories that show nothing: control and format characters (zero-width spaces, joiners,
#: U+2060, U+FEFF), space, line and paragraph separators (U+3000 among them).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
#: Letters and symbols that render blank though their category says otherwise (Hangul fillers, Braille blank).
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_invisible(char: str) -> bool:
    """Whether *char* shows nothing where it stands (whitespace, a format character, a blank filler)."""
    return char in _BLANK_CHARACTERS or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def single_line(value):
    """*value* without bidirectional controls and without invisible characters at either end."""
    if not isinstance(value, str):
        return value
    value = BIDI_CONTROLS.sub("", value)
    start, end = 0, len(value)
    while start < end and is_invisible(value[start]):
        start += 1
    while end > start and is_invisible(value[end - 1]):
        end -= 1
    return value[start:end]


def is_invisible_only(value) -> bool:
    """Whether *value* is a non-empty string with nothing visible in it (bidirectional controls included)."""
    return isinstance(value, str) and bool(value) and not single_line(value)
