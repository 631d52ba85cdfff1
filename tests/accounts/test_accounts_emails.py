"""E-mail normalization: no two accounts may look alike."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from interaction.accounts.models import User, normalize_email
from interaction.core.db import db
from tests.accounts.conftest import is_signed_in
from tests.helpers import csrf_token

FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}  # ! .. ~ -> ！ .. ～


def _fullwidth(text: str) -> str:
    return "".join(FULLWIDTH.get(ch, ch) for ch in text)


ascii_emails = st.from_regex(r"[a-zA-Z0-9._+-]{1,20}@[a-zA-Z0-9-]{1,15}\.[a-zA-Z]{2,6}", fullmatch=True)


@given(st.text(max_size=60))
def test_normalize_email_is_idempotent(text):
    once = normalize_email(text)
    assert normalize_email(once) == once


@given(ascii_emails, st.data())
def test_fullwidth_case_and_space_variants_map_to_the_same(email, data):
    chosen = data.draw(st.lists(st.booleans(), min_size=len(email), max_size=len(email)))
    variant = "".join(_fullwidth(ch) if wide else ch for ch, wide in zip(email, chosen, strict=True))
    variant = data.draw(st.sampled_from([variant, variant.upper(), f"  {variant}\u3000", variant.swapcase()]))
    assert normalize_email(variant) == normalize_email(email) == email.lower()


@pytest.mark.parametrize("variant", ["Wang.Wu@Example.com", " wang.wu@example.com ",
                                     "ｗａｎｇ.ｗｕ＠ｅｘａｍｐｌｅ.ｃｏｍ", "WANG.WU@EXAMPLE.COM",
                                     "wang.wu\u200b@example.com"])
def test_variants_cannot_register_twice_and_can_sign_in(client, post_form, variant):
    data = {"email": "wang.wu@example.com", "name": "王五", "phone": "13800138000",
            "password": "long enough pw", "password_confirm": "long enough pw"}
    assert post_form("/register", data).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    page = post_form("/register", {**data, "email": variant}).get_data(as_text=True)
    assert "该邮箱已经注册" in page and 'id="email-error"' in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 1

    response = post_form("/login", {"email": variant, "password": "long enough pw"})
    assert response.status_code == 302
    assert is_signed_in(client)
