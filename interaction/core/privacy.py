"""Masking of personal data in text that goes public, and checks of phone and ID-card numbers.

``mask_text`` hides every e-mail address, PRC identity-card number, mobile and landline number it
finds, and the names it is given. It errs on the side of hiding too much: a number that merely
looks like an identity-card number is masked even when its check digit is wrong. A masked item
keeps a hint for the reader and nothing more:

==============  ======================  ========================
kind            original                masked
==============  ======================  ========================
mobile          +86 138-0013-8000       +86 138-****-8000
landline        (0731)84567890 转 12    (073*)****7890 转 **
ID card         430104199001011234      430***********1234
e-mail          zhangsan@example.com    z***@example.com
name            欧阳娜娜                 欧***
==============  ======================  ========================

At most the first three and the last four digits of a number remain, separators stay where they
were, and masking is idempotent: ``mask_text(mask_text(t)) == mask_text(t)``.

Detection runs on a copy of the text in which full-width forms (１３８, ＠, －, the ideographic space)
are replaced by their ASCII counterparts one character for one character, so positions found in
the copy are positions in the original, and the original characters are kept where unmasked.

This module is pure: it knows neither Flask nor the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

# --- width normalisation -------------------------------------------------------------------------------

_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # ！..～ -> !..~
_HALFWIDTH.update({ord(space): " " for space in "\u3000\u00a0\u2002\u2003\u2009\u202f"})
_HALFWIDTH.update({ord(dash): "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"})


def _halfwidth(text: str) -> str:
    """Return ``text`` with full-width forms, odd spaces and dashes in ASCII, character for character."""
    return text.translate(_HALFWIDTH)


# --- patterns (matched against the half-width copy) ------------------------------------------------------

# People write numbers as 138 0013 8000, 138-0013-8000 or 138 - 0013 - 8000.
_SEP = r"[ \-]{0,3}"

_EMAIL = re.compile(
    # The look-behind makes a match start only where a run of address characters starts, which keeps
    # the search linear on long runs of letters and digits that contain no "@".
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9._%+\-]+) ?@ ?"
    r"(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
)

# Identity-card candidates: 18 or 15 digits (the last of 18 may be X), separators allowed between
# digits. Whether a candidate is masked is decided by _looks_like_id_number, not by the pattern.
_ID18 = re.compile(rf"(?<![0-9])[0-9](?:{_SEP}[0-9]){{16}}{_SEP}[0-9Xx](?![0-9])")
_ID15 = re.compile(rf"(?<![0-9])[0-9](?:{_SEP}[0-9]){{14}}(?![0-9])")

# A bare number must not continue a longer run of digits, nor be the decimals of 3.14159265358.
# A country code, when present, is kept; "+86" and "(86)" need no such check, so a number stuck to
# the end of another one is still found ("...转123+8613800138000").
_NOT_IN_A_NUMBER = r"(?<![0-9])(?<![0-9]\.)"
_COUNTRY_CODE = rf"(?P<cc>\+86|\(\+?86\)|{_NOT_IN_A_NUMBER}(?:00)?86)"
_MOBILE_NUMBER = rf"1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}"
_MOBILE = re.compile(rf"(?:{_COUNTRY_CODE}{_SEP}|{_NOT_IN_A_NUMBER})(?P<num>{_MOBILE_NUMBER})(?![0-9])")

_AREA = rf"\(0[0-9]{{2,3}}\)|{_NOT_IN_A_NUMBER}0[0-9]{{2,3}}"
_SUBSCRIBER = r"[0-9](?:[ \-]?[0-9]){6,7}"
_EXTENSION = rf"{_SEP}(?:-|转|分机|ext\.?|x|\#){_SEP}[0-9]{{1,6}}"
_LANDLINE = re.compile(
    rf"(?P<num>(?:{_AREA}){_SEP}{_SUBSCRIBER})(?P<ext>{_EXTENSION})?(?![0-9])", re.IGNORECASE
)

# Whole-value patterns for form fields (no look-arounds needed: the value is all there is).
_MOBILE_VALUE = re.compile(rf"(?:(?:\+|00)?86{_SEP}|\(\+?86\){_SEP})?(?P<num>{_MOBILE_NUMBER})")
_LANDLINE_VALUE = re.compile(
    rf"(?P<area>\(0[0-9]{{2,3}}\)|0[0-9]{{2,3}}){_SEP}(?P<sub>{_SUBSCRIBER})"
    rf"(?:{_SEP}(?:-|转|分机|ext\.?|x|\#){_SEP}(?P<ext>[0-9]{{1,6}}))?",
    re.IGNORECASE,
)

# Characters people slip between the characters of a name: spaces and invisible ones.
_GAP = r"[ \t\u200b\u200c\u200d\u2060\ufeff]*"
_GAP_CHARS = frozenset(" \t\u200b\u200c\u200d\u2060\ufeff")

_DIGITS = frozenset("0123456789")
_ID_CHARS = frozenset("0123456789Xx")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


# --- public API -----------------------------------------------------------------------------------------


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Return ``text`` with e-mail addresses, ID-card, mobile and landline numbers and ``names`` masked.

    Names shorter than two characters are ignored: masking every "王" in a letter would mangle it
    and a one-character name is never a whole Chinese name.
    """
    # Order matters: an address like 13800138000@163.com is masked as an e-mail before the mobile
    # pattern sees it, and an ID number before a mobile number could be found inside it.
    for mask_pass in (_mask_emails, _mask_id_numbers, _mask_mobiles, _mask_landlines):
        text = mask_pass(text)
    return _mask_names(text, names)


