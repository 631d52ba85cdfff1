"""Tests of the masking of personal data (interaction.core.privacy)."""

import unicodedata
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from interaction.core.privacy import (
    is_valid_id_number,
    is_valid_phone,
    mask_name,
    mask_phone,
    mask_text,
    normalize_phone,
)

FULLWIDTH = str.maketrans({chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)})


def fullwidth(text):
    return text.translate(FULLWIDTH)


def digits_in(text):
    """Return the digits and Xs of ``text``, full-width ones too, in ASCII (x as X)."""
    return "".join(char for char in unicodedata.normalize("NFKC", text).upper() if char in "0123456789X")


def id_number(first17):
    total = sum(int(d) * w for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return first17 + "10X98765432"[total % 11]


# --- examples: what is masked ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13800138000，谢谢", "电话138****8000，谢谢"),
        ("138 0013 8000", "138 **** 8000"),
        ("138-0013-8000", "138-****-8000"),
        ("+86 13800138000", "+86 138****8000"),
        ("+8613800138000", "+86138****8000"),
        ("86-13800138000", "86-138****8000"),
        ("0086 13800138000", "0086 138****8000"),
        ("１３８００１３８０００", "１３８****８０００"),
        ("１３８－００１３－８０００", "１３８－****－８０００"),
        ("手机：19912345678。", "手机：199****5678。"),
        ("0731-84567890", "073*-****7890"),
        ("(0731)84567890", "(073*)****7890"),
        ("（0731）84567890", "（073*）****7890"),
        ("0731 8456 7890", "073* **** 7890"),
        ("010-12345678", "010-****5678"),
        ("0731-84567890-8001", "073*-****7890-****"),
        ("0731-84567890转123", "073*-****7890转***"),
        ("0731-84567890 ext. 12", "073*-****7890 ext. **"),
        ("身份证430104199001011234号", "身份证430***********1234号"),
        ("11010519491231002X", "110***********002X"),
        ("11010519491231002x", "110***********002x"),
        ("４３０１０４１９９００１０１１２３４", "４３０***********１２３４"),
        ("430104 19900101 1234", "430*** ******** 1234"),
        ("430104199001011235", "430***********1235"),  # wrong check digit, still an ID by its look
        ("旧证430104900101123", "旧证430********1123"),
        ("zhangsan@example.com", "z***@example.com"),
        ("邮箱zhang.san@mail.example.com.cn。", "邮箱z***@mail.example.com.cn。"),
        ("zhangsan＠example.com", "z***＠example.com"),
        ("ｚｈａｎｇｓａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ｚ***＠ｅｘａｍｐｌｅ．ｃｏｍ"),
        ("13800138000@163.com", "1***@163.com"),
        ("0731-84567890-123+8613800138000", "073*-****7890-***+86138****8000"),
    ],
)
def test_masks(text, masked):
    assert mask_text(text) == masked


def test_masks_every_occurrence():
    text = "13800138000、13900139000；再说一次13800138000"
    assert mask_text(text) == "138****8000、139****9000；再说一次138****8000"


# --- examples: what is left alone -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-01",
        "2026年10月1日 10:30",
        "2026-10-01 至 2026-10-08",
        "共计12345元",
        "1,380,013,800元",
        "圆周率3.14159265358",
        "编号XX2611-7KQ3",
        "邮编410000",
        "热线12345",
        "客服400-123-4567",
        "第20260930号",
        "1234567890",
        "版本 1.3.8",
        "@某某 你好",
    ],
)
def test_leaves_ordinary_numbers_alone(text):
    assert mask_text(text) == text


def test_an_18_digit_run_that_does_not_look_like_an_id_is_left_alone():
    assert mask_text("订单号123456789012345678") == "订单号123456789012345678"


# --- names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("张", "*"), ("", ""), ("张 三", "张*")],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_text_masks_names_also_with_spaces_between_their_characters():
    text = "我叫张三丰，张 三 丰是我；张\u3000三丰、张\u200b三丰。"
    assert mask_text(text, names=["张三丰"]) == "我叫张**，张**是我；张**、张**。"


def test_overlapping_names_are_both_masked():
    assert mask_text("老张三丰来信", names=["老张", "张三丰"]) == "老***来信"
    assert mask_text("张三丰", names=["张三", "张三丰"]) == "张**"


def test_one_character_names_are_ignored():
    assert mask_text("王先生", names=["王"]) == "王先生"


def test_latin_names_are_masked_whatever_their_case():
    assert mask_text("from ZHANG San", names=["Zhang San"]) == "from Z*******"


# --- phone fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "normal"),
    [
        ("13800138000", "13800138000"),
        (" +86 138-0013-8000 ", "13800138000"),
        ("(+86)13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("0731-84567890", "0731-84567890"),
        ("073184567890", "0731-84567890"),
        ("(010)12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("020 8765 4321", "020-87654321"),
        ("0731-8456789", "0731-8456789"),
        ("0731-84567890 转 123", "0731-84567890-123"),
    ],
)
def test_normalize_phone(phone, normal):
    assert is_valid_phone(phone)
    assert normalize_phone(phone) == normal


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "1380013800",
        "138001380001",
        "12800138000",
        "400-123-4567",
        "0131-1234567",
        "0731-0456789",
        "0731-845678901",
        "电话",
        "13800138000a",
    ],
)
def test_invalid_phones(phone):
    assert not is_valid_phone(phone)
    with pytest.raises(ValueError, match="not a Chinese mobile or landline"):
        normalize_phone(phone)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("0731-84567890", "073*-****7890"),
        ("0731-84567890-123", "073*-****7890-***"),
        ("12345", "*****"),
        ("400-123-4567", "***-***-****"),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


