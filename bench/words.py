"""Benchmark of sensitive-word screening: ns per character of WordScreen.scan and of normalize.

Run from the project root: ``.venv/bin/python bench/words.py``. The list has 10,000 words of two to
four common Chinese characters (a quarter of them on the block list); the texts are random Chinese
with punctuation, spaces and some full-width letters, with one listed word spaced out roughly every
500 characters. Scan time per character should stay flat from 1 KB to 1 MB: normalisation is one
``str.translate`` and matching is Aho-Corasick.
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The package's own imports (Flask and friends) are not what is measured here.
import interaction.core  # noqa: E402, F401

_started = time.perf_counter()
from interaction.core.words import WordScreen, normalize  # noqa: E402

IMPORT_MS = (time.perf_counter() - _started) * 1000

COMMON = [chr(code) for code in range(0x4E00, 0x4E00 + 3500)]
NOISE = list("，。！？、；：“”（）　 ") + list("ＡＢＣabc") + ["\u200b"]
SIZES = {"1 KB": 1_000, "100 KB": 100_000, "1 MB": 1_000_000}


def make_words(rng, count):
    words = set()
    while len(words) < count:
        words.add("".join(rng.choices(COMMON, k=rng.randint(2, 4))))
    return sorted(words)


def make_text(rng, words, size):
    parts, length = [], 0
    while length < size:
        chunk = "".join(rng.choices(COMMON, k=40)) + rng.choice(NOISE) + "".join(rng.choices(COMMON, k=40))
        if rng.random() < 0.16:
            chunk += " ".join(rng.choice(words))
        parts.append(chunk)
        length += len(chunk)
    return "".join(parts)[:size]


def ns_per_char(function, text, repeat):
    best = min(_timed(function, text) for _ in range(repeat))
    return best / len(text) * 1e9


def _timed(function, text):
    started = time.perf_counter()
    function(text)
    return time.perf_counter() - started


def main():
    rng = random.Random(2026)
    words = make_words(rng, 10_000)
    started = time.perf_counter()
    screen = WordScreen(block=words[::4], review=[word for i, word in enumerate(words) if i % 4])
    build_ms = (time.perf_counter() - started) * 1000
    print(
        f"import words.py {IMPORT_MS:.0f} ms (builds the normalisation table); 10,000 words {build_ms:.0f} ms"
    )
    print(f"{'text':>8} | {'scan ns/char':>12} | {'normalize ns/char':>17} | {'matches':>7}")
    for label, size in SIZES.items():
        text = make_text(rng, words, size)
        repeat = 20 if size < 100_000 else 5
        matches = len(screen.scan(text).matches)
        print(
            f"{label:>8} | {ns_per_char(screen.scan, text, repeat):12.1f} | "
            f"{ns_per_char(normalize, text, repeat):17.1f} | {matches:7d}"
        )


if __name__ == "__main__":
    main()
