r"""The text side of the search (core.search): normalisation, segmentation, index tokens, queries, snippets.

Pure: no Flask, no database; :mod:`interaction.core.search` feeds it the dictionary and the rows.

**Normalisation** maps each character to exactly one character (so positions in the normalised
text are positions in the original, which the snippet needs): compatibility forms to their plain
form (NFKC where that is one character: full-width ``ＡＢＣ１２３`` → ``abc123``), letters to lower
case, traditional characters to simplified ones (zhconv's single-character table, as
:mod:`interaction.core.words` uses it). Everything that is not a letter or digit is a separator.

**Index tokens** of a text (the same for SQLite FTS5 and PostgreSQL's tsvector):

* every CJK character (unigram), so that a one-character query (医, 房) finds what ``LIKE`` finds;
* every pair of adjacent CJK characters (bigram), and, for a pair that is a word of the dictionary
  and breaks no word the segmenter found, the pair marked as a word (``\ue002`` + the pair). jieba
  (precise mode, no HMM, with the government dictionary) cuts the run into words; a pair breaks no word
  when it lies inside one (社保卡 gives the word 社保) or joins two one-character words. 一张长沙发, cut
  长/沙发, gives the pair 长沙 but not the word 长沙;
* every run of other letters and digits as one token (``app``, ``12345``), lower case;
* facet tokens for the filters, in Unicode's private-use area, which normalised text never contains:
  the type (``\ue000letter``) and the department (``\ue001`` + id).

**Queries** are cut into runs the same way. A one-character run needs its unigram. A two-character
run that the segmenter keeps as one word (长沙, 社保) needs that word: found where no other word breaks
it. Any other run needs each of its pairs: a longer query finds the text wherever it stands, as
``LIKE`` does. All runs are AND-ed, and a query of two or more characters reads no unigram list (the
long ones). Decisions (pinned by tests/core/test_search.py):

* 社保 does not find 社会保险: matching is literal (no synonyms): 社保 finds 社保卡, 社保局;
* 长沙 does not find 长沙发 where the segmenter cuts 长/沙发 (the shipped dictionary says so); it finds
  长沙市, 长沙县; 长沙发 finds the sofa.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import re
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jieba
from cachetools import LRUCache
from markupsafe import Markup, escape

#: A query longer than this (characters) is cut to it: nobody types more, and the cost is bounded.
MAX_QUERY_LENGTH = 200

#: Letters-and-digits tokens longer than this are cut (PostgreSQL refuses lexemes past 2 KB).
MAX_TOKEN_LENGTH = 60

TYPE_FACET = "\ue000"
DEPARTMENT_FACET = "\ue001"
WORD = "\ue002"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

SHIPPED_DICTIONARY = Path(__file__).with_name("search_terms.txt")

jieba.setLogLevel(logging.WARNING)  # its dictionary loading talks at INFO on stderr


# -- normalisation ------------------------------------------------------------------------------------------------

def _traditional_to_simplified() -> dict[str, str]:
    """The zh2Hans table of zhconv restricted to single characters (read directly, as core.words does)."""
    spec = importlib.util.find_spec("zhconv")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "zhcdict.json"
    table = json.loads(path.read_bytes())["zh2Hans"]
    return {s: t for s, t in table.items() if len(s) == 1 and len(t) == 1 and s != t}


@functools.cache
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20, 0x10000):
        if 0xD800 <= code < 0xE000 or 0x4E00 <= code < 0xA000 or 0x3400 <= code < 0x4DC0:
            continue  # surrogates; CJK ideographs have no compatibility or case forms
        char = chr(code)
        target = unicodedata.normalize("NFKC", char)
        target = target.lower() if len(target) == 1 else char.lower()
        if len(target) == 1 and target != char:
            table[code] = target
    for source, target in _traditional_to_simplified().items():
        table[ord(source)] = table.get(ord(target), target)
    return table


def normalize(text: str) -> str:
    """*text* with each character replaced by its plain, lower-case, simplified form (same length)."""
    return text.translate(_table())


# -- segmentation ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dictionary:
    """The government terms the segmenter knows: words to keep whole, and splits (长/沙发) to force."""

    words: frozenset[str] = frozenset()
    splits: frozenset[tuple[str, ...]] = frozenset()


def read_dictionary_file(path: Path = SHIPPED_DICTIONARY) -> Dictionary:
    """The shipped dictionary: one term a line; ``长/沙发`` forces a split; ``#`` starts a comment."""
    words, splits = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "/" in line:
            splits.add(tuple(normalize(part.strip()) for part in line.split("/") if part.strip()))
        else:
            words.add(normalize(line.split()[0]))
    return Dictionary(frozenset(words), frozenset(splits))