def mask_name(name: str) -> str:
    """Keep the first character of a name and star the rest: 张三 -> 张*, 欧阳娜娜 -> 欧***."""
    chars = [char for char in name if char not in _GAP_CHARS]
    if len(chars) <= 1:
        return "*" * len(chars)
    return chars[0] + "*" * (len(chars) - 1)


def mask_phone(phone: str) -> str:
    """Mask a phone number given on its own, e.g. a form field: 13800138000 -> 138****8000.

    A valid number is normalised first (see ``normalize_phone``); anything else has every digit
    starred, since it cannot be told which digits would be safe to show.
    """
    try:
        normal = normalize_phone(phone)
    except ValueError:
        return "".join("*" if char in _DIGITS else char for char in _halfwidth(phone))
    return _mask_landlines(normal) if normal.startswith("0") else _star(normal, normal, 3, 4)


def normalize_phone(phone: str) -> str:
    """Return a mobile as 13800138000 and a landline as 0731-84567890 (or 0731-84567890-123).

    Full-width digits, spaces, dashes, brackets around the area code, and a +86/0086 prefix on
    mobiles are accepted. Raises ValueError if ``phone`` is neither a Chinese mobile nor a landline.
    """
    value = _halfwidth(phone).strip()
    mobile = _MOBILE_VALUE.fullmatch(value)
    if mobile:
        return _digits_of(mobile["num"])
    landline = _LANDLINE_VALUE.fullmatch(value)
    if landline:
        number = _split_landline(_digits_of(landline["area"] + landline["sub"]))
        if number:
            return number + (f"-{landline['ext']}" if landline["ext"] else "")
    raise ValueError(f"{phone!r} is not a Chinese mobile or landline number")


def is_valid_phone(phone: str) -> bool:
    """Return whether ``phone`` is a Chinese mobile or landline number (see ``normalize_phone``)."""
    try:
        normalize_phone(phone)
    except ValueError:
        return False
    return True


def is_valid_id_number(number: str) -> bool:
    """Return whether ``number`` is a PRC ID-card number: 18 characters, real birth date, right check digit.

    Full-width digits and a lower-case x are accepted; separators are not. The 15-digit numbers of
    first-generation cards carry no check digit and are not accepted.
    """
    value = _halfwidth(number).strip().upper()
    if not re.fullmatch(r"[1-9][0-9]{16}[0-9X]", value):
        return False
    return _birth_date(value[6:14]) is not None and _check_char(value[:17]) == value[17]


# --- detection helpers ----------------------------------------------------------------------------------


def _digits_of(text: str) -> str:
    return "".join(char for char in text if char in _DIGITS)


def _split_landline(digits: str) -> str | None:
    """Split area code from subscriber number: 010 and 02x have three digits, the others four."""
    area_length = 3 if digits.startswith(("010", "02")) else 4
    area, subscriber = digits[:area_length], digits[area_length:]
    if area_length == 4 and area[1] in "012":
        return None
    if not 7 <= len(subscriber) <= 8 or subscriber[0] == "0":
        return None
    return f"{area}-{subscriber}"


