"""Tests of sensitive-word screening (interaction.core.words)."""

import pytest
import zhconv
from hypothesis import assume, given
from hypothesis import strategies as st

from interaction.core.words import Match, ScreenResult, WordScreen, normalize

SCREEN = WordScreen(block=["法轮功", "FLG", "六四"], review=["上访", "示威", "信访局长"])


# --- normalisation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("法 轮-功", "法轮功"),
        ("法*轮*功", "法轮功"),
        ("法\u200b轮\ufeff功", "法轮功"),
        ("法\u3000轮　功！", "法轮功"),
        ("法輪功", "法轮功"),
        ("ＦＬＧ", "flg"),
        ("F.l.G", "flg"),
        ("①⑨⑧⑨", "1989"),
        ("⽅法", "方法"),  # a Kangxi radical standing in for the ideograph
        ("𝐅𝐋𝐆", "flg"),
        ("法😀轮🌸功", "法轮功"),
        ("法\x00轮功", "法轮功"),
        ("", ""),
    ],
)
def test_normalize(text, normal):
    assert normalize(text) == normal


# --- scanning -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("法轮功", 0, 3),
        ("他说法 轮-功好", 2, 7),
        ("法*轮*功", 0, 5),
        ("法\u200b轮功", 0, 4),
        ("學習法輪功", 2, 5),
    ],
)
def test_scan_reports_spans_in_the_original_text(text, start, end):
    result = SCREEN.scan(text)
    assert result.verdict == "block"
    assert result.blocked == ["法轮功"]
    assert result.matches == [Match("法轮功", "block", start, end)]


def test_words_are_deduplicated_in_order_of_first_appearance():
    result = SCREEN.scan("我去示威，又去上访，再去示威，还说flg和六四")
    assert result.review == ["示威", "上访"]
    assert result.blocked == ["FLG", "六四"]
    assert [match.word for match in result.matches] == ["示威", "上访", "示威", "FLG", "六四"]
    assert result.verdict == "block"


def test_verdicts():
    assert SCREEN.scan("我要上访").verdict == "review"
    assert SCREEN.scan("今天天气很好").verdict == "pass"
    assert SCREEN.scan("今天天气很好") == ScreenResult()


def test_overlapping_words_are_all_reported():
    screen = WordScreen(block=["法轮", "轮功"], review=["法轮功"])
    result = screen.scan("法轮功")
    assert result.matches == [
        Match("法轮", "block", 0, 2),
        Match("法轮功", "review", 0, 3),
        Match("轮功", "block", 1, 3),
    ]


def test_a_word_in_both_lists_is_reported_in_both():
    result = WordScreen(block=["示威"], review=["示威"]).scan("示威")
    assert (result.blocked, result.review, result.verdict) == (["示威"], ["示威"], "block")


def test_spellings_that_normalise_alike_are_reported_as_first_listed():
    result = WordScreen(block=["法轮功", "法輪功", "法 轮 功"]).scan("法輪功")
    assert result.blocked == ["法轮功"]
    assert len(result.matches) == 1


@pytest.mark.parametrize("screen", [WordScreen(), WordScreen([], []), WordScreen(["", "  ", "！？"])])
def test_empty_lists_pass_everything(screen):
    assert screen.scan("法轮功").verdict == "pass"
    assert screen.redact("法轮功") == "法轮功"
    assert screen.size == 0


def test_empty_text():
    assert SCREEN.scan("").verdict == "pass"


def test_lists_may_be_any_iterable():
    screen = WordScreen(block=(word for word in ["法轮功"]), review={"上访"})
    assert screen.scan("法轮功 上访").blocked == ["法轮功"]
    assert screen.size == 2


def test_characters_beyond_the_bmp_keep_positions_right():
    screen = WordScreen(block=["𠀀𠀁", "法轮功"])
    text = "😀𠀂 法轮功 𠀀-𠀁 😀"
    result = screen.scan(text)
    assert result.matches == [Match("法轮功", "block", 3, 6), Match("𠀀𠀁", "block", 7, 10)]
    assert text[7:10] == "𠀀-𠀁"


def test_digits_of_neighbouring_characters_do_not_make_a_word():
    # In hex, U+1234 U+5678 is "12345678"; U+A123 U+4567 U+8BCD contains it, straddling characters.
    screen = WordScreen(block=["\u1234\u5678"])
    assert screen.scan("\ua123\u4567\u8bcd").verdict == "pass"
    assert screen.scan("\ua123\u1234\u5678").verdict == "block"


def test_lone_surrogates_in_the_text_are_harmless():
    assert SCREEN.scan("\ud800法轮功\udfff").matches == [Match("法轮功", "block", 1, 4)]