@functools.lru_cache(maxsize=2)
def segmenter(dictionary: Dictionary) -> jieba.Tokenizer:
    """A jieba tokenizer of its own (not the global one) that knows *dictionary*."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(dictionary.words):
        tokenizer.add_word(word)  # jieba's suggested frequency: enough for the word to be kept whole
    for parts in sorted(dictionary.splits):
        _force_split(tokenizer, parts)
    return tokenizer


def _force_split(tokenizer: jieba.Tokenizer, parts: tuple[str, ...]) -> None:
    """Raise the parts' frequencies until the segmenter cuts their concatenation into them (长沙发 → 长 + 沙发).

    jieba's ``suggest_freq(parts, tune=True)`` only lowers the joined word's frequency, which does not
    stop another cut (长沙 + 发) from winning.
    """
    joined = "".join(parts)
    for _ in range(40):
        if list(tokenizer.cut(joined, HMM=False)) == list(parts):
            return
        for part in parts:
            tokenizer.add_word(part, freq=max(tokenizer.FREQ.get(part, 0), 1) * 2)


def _pairs(run: str, tokenizer: jieba.Tokenizer) -> list[tuple[str, bool]]:
    """The pairs of adjacent characters of a CJK *run*, each with whether it breaks no word (module docstring)."""
    word_of: list[tuple[int, int]] = []  # per character: (word index, word length)
    for n, word in enumerate(tokenizer.cut(run, HMM=False)):
        word_of.extend([(n, len(word))] * len(word))
    pairs = []
    for i in range(len(run) - 1):
        (left, left_len), (right, right_len) = word_of[i], word_of[i + 1]
        pairs.append((run[i:i + 2], left == right or (left_len == 1 and right_len == 1)))
    return pairs


#: Per segmenter, the tokens of the runs it cut last: letters repeat their phrases (您好, 感谢您的来信).
_run_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
RUN_CACHE_SIZE = 50_000


def _run_tokens(run: str, tokenizer: jieba.Tokenizer) -> frozenset[str]:
    """The tokens of one CJK run: its characters, its pairs, the pairs that are words (module docstring)."""
    cache = _run_caches.get(tokenizer)
    if cache is None:
        cache = _run_caches[tokenizer] = LRUCache(maxsize=RUN_CACHE_SIZE)
    tokens = cache.get(run)
    if tokens is None:
        found = set(run)
        words = tokenizer.FREQ
        for pair, whole in _pairs(run, tokenizer) if len(run) > 1 else ():
            found.add(pair)
            if whole and words.get(pair):
                found.add(WORD + pair)
        tokens = cache[run] = frozenset(found)
    return tokens


def document_tokens(text: str, tokenizer: jieba.Tokenizer) -> set[str]:
    """The distinct index tokens of *text* (it is normalised here)."""
    tokens: set[str] = set()
    for cjk, other in _RUNS.findall(normalize(text)):
        if other:
            tokens.add(other[:MAX_TOKEN_LENGTH])
        else:
            tokens |= _run_tokens(cjk, tokenizer)
    return tokens


def facet_tokens(type_: str, department_id: int | None) -> list[str]:
    tokens = [TYPE_FACET + type_]
    if department_id is not None:
        tokens.append(f"{DEPARTMENT_FACET}{department_id}")
    return tokens


# -- queries ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """A parsed query: *runs* (normalised words as typed, for highlighting and scoring) and *groups*.

    A document matches when it holds, for every group, one of the group's tokens.
    """

    runs: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.groups)


def parse_query(q: str | None, tokenizer: jieba.Tokenizer) -> Query:
    """The query *q* as runs and groups of index tokens; anything but letters and digits is a separator.

    FTS syntax, quotes and SQL are therefore plain separators: they never reach the database as syntax.
    """
    runs: list[str] = []
    groups: list[tuple[str, ...]] = []
    for cjk, other in _RUNS.findall(normalize((q or "")[:MAX_QUERY_LENGTH])):
        run = cjk or other[:MAX_TOKEN_LENGTH]
        if run in runs:
            continue
        runs.append(run)
        if other or len(run) == 1:
            wanted = [(run,)]
        elif len(run) == 2 and tokenizer.FREQ.get(run) and len(list(tokenizer.cut(run, HMM=False))) == 1:
            wanted = [(WORD + run,)]  # a two-character word: only where no other word breaks it (长沙, not 长沙发)
        else:
            wanted = [(pair,) for pair, _whole in _pairs(run, tokenizer)]
        groups.extend(group for group in wanted if group not in groups)
    return Query(tuple(runs), tuple(groups))


def similar_words(text: str, tokenizer: jieba.Tokenizer, limit: int = 8) -> list[str]:
    """The words of a draft worth comparing: segmenter words of two or more characters, longest first."""
    seen: list[str] = []
    for cjk, other in _RUNS.findall(normalize(text[:2000])):
        words = [other[:MAX_TOKEN_LENGTH]] if other and len(other) > 1 else tokenizer.cut(cjk, HMM=False)
        seen.extend(word for word in words if len(word) > 1 and word not in seen and word not in STOP_WORDS)
    return sorted(seen, key=len, reverse=True)[:limit]


#: Words of questions that say nothing about the subject.
STOP_WORDS = frozenset("请问 你好 您好 我们 你们 他们 这个 那个 什么 怎么 怎样 如何 为什么 可以 是否 能否 需要 "
                       "一下 问题 咨询 一个 没有 已经 现在 还是 或者 以及 关于 的话 谢谢 感谢 请求 希望".split())


# -- scoring and snippets ---------------------------------------------------------------------------------------

def score(runs: Iterable[str], title: str, body: str, weights: dict[str, float] | None = None) -> float:
    """Relevance of one document to the query *runs*: a BM25-like sum over the runs.

    A run found in the title counts three times; occurrences in the body saturate (BM25's k1=1.2,
    b=0.75 against a 300-character body); a run that the tokens matched but that is not in the
    text as typed (its bigrams apart) counts little. *weights* (rarity) apply per run (similar()).
    The text is looked at as stored first, and normalised only when a run is not found in it
    (traditional characters, full-width or capital letters): normalising every candidate costs more
    than all the rest of the ranking.
    """
    runs = list(runs)
    if not all(run in title or run in body for run in runs):
        title, body = normalize(title), normalize(body)
    length_norm = 0.25 + 0.75 * min(len(body), 3000) / 300
    total = 0.0
    for run in runs:
        in_body = body.count(run)
        tf = in_body / (in_body + 1.2 * length_norm) if in_body else 0.0
        value = 3.0 * (run in title) + 2.2 * tf + (0.05 if not in_body and run not in title else 0.0)
        total += value * (weights.get(run, 1.0) if weights else 1.0)
    return total


SNIPPET_WIDTH = 80


def snippet(text: str, runs: Iterable[str], width: int = SNIPPET_WIDTH) -> Markup:
    """About *width* characters of *text* around the first match, every match of the *runs* in ``<mark>``.

    Everything else is escaped; ``<mark>`` is the only markup.
    """
    normal = normalize(text)
    spans: list[tuple[int, int]] = []
    for run in sorted({r for r in runs if r}, key=len, reverse=True):
        start = normal.find(run)
        while start >= 0:
            end = start + len(run)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = normal.find(run, end)
    spans.sort()
    first = spans[0][0] if spans else 0
    begin = max(0, first - width // 4)
    end = min(len(text), begin + width)
    begin = max(0, min(begin, end - width))
    parts: list[str] = [escape("…")] if begin else []
    at = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        parts.append(escape(text[at:start]))
        parts.append(Markup("<mark>") + escape(text[start:stop]) + Markup("</mark>"))
        at = stop
    parts.append(escape(text[at:end]))
    if end < len(text):
        parts.append(escape("…"))
    return Markup("").join(parts)


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))
