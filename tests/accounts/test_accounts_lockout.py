"""Sign-in locks: 5 failures within 15 minutes lock the e-mail for 15 minutes *from that address*;
20 failures from several addresses lock it everywhere. Pages and API alike, audited, mailed to the owner."""

from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.mail import outbox
from tests.accounts.conftest import is_signed_in, main_content
from tests.helpers import csrf_token
from tests.factories import PASSWORD

WRONG = "not the password"


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _fail(sign_in, email, times, address="127.0.0.1"):
    for _ in range(times):
        assert "邮箱或密码不正确" in sign_in(email, WRONG, **_from(address)).get_data(as_text=True)


def _lock_scopes() -> list[str]:
    entries = db.session.scalars(select(AuditEntry).filter_by(action="accounts.locked").order_by(AuditEntry.id))
    return [entry.detail["scope"] for entry in entries]


def test_five_failures_lock_the_account_for_fifteen_minutes_from_that_address(app, client, clock, people, sign_in):
    _fail(sign_in, "citizen@example.com", 5, "203.0.113.9")
    page = sign_in("citizen@example.com", PASSWORD, **_from("203.0.113.9")).get_data(as_text=True)
    assert "已暂时锁定" in page and "10:15" in page  # 02:00 UTC is 10:00 in Shanghai
    assert not is_signed_in(client)
    assert people["citizen"].locked_until_dt is None  # not locked everywhere
    entry = db.session.scalar(select(AuditEntry).filter_by(action="accounts.locked"))
    assert (entry.target_type, entry.target_id) == ("users", str(people["citizen"].id))
    assert (entry.detail["scope"], entry.detail["address"]) == ("address", "203.0.113.9")
    [mail] = [m for m in outbox(app) if "citizen@example.com" in m.to]
    assert "锁定" in mail.subject and "203.0.113.9" in mail.body and "其他地方仍可正常登录" in mail.body

    clock.advance(minutes=14, seconds=59)
    assert "已暂时锁定" in sign_in("citizen@example.com", PASSWORD, **_from("203.0.113.9")).get_data(as_text=True)
    clock.advance(seconds=1)
    assert sign_in("citizen@example.com", PASSWORD, **_from("203.0.113.9")).status_code == 302
    assert is_signed_in(client)


def test_the_owner_signs_in_from_elsewhere_while_an_address_is_locked(client, clock, people, sign_in):
    _fail(sign_in, "admin@example.com", 5, "198.51.100.7")  # anyone could try the administrator's e-mail
    assert "已暂时锁定" in sign_in("admin@example.com", PASSWORD, **_from("198.51.100.7")).get_data(as_text=True)
    assert sign_in("admin@example.com", PASSWORD, **_from("10.1.2.3")).status_code == 302
    assert is_signed_in(client)


def test_twenty_failures_from_several_addresses_lock_everywhere(app, client, clock, people, sign_in):
    addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
    for address in addresses[:3]:
        _fail(sign_in, "citizen@example.com", 5, address)
    _fail(sign_in, "citizen@example.com", 4, addresses[3])
    assert _lock_scopes() == ["address"] * 3
    outbox(app).clear()
    _fail(sign_in, "citizen@example.com", 1, addresses[3])  # the 20th
    page = sign_in("citizen@example.com", PASSWORD, **_from("10.9.9.9")).get_data(as_text=True)
    assert "已暂时锁定" in page and "10:15" in page
    assert not is_signed_in(client)
    db.session.refresh(people["citizen"])
    assert people["citizen"].locked_until_dt == clock.now.replace(minute=15)
    assert _lock_scopes() == ["address"] * 3 + ["everywhere"]  # the 20th was also the 4th address's 5th
    mail = [m for m in outbox(app) if "citizen@example.com" in m.to]
    assert [("任何地方都无法登录" in m.body) for m in mail] == [True]
    clock.advance(minutes=15)
    assert sign_in("citizen@example.com", PASSWORD, **_from("10.9.9.9")).status_code == 302


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
    """The test client's requests come from 127.0.0.1, the sign-in page's included."""
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
    elsewhere = client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert elsewhere.status_code == 200
    clock.advance(minutes=15)
    assert client.post("/api/v1/auth/token", json={"email": "citizen@example.com", "password": PASSWORD}) \
        .status_code == 200


def test_email_variants_share_one_count(client, clock, people, sign_in):
    for variant in ["citizen@example.com", "CITIZEN@example.com", " citizen@example.com",
                    "ｃｉｔｉｚｅｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "Citizen@Example.COM"]:
        _fail(sign_in, variant, 1)
    assert "已暂时锁定" in sign_in("citizen@example.com", PASSWORD).get_data(as_text=True)
