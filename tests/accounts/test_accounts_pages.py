"""Registration, sign-in, sign-out and password change through the pages."""

from flask import current_app
from sqlalchemy import func, select

from interaction.accounts.models import ApiToken, User
from interaction.core.audit import AuditEntry
from interaction.core.db import db
from tests.accounts.conftest import is_signed_in, main_content
from tests.helpers import csrf_token
from tests.factories import PASSWORD

NEW_PASSWORD = "a new password 2026"


def _register(post_form, **overrides):
    data = {"email": "Zhang.San@Example.com", "name": "张三", "phone": "138 0013 8000",
            "password": "long enough pw", "password_confirm": "long enough pw", **overrides}
    return post_form("/register", data)


def test_registration_creates_a_citizen_and_signs_in(client, post_form):
    response = _register(post_form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.department_id, user.phone) == ("zhang.san@example.com", "citizen", None,
                                                                     "13800138000")
    assert user.password_hash.startswith(current_app.config["PASSWORD_HASH_METHOD"].split(":")[0] + ":")
    page = client.get("/account").get_data(as_text=True)
    assert "张三" in page and "zhang.san@example.com" in page
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == str(user.id))) \
        == "accounts.register"


def test_registration_errors_sit_next_to_fields_and_input_is_kept(client, post_form):
    response = _register(post_form, phone="12345", password="short", password_confirm="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="phone-error"' in page and "有效的手机号码" in page
    assert 'id="password-error"' in page and "至少需要 10 个字符" in page
    assert 'value="zhang.san@example.com"' in page and 'value="张三"' in page
    assert 'value="short"' not in page  # passwords are never echoed back
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_password_rules(post_form):
    assert "同一个字符" in _register(post_form, password="a" * 12, password_confirm="a" * 12).get_data(as_text=True)
    long = "x1" * 65
    assert "不能超过 128" in _register(post_form, password=long, password_confirm=long).get_data(as_text=True)
    mismatch = _register(post_form, password_confirm="something else").get_data(as_text=True)
    assert "两次输入的密码不一致" in mismatch
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_html_in_the_name_is_stored_as_text_and_shown_escaped(client, post_form):
    name = "<script>alert(1)</script>"
    assert _register(post_form, name=name).status_code == 302
    assert db.session.scalar(select(User.name)) == name
    page = client.get("/account").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_sign_in_and_out(client, people, sign_in):
    response = sign_in("CITIZEN@example.com ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    assert is_signed_in(client)
    assert client.get("/logout").status_code == 405  # sign-out is a POST, never a link
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert not is_signed_in(client)


def test_sign_in_starts_a_new_session(client, people, sign_in):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in("citizen@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == people["citizen"].get_id()


def test_next_goes_only_to_local_paths(client, people):
    for target, expected in [("/account/password", "/account/password"), ("//evil.example/x", "/account"),
                             ("https://evil.example/", "/account"), ("/\\evil.example", "/account")]:
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        response = client.post("/login", data={"email": "citizen@example.com", "password": PASSWORD,
                                               "next": target, "csrf_token": csrf_token(client)})
        assert response.status_code == 302
        assert response.headers["Location"] == expected, target


def test_csrf_is_required(client, people):
    response = client.post("/login", data={"email": "citizen@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert not is_signed_in(client)
    response = client.post("/register", data={"email": "a@example.com", "name": "a", "phone": "13800138000",
                                              "password": "long enough pw", "password_confirm": "long enough pw"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "a@example.com")) == 0


def test_unknown_email_and_wrong_password_read_the_same(client, people, sign_in):
    unknown = main_content(sign_in("nobody@example.com", "whatever password"))
    wrong = main_content(sign_in("citizen@example.com", "whatever password"))
    assert "邮箱或密码不正确" in unknown
    assert unknown.replace("nobody", "citizen") == wrong
    assert not is_signed_in(client)


def test_disabled_account_cannot_sign_in(client, people, sign_in):
    people["citizen"].is_enabled = False
    db.session.commit()
    assert "已停用" in sign_in("citizen@example.com").get_data(as_text=True)
    assert not is_signed_in(client)


def test_password_change_ends_other_sessions_and_tokens(app, client, people, sign_in, post_form, api_token):
    other = app.test_client()
    other.post("/login", data={"email": "citizen@example.com", "password": PASSWORD,
                               "csrf_token": csrf_token(other)})
    assert is_signed_in(other)
    headers = api_token("citizen@example.com", PASSWORD)
    sign_in("citizen@example.com")

    wrong = post_form("/account/password", {"current_password": "not my password", "new_password": NEW_PASSWORD,
                                            "new_password_confirm": NEW_PASSWORD})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    assert is_signed_in(other)

    response = post_form("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                               "new_password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_signed_in(client)  # this session goes on
    assert not is_signed_in(other)  # every other session ends
    assert app.test_client().get("/api/v1/auth/me", headers=headers).status_code == 401  # no cookie: token only
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_dt.is_(None))) == 0

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert "邮箱或密码不正确" in sign_in("citizen@example.com", PASSWORD).get_data(as_text=True)
    assert sign_in("citizen@example.com", NEW_PASSWORD).status_code == 302


def test_sign_out_ends_other_sessions_and_tokens(app, client, people, sign_in, api_token):
    other = app.test_client()
    other.post("/login", data={"email": "staff@example.com", "password": PASSWORD, "csrf_token": csrf_token(other)})
    headers = api_token("staff@example.com", PASSWORD)
    sign_in("staff@example.com")
    assert is_signed_in(other) and client.get("/api/v1/auth/me", headers=headers).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert not is_signed_in(client)
    assert not is_signed_in(other)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_sign_in_and_registration_are_rate_limited(client, people, post_form):
    statuses = [post_form("/login", {"email": f"x{i}@example.com", "password": "wrong password"}).status_code
                for i in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    response = post_form("/login", {"email": "citizen@example.com", "password": PASSWORD})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "操作过于频繁" in page and "<html" in page  # a friendly page, not a bare error
    assert client.get("/login").status_code == 200  # only submitting counts
