"""Five failed sign-ins within 15 minutes lock an e-mail for 15 minutes, on the pages and the API alike."""

from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from tests.accounts.conftest import is_signed_in, main_content
from tests.helpers import csrf_token
from tests.factories import PASSWORD

WRONG = "not the password"


def _fail(sign_in, email, times):
    for _ in range(times):
        assert "邮箱或密码不正确" in sign_in(email, WRONG).get_data(as_text=True)


def test_five_failures_lock_the_account_for_fifteen_minutes(client, clock, people, sign_in):
    _fail(sign_in, "citizen@example.com", 5)
    page = sign_in("citizen@example.com", PASSWORD).get_data(as_text=True)
    assert "已暂时锁定" in page and "10:15" in page  # 02:00 UTC is 10:00 in Shanghai
    assert not is_signed_in(client)
    assert people["citizen"].locked_until_dt == clock.now.replace(minute=15)
    entry = db.session.scalar(select(AuditEntry).filter_by(action="accounts.locked"))
    assert (entry.target_type, entry.target_id) == ("users", str(people["citizen"].id))

    clock.advance(minutes=14, seconds=59)
    assert "已暂时锁定" in sign_in("citizen@example.com", PASSWORD).get_data(as_text=True)
    clock.advance(seconds=1)
    assert sign_in("citizen@example.com", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client, clock, people, sign_in):
    _fail(sign_in, "citizen@example.com", 4)
    clock.advance(minutes=15, seconds=1)
    _fail(sign_in, "citizen@example.com", 1)
    assert sign_in("citizen@example.com", PASSWORD).status_code == 302


def test_a_successful_sign_in_starts_the_count_again(client, clock, people, sign_in):
    _fail(sign_in, "citizen@example.com", 4)
    clock.advance(minutes=1)
    assert sign_in("citizen@example.com", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    clock.advance(minutes=1)
    _fail(sign_in, "citizen@example.com", 4)
    assert sign_in("citizen@example.com", PASSWORD).status_code == 302


def test_unknown_emails_lock_alike(app, client, clock, people, sign_in):
    app.config["SIGN_IN_RATE_LIMIT"] = "100/minute"  # more posts than the per-address rate limit allows
    _fail(sign_in, "nobody@example.com", 5)
    locked_unknown = main_content(sign_in("nobody@example.com", WRONG))
    _fail(sign_in, "citizen@example.com", 5)
    locked_known = main_content(sign_in("citizen@example.com", WRONG))
    assert "已暂时锁定" in locked_unknown
    assert locked_unknown.replace("nobody", "citizen") == locked_known
    assert db.session.scalar(select(AuditEntry.target_id).filter_by(action="accounts.locked", target_type="email")) \
        == "nobody@example.com"


def test_the_token_endpoint_counts_and_is_locked_too(client, clock, people, sign_in):
    for _ in range(3):
        response = client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": WRONG})
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_credentials"
    _fail(sign_in, "citizen@example.com", 2)  # pages and API share the count
    response = client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "account_locked"
    assert "10:15" in response.get_json()["error"]["message"]
    assert 890 <= int(response.headers["Retry-After"]) <= 900  # the rate limiter rounds it on the real clock
    clock.advance(minutes=15)
    assert client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": PASSWORD}) \
        .status_code == 200


def test_email_variants_share_one_count(client, clock, people, sign_in):
    for variant in ["citizen@example.com", "CITIZEN@example.com", " citizen@example.com",
                    "ｃｉｔｉｚｅｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "Citizen@Example.COM"]:
        _fail(sign_in, variant, 1)
    assert "已暂时锁定" in sign_in("citizen@example.com", PASSWORD).get_data(as_text=True)