# --- ID numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("１１０１０５１９４９１２３１００２Ｘ", True),
        (id_number("43010419900101123"), True),
        ("110105194912310021", False),  # wrong check digit
        (id_number("43010419900230123"), False),  # February 30
        (id_number("03010419900101123"), False),  # region cannot start with 0
        ("430104900101123", False),  # 15-digit cards have no check digit
        ("110105 19491231 002X", False),
        ("", False),
    ],
)
def test_is_valid_id_number(number, valid):
    assert is_valid_id_number(number) is valid


# --- properties -----------------------------------------------------------------------------------------
# The filler holds no digits and no X, so every digit left in the output is one of the hints.

CJK = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 400))
filler = st.text(alphabet=CJK + "，。！？、：；“”（）《》 abcYZ", max_size=12)


@st.composite
def mobiles(draw):
    """Return (written form, its 11 digits, the digits of its country code)."""
    digits = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    )
    style = draw(st.sampled_from(["plain", "grouped", "anywhere"]))
    if style == "grouped":
        sep = draw(st.sampled_from([" ", "-", "－", "\u3000", " - "]))
        written = sep.join((digits[:3], digits[3:7], digits[7:]))
    elif style == "anywhere":
        seps = draw(st.lists(st.sampled_from(["", "", " ", "-"]), min_size=10, max_size=10))
        written = digits[0] + "".join(sep + digit for sep, digit in zip(seps, digits[1:]))
    else:
        written = digits
    prefix = draw(st.sampled_from(["", "", "+86", "+86 ", "86-", "0086 ", "(+86)", "＋８６ "]))
    if draw(st.booleans()):
        written = fullwidth(written)
    return prefix + written, digits, digits_in(prefix)


@st.composite
def id_numbers(draw):
    """Return (written form, its 18 characters), with a right or a wrong check digit."""
    region = draw(st.sampled_from("123456789")) + draw(st.text(alphabet="0123456789", min_size=5, max_size=5))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    number = id_number(region + born.strftime("%Y%m%d") + sequence)
    if draw(st.booleans()):
        number = number[:17] + draw(st.sampled_from("0123456789X"))
    written = number
    if draw(st.booleans()):
        sep = draw(st.sampled_from([" ", "-"]))
        written = sep.join((number[:6], number[6:14], number[14:]))
    if draw(st.booleans()):
        written = written.replace("X", "x")
    if draw(st.booleans()):
        written = fullwidth(written)
    return written, number


@st.composite
def emails(draw):
    """Return (written form, local part, domain)."""
    local = draw(st.from_regex(r"[a-z0-9][a-z0-9._\-]{0,15}", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){0,2}\.[a-z]{2,6}", fullmatch=True))
    written = local + draw(st.sampled_from(["@", "＠"])) + domain
    if draw(st.booleans()):
        written = fullwidth(written)
    return written, local, domain


@given(filler, mobiles(), filler)
@example("请拨", ("138 0013 8000", "13800138000", ""), "谢谢")
def test_a_mobile_keeps_only_its_first_three_and_last_four_digits(before, mobile, after):
    written, digits, country = mobile
    masked = mask_text(before + written + after)
    assert digits_in(masked) == country + digits[:3] + digits[-4:]
    assert mask_text(masked) == masked


@given(filler, id_numbers(), filler)
def test_an_id_number_keeps_only_its_first_three_and_last_four_characters(before, id_number_, after):
    written, number = id_number_
    masked = mask_text(before + written + after)
    assert digits_in(masked) == number[:3] + number[-4:]
    assert mask_text(masked) == masked


@given(filler, emails(), filler)
def test_an_email_keeps_only_its_first_character_and_domain(before, email, after):
    written, local, domain = email
    masked = unicodedata.normalize("NFKC", mask_text(before + written + after))
    assert local + "@" + domain not in masked
    assert "***@" + domain in masked
    if len(local) > 1:
        assert local + "@" not in masked
    assert mask_text(masked) == masked


@given(
    filler,
    st.text(alphabet=CJK, min_size=2, max_size=4),
    st.lists(st.sampled_from(" \u3000\u200b"), max_size=3),
)
def test_a_name_is_masked_however_it_is_spaced(before, name, gaps):
    spaced = name[0] + "".join(gaps) + name[1:]
    masked = mask_text(before + spaced + "。", names=[name])
    assert masked.endswith("*" * (len(name) - 1) + "。")  # its first character may be starred by an overlap
    assert name not in masked
    assert mask_text(masked, names=[name]) == masked


def test_a_name_overlapping_itself_is_masked_at_every_start():
    assert mask_text("王王王说", names=["王王"]) == "王**说"
    assert mask_text("一一一。", names=["一一"]) == "一**。"


# Text made of the pieces the patterns are built from, to look for inputs masked differently twice.
pieces = st.text(alphabet="0123456789１３８ -－+()（）@＠.xX转extabc张三丰", max_size=60)


@given(pieces)
@example("0731-84567890-123+8613800138000")
def test_masking_is_idempotent(text):
    once = mask_text(text, names=["张三丰", "张三"])
    assert mask_text(once, names=["张三丰", "张三"]) == once