def _check_char(first17: str) -> str:
    """Return the check character (GB 11643) of the first 17 digits of an ID-card number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _birth_date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def _plausible_month_day(month: int, day: int) -> bool:
    # Deliberately loose (no month lengths, no leap years): when in doubt, mask.
    return 1 <= month <= 12 and 1 <= day <= 31


def _looks_like_id_number(chars: str) -> bool:
    """Return whether 18 or 15 digits look enough like an ID-card number to be masked.

    A right check digit is enough; otherwise a region code that does not start with 0 followed by a
    plausible birth date (YYYYMMDD from 1800 on for 18 digits, YYMMDD for 15) is.
    """
    value = chars.upper()
    if len(value) == 18:
        if "X" not in value[:17] and _check_char(value[:17]) == value[17]:
            return True
        year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
        return value[0] != "0" and 1800 <= year <= 2099 and _plausible_month_day(month, day)
    month, day = int(value[8:10]), int(value[10:12])
    return value[0] != "0" and _plausible_month_day(month, day)


# --- masking passes -------------------------------------------------------------------------------------


def _substitute(text: str, pattern: re.Pattern[str], render: Callable[[re.Match[str], str], str]) -> str:
    """Replace each match of ``pattern`` in the half-width copy of ``text`` by ``render(match, text)``."""
    parts, last = [], 0
    for match in pattern.finditer(_halfwidth(text)):
        parts.append(text[last : match.start()])
        parts.append(render(match, text))
        last = match.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def _star(original: str, halfwidth: str, keep_head: int, keep_tail: int, digits=_DIGITS) -> str:
    """Star the digits of ``original`` except the first ``keep_head`` and the last ``keep_tail``.

    Digits are recognised in ``halfwidth`` (same length); other characters are left alone.
    """
    positions = [i for i, char in enumerate(halfwidth) if char in digits]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join("*" if i in hidden else char for i, char in enumerate(original))


def _star_group(match: re.Match[str], text: str, group: str, keep_head: int, keep_tail: int) -> str:
    start, end = match.span(group)
    return _star(text[start:end], match.string[start:end], keep_head, keep_tail)


def _mask_emails(text: str) -> str:
    def render(match: re.Match[str], text: str) -> str:
        local_start, local_end = match.span("local")
        return text[local_start] + "***" + text[local_end : match.end()]

    return _substitute(text, _EMAIL, render)


def _mask_id_numbers(text: str) -> str:
    def render(match: re.Match[str], text: str) -> str:
        original = text[match.start() : match.end()]
        chars = "".join(char for char in match[0] if char in _ID_CHARS)
        if not _looks_like_id_number(chars):
            return original
        return _star(original, match[0], 3, 4, digits=_ID_CHARS)

    return _substitute(_substitute(text, _ID18, render), _ID15, render)


def _mask_mobiles(text: str) -> str:
    def render(match: re.Match[str], text: str) -> str:
        num_start = match.start("num")
        return text[match.start() : num_start] + _star_group(match, text, "num", 3, 4)

    return _substitute(text, _MOBILE, render)


def _mask_landlines(text: str) -> str:
    def render(match: re.Match[str], text: str) -> str:
        masked = _star_group(match, text, "num", 3, 4)
        if match["ext"] is not None:
            # An extension is short and, with the number's last four digits, would give it away.
            masked += _star_group(match, text, "ext", 0, 0)
        return masked

    return _substitute(text, _LANDLINE, render)


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    patterns = []
    for name in names:
        chars = [char for char in _halfwidth(name) if char not in _GAP_CHARS]
        if len(chars) >= 2 and "*" not in chars:
            patterns.append(re.compile(_GAP.join(re.escape(char) for char in chars), re.IGNORECASE))
    return patterns


def _mask_names(text: str, names: Iterable[str]) -> str:
    """Star every character but the first of each occurrence of each name, dropping gaps inside it.

    Occurrences are marked first and rendered once, so overlapping names (老张 and 张三丰 in
    老张三丰) are both hidden, and a character starred for one name stays starred even where it
    begins another. A name overlapping itself (王王 in 王王王) is found at every start, not only
    after the end of the previous occurrence.
    """
    patterns = _name_patterns(names)
    if not patterns:
        return text
    halfwidth = _halfwidth(text)
    starred: set[int] = set()
    dropped: set[int] = set()
    for pattern in patterns:
        match = pattern.search(halfwidth)
        while match is not None:
            inside = range(match.start() + 1, match.end())
            dropped.update(i for i in inside if halfwidth[i] in _GAP_CHARS)
            starred.update(i for i in inside if halfwidth[i] not in _GAP_CHARS)
            match = pattern.search(halfwidth, match.start() + 1)
    if not starred:
        return text
    return "".join("*" if i in starred else char for i, char in enumerate(text) if i not in dropped)
