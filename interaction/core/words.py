"""Sensitive-word screening (敏感词): a block list and a review list, matched with Aho-Corasick.

Writers dodge word lists by spacing words out ("法 轮-功", "法*轮*功", a zero-width space), by using
full-width or upper-case letters, compatibility forms (⼀, ①) or traditional characters (法輪功).
Both the listed words and the screened text therefore go through the same normalisation, which
maps each character to at most one character:

* characters that are neither letters nor digits (punctuation, symbols, spaces, invisible and
  control characters, combining marks, emoji) are dropped;
* compatibility forms become their plain form (NFKC, where that is one character), letters become
  lower case, and traditional characters become simplified ones.

Because the mapping is character by character, it is one ``str.translate`` over the text (linear,
in C), and every position in the normalised text maps back to a position in the original, so
matches are reported, and redacted, in the coordinates of the text the writer sent.

The automaton does not walk the characters themselves but their UTF-16 code units spelt as four hex
digits. pyahocorasick finds a node's child by a linear search of its edges: over characters, the
root of a 10,000-word Chinese list has thousands of edges and a scan cost about 900 ns per character;
over hex digits no node has more than sixteen and it costs about 130.

Only single-character traditional-to-simplified mappings are used: phrase-level conversion would
make the transform neither one-to-one nor linear. This module is pure: it knows neither Flask nor
the database.
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import ahocorasick

ListName = Literal["block", "review"]
Verdict = Literal["block", "review", "pass"]

REDACTION = "＊"

# Dropped characters first become this one, then are removed all at once; it is itself dropped
# (a control character), so a NUL in the input cannot be confused with a real character.
_DROPPED = "\x00"

# Blocks with no punctuation, no case and no compatibility forms: skipping them while building the
# table saves most of the import time. Private-use and surrogate code points are left as they are.
_SKIPPED_BLOCKS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xAC00, 0xD7A4), (0xD800, 0xF900))
_EXTRA_BLOCKS = ((0x1D400, 0x1D800), (0x1F000, 0x1FB00))  # mathematical letters, emoji and symbols


def _scanned_characters() -> str:
    ranges, start = [], 0
    for skip_start, skip_end in _SKIPPED_BLOCKS:
        ranges.append(range(start, skip_start))
        start = skip_end
    ranges.append(range(start, 0x10000))
    ranges.extend(range(*block) for block in _EXTRA_BLOCKS)
    return "".join(chr(code) for codes in ranges for code in codes)


def _single_char_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {source: target for source, target in pairs if source != target and len(target) == 1}


def _traditional_to_simplified() -> dict[str, str]:
    """Return zhconv's zh2Hans table restricted to single characters.

    The JSON file is read directly: importing zhconv pulls in pkg_resources, which costs ten times
    as much as the whole table does.
    """
    spec = importlib.util.find_spec("zhconv")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("zhconv is required for sensitive-word screening")
    path = Path(next(iter(spec.submodule_search_locations))) / "zhcdict.json"
    table = json.loads(path.read_bytes())["zh2Hans"]
    return _single_char_map((source, target) for source, target in table.items() if len(source) == 1)


def _build_table() -> dict[int, str]:
    """Build the ``str.translate`` table of the normalisation described in the module docstring."""
    chars = _scanned_characters()
    compatible = _single_char_map(zip(chars, map(unicodedata.normalize, ["NFKC"] * len(chars), chars)))
    lower = _single_char_map(zip(chars, map(str.lower, chars)))
    simplified = _traditional_to_simplified()

    def normal(char: str) -> str:
        char = compatible.get(char, char)
        char = lower.get(char, char)
        return simplified.get(char, char)

    # What a character becomes decides whether it is dropped: ＊ becomes * and is dropped, but the
    # Kangxi radical ⽅ (a symbol) becomes the ideograph 方 and is kept.
    not_alphanumeric = re.compile(r"[\W_]")
    table = {}
    for char in {*compatible, *lower, *simplified, *not_alphanumeric.findall(chars)}:
        target = normal(char)
        if not_alphanumeric.match(target):
            target = _DROPPED
        if target != char:
            table[ord(char)] = target
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """Return ``text`` as the screen sees it: see the module docstring. Linear in ``len(text)``."""
    return text.translate(_TABLE).replace(_DROPPED, "")


def _hex_units(normal: str) -> str:
    """Spell each UTF-16 code unit of ``normal`` as four hex digits (see the module docstring)."""
    return normal.encode("utf-16-be", "surrogatepass").hex()


class Match(NamedTuple):
    """A listed word found in a text, at ``text[start:end]`` of the original text."""

    word: str
    list_name: ListName
    start: int
    end: int


@dataclass(frozen=True)
class ScreenResult:
    """What a scan found: listed words (each once, in order of first appearance) and every match."""

    blocked: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        """Return "block" if a blocked word was found, else "review" if a review word was, else "pass"."""
        if self.blocked:
            return "block"
        return "review" if self.review else "pass"

    @classmethod
    def from_matches(cls, matches: list[Match]) -> ScreenResult:
        """Build a result from matches sorted by position."""
        found: dict[ListName, dict[str, None]] = {"block": {}, "review": {}}
        for match in matches:
            found[match.list_name].setdefault(match.word)
        return cls(blocked=list(found["block"]), review=list(found["review"]), matches=matches)


class _PositionMap:
    """Map positions in the normalised text back to positions in the original text.

    The translated text has the original's length, with dropped characters marked; each run of kept
    characters is contiguous in both texts, so a position maps through the run that holds it.
    """

    def __init__(self, translated: str) -> None:
        self._compact_starts: list[int] = []
        self._original_starts: list[int] = []
        compact = 0
        for run in re.finditer(f"[^{_DROPPED}]+", translated):
            self._compact_starts.append(compact)
            self._original_starts.append(run.start())
            compact += run.end() - run.start()

    def __getitem__(self, position: int) -> int:
        run = bisect.bisect_right(self._compact_starts, position) - 1
        return self._original_starts[run] + position - self._compact_starts[run]


class _UnitMap:
    """Map UTF-16 code-unit positions to character positions in a text with astral characters.

    Each character beyond U+FFFF takes two units, so a unit position is the character position plus
    the number of such characters before it.
    """

    def __init__(self, text: str) -> None:
        astral = (match.start() for match in re.finditer("[\U00010000-\U0010ffff]", text))
        self._astral_units = [position + count for count, position in enumerate(astral)]

    def __getitem__(self, unit: int) -> int:
        return unit - bisect.bisect_left(self._astral_units, unit)


class WordScreen:
    """Screen texts against a block list and a review list of words.

    Build one per version of the lists (building is linear in their total length) and share it:
    ``scan`` and ``redact`` do not change it. A word that normalises to nothing (only punctuation,
    say) is ignored. A word listed in both lists is reported in both.
    """

    def __init__(self, block: Iterable[str] = (), review: Iterable[str] = ()) -> None:
        """Normalise the words of both lists and build the automaton."""
        entries: dict[str, dict[ListName, str]] = {}
        for list_name, words in (("block", block), ("review", review)):
            for word in words:
                key = normalize(word)
                if key:
                    # Of several spellings that normalise alike, the first listed is reported.
                    entries.setdefault(key, {}).setdefault(list_name, word)
        self.size = len(entries)
        self._automaton: ahocorasick.Automaton | None = None
        if entries:
            self._automaton = ahocorasick.Automaton()
            for key, found in entries.items():
                words = tuple((word, name) for name, word in found.items())
                symbols = _hex_units(key)
                self._automaton.add_word(symbols, (len(symbols), words))
            self._automaton.make_automaton()

    def scan(self, text: str) -> ScreenResult:
        """Return the listed words found in ``text``, with their spans in ``text``."""
        if self._automaton is None or not text:
            return ScreenResult()
        translated = text.translate(_TABLE)
        compact = translated.replace(_DROPPED, "")
        symbols = _hex_units(compact)
        hits = [
            (last + 1 - length, last, words)
            for last, (length, words) in self._automaton.iter(symbols)
            # A hit starting inside a character's four digits is a coincidence of digits, not a word.
            if (last + 1 - length) % 4 == 0
        ]
        if not hits:
            return ScreenResult()
        # Only texts with hits pay for the maps, and only when there is something to map.
        units = _UnitMap(compact) if len(symbols) != 4 * len(compact) else None
        positions = _PositionMap(translated) if len(compact) != len(text) else None
        matches = []
        for first_symbol, last_symbol, words in hits:
            first, last = first_symbol // 4, last_symbol // 4
            if units is not None:
                first, last = units[first], units[last]
            if positions is not None:
                first, last = positions[first], positions[last]
            matches.extend(Match(word, name, first, last + 1) for word, name in words)
        matches.sort(key=lambda match: (match.start, match.end))
        return ScreenResult.from_matches(matches)

    def redact(self, text: str) -> str:
        """Return ``text`` with each character of each blocked match replaced by ＊.

        Characters slipped inside a match ("法-轮-功") are replaced too; the length is unchanged.
        """
        spans = [(match.start, match.end) for match in self.scan(text).matches if match.list_name == "block"]
        if not spans:
            return text
        parts, done = [], 0
        for start, end in spans:  # sorted by start; spans may overlap
            start = max(start, done)
            if end > start:
                parts.append(text[done:start])
                parts.append(REDACTION * (end - start))
                done = end
        parts.append(text[done:])
        return "".join(parts)