# --- redaction ------------------------------------------------------------------------------------------


def test_redact_replaces_blocked_matches_only():
    assert SCREEN.redact("他说法 轮-功，我要上访") == "他说＊＊＊＊＊，我要上访"


def test_redact_overlapping_matches():
    screen = WordScreen(block=["法轮", "轮功"])
    assert screen.redact("学法轮功吧") == "学＊＊＊吧"


def test_redact_keeps_the_length():
    text = "FLG、Ｆ Ｌ Ｇ和六-四"
    redacted = SCREEN.redact(text)
    assert len(redacted) == len(text)
    assert redacted == "＊＊＊、＊＊＊＊＊和＊＊＊"


# --- properties -----------------------------------------------------------------------------------------

# Listed words come from one set of characters and innocent text from another, chosen so that no
# character of the second normalises to a character of the first.
LISTED_CHARS = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 3000))
LISTED_NORMAL = set(normalize(LISTED_CHARS))
INNOCENT_CHARS = "".join(
    char for char in map(chr, range(0x6000, 0x6000 + 3000)) if normalize(char) not in LISTED_NORMAL
)
PUNCTUATION = " \u3000\u200b,.-*_/|·、，。！？：；“”（）《》【】…—～＊＃@♥★\t\n"

listed_words = st.text(alphabet=LISTED_CHARS, min_size=2, max_size=6)
word_lists = st.lists(listed_words, min_size=1, max_size=20)
innocent_text = st.text(alphabet=INNOCENT_CHARS + PUNCTUATION + "abcdefg0123", max_size=200)
gaps = st.text(alphabet=PUNCTUATION, max_size=3)


def traditional(word):
    """Convert ``word`` to traditional characters one character at a time."""
    return "".join(zhconv.convert(char, "zh-hant") for char in word)


@given(word_lists, st.data())
def test_a_listed_word_is_found_however_it_is_spaced(words, data):
    screen = WordScreen(block=words)
    word = data.draw(st.sampled_from(words))
    spaced = "".join(char + data.draw(gaps) for char in word[:-1]) + word[-1]
    before, after = data.draw(innocent_text), data.draw(innocent_text)
    result = screen.scan(before + spaced + after)
    assert word in result.blocked
    assert Match(word, "block", len(before), len(before) + len(spaced)) in result.matches


@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=8
    ),
    st.data(),
)
def test_a_listed_word_is_found_whatever_its_width_and_case(word, data):
    screen = WordScreen(review=[word])
    variant = "".join(
        data.draw(
            st.sampled_from(
                [char, char.swapcase(), chr(ord(char) + 0xFEE0), chr(ord(char.swapcase()) + 0xFEE0)]
            )
        )
        for char in word
    )
    assert screen.scan(f"看{variant}看").review == [word]


@given(
    st.text(alphabet="法轮功学员上访示威发后干里面台湾历史国际联网", min_size=2, max_size=6), st.booleans()
)
def test_a_listed_word_is_found_in_traditional_characters(word, list_traditional):
    trad = traditional(word)
    assume(normalize(trad) == normalize(word))  # zhconv's own round trip is not always exact
    listed, written = (trad, word) if list_traditional else (word, trad)
    assert WordScreen(block=[listed]).scan(f"他说{written}。").blocked == [listed]


@given(word_lists, innocent_text)
def test_text_without_listed_words_passes(words, text):
    screen = WordScreen(block=words[::2], review=words[1::2])
    result = screen.scan(text)
    assert result.verdict == "pass"
    assert result.matches == []
    assert screen.redact(text) == text


@given(word_lists, st.lists(st.tuples(innocent_text, st.booleans()), max_size=5), st.data())
def test_redact_removes_every_blocked_word(words, pieces, data):
    screen = WordScreen(block=words)
    text = "".join(piece + (data.draw(st.sampled_from(words)) if insert else "") for piece, insert in pieces)
    redacted = screen.redact(text)
    assert len(redacted) == len(text)
    assert screen.scan(redacted).verdict == "pass"


@given(
    st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=5),
    st.lists(st.text(max_size=30), max_size=4),
    st.data(),
)
def test_every_reported_span_normalises_to_its_word(words, pieces, data):
    screen = WordScreen(block=words)
    text = "".join(piece + data.draw(st.sampled_from(words)) for piece in pieces)
    for match in screen.scan(text).matches:
        assert normalize(text[match.start : match.end]) == normalize(match.word)
        assert normalize(text[match.start]) and normalize(
            text[match.end - 1]
        )  # spans start and end on a kept char
