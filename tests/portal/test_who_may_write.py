"""Issue 18 item 7: per mailbox, anyone may write, or only a signed-in account, or a phone proved by an SMS code.

The API keeps its contract: an anonymous letter to a mailbox that allows it works exactly as before.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from interaction.core import sms
from interaction.core.db import db
from interaction.core.phone_codes import MAX_ATTEMPTS, PhoneCode, TooManyCodes, request_code, verify_code
from interaction.mailbox.models import Letter
from tests.factories import PASSWORD, make_department, make_mailbox, make_user

PHONE = "13812345678"
LETTER = {"category": "complaint", "subject": "小区噪音问题", "body": "工地夜间施工。", "name": "王小明",
          "phone": PHONE, "public_consent": False}


@pytest.fixture
def boxes(app, clock):
    department = make_department(code="office", name="省政府办公厅")
    open_box = make_mailbox(department, code="governor", name="省长信箱")
    account_box = make_mailbox(department, code="account-box", name="实名信箱")
    phone_box = make_mailbox(department, code="phone-box", name="验证信箱")
    account_box.write_rule, phone_box.write_rule = "account", "phone"
    citizen = make_user("citizen", email="citizen@example.com")
    db.session.commit()
    return {"open": open_box, "account": account_box, "phone": phone_box, "citizen": citizen}


def last_code(app) -> str:
    return sms.outbox(app)[-1].text.split("验证码是 ")[1][:6]


def test_codes_are_hashed_expire_and_die_after_wrong_tries(app, clock):
    with app.test_request_context():
        row = request_code(PHONE, "10.0.0.1")
        db.session.commit()
    code = last_code(app)
    assert code.isdigit() and code not in row.code_hash and len(row.code_hash) == 64
    with app.test_request_context():
        assert verify_code(PHONE, "000000" if code != "000000" else "111111") is False
        assert verify_code("13900000000", code) is False  # another number's code
        assert verify_code(PHONE, code) is True
        assert verify_code(PHONE, code) is False  # used up
        clock.advance(seconds=61)
        request_code(PHONE, "10.0.0.1")
        db.session.commit()
        clock.advance(minutes=11)
        assert verify_code(PHONE, last_code(app)) is False  # expired
        clock.advance(seconds=61)
        request_code(PHONE, "10.0.0.1")
        fresh = last_code(app)
        for _ in range(MAX_ATTEMPTS):
            verify_code(PHONE, "999999" if fresh != "999999" else "888888")
        assert verify_code(PHONE, fresh) is False  # dead after MAX_ATTEMPTS wrong tries


def test_codes_are_rate_limited_per_number_and_per_address(app, clock):
    with app.test_request_context():
        request_code(PHONE, "10.0.0.1")
        with pytest.raises(TooManyCodes) as again:
            request_code(PHONE, "10.0.0.2")
        assert 0 < again.value.retry_after <= 60
        for _ in range(4):
            clock.advance(seconds=61)
            request_code(PHONE, "10.0.0.1")
        clock.advance(seconds=61)
        with pytest.raises(TooManyCodes):  # five an hour for one number
            request_code(PHONE, "10.0.0.3")
        for n in range(20):
            request_code(f"139000000{n:02d}", "10.0.0.9")
        with pytest.raises(TooManyCodes):  # twenty an hour from one address
            request_code("13700000001", "10.0.0.9")
        clock.advance(hours=1, seconds=1)
        request_code("13700000001", "10.0.0.9")


def test_api_anonymous_letter_to_an_open_mailbox_unchanged(client, boxes):
    response = client.post("/api/v1/letters", json={**LETTER, "mailbox": "governor"})
    assert response.status_code == 201 and response.get_json()["status"] == "submitted"


def test_api_account_mailbox_needs_a_signed_in_writer(client, boxes, api_token):
    refused = client.post("/api/v1/letters", json={**LETTER, "mailbox": "account-box"})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "sign_in_required"
    assert db.session.scalar(select(Letter)) is None
    headers = api_token(boxes["citizen"].email, PASSWORD)
    accepted = client.post("/api/v1/letters", json={**LETTER, "mailbox": "account-box"}, headers=headers)
    assert accepted.status_code == 201


def test_api_phone_mailbox_needs_the_code(app, client, boxes):
    without = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box"})
    assert without.status_code == 422 and "phone_code" in without.get_json()["error"]["fields"]
    wrong_type = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box", "phone_code": 123456})
    assert wrong_type.status_code == 422 and "phone_code" in wrong_type.get_json()["error"]["fields"]
    sent = client.post("/api/v1/phone-codes", json={"phone": PHONE})
    assert sent.status_code == 202
    assert sent.get_json() == {"phone": "138****5678", "expires_in": 600, "resend_after": 60}
    again = client.post("/api/v1/phone-codes", json={"phone": PHONE})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) <= 60
    assert client.post("/api/v1/phone-codes", json={"phone": "0731-84567890"}).status_code == 422
    assert client.post("/api/v1/phone-codes", json={"phone": 13812345678}).status_code == 422
    code = last_code(app)
    wrong = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box", "phone_code": "000000"
                                                 if code != "000000" else "111111"})
    assert wrong.status_code == 422
    right = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box", "phone_code": code})
    assert right.status_code == 201
    reused = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box", "phone_code": code})
    assert reused.status_code == 422  # a code proves one letter
    rules = {m["code"]: m["write_rule"] for m in client.get("/api/v1/mailboxes").get_json()["items"]}
    assert rules == {"governor": "anyone", "account-box": "account", "phone-box": "phone"}


def test_a_repeated_phone_code_request_with_its_key_sends_one_sms(app, client):
    """An app retrying with its Idempotency-Key gets the first answer; no second SMS, no 429 for itself."""
    before = len(sms.outbox(app))
    headers = {"Idempotency-Key": "phone-code-retry-1"}
    first = client.post("/api/v1/phone-codes", json={"phone": PHONE}, headers=headers)
    repeat = client.post("/api/v1/phone-codes", json={"phone": PHONE}, headers=headers)
    assert first.status_code == repeat.status_code == 202 and repeat.get_json() == first.get_json()
    assert len(sms.outbox(app)) == before + 1
    # An anonymous caller's key is its key with the body (API.md): another number is another request.
    other_number = client.post("/api/v1/phone-codes", json={"phone": "13912345678"}, headers=headers)
    assert other_number.status_code == 202 and len(sms.outbox(app)) == before + 2


def test_write_page_follows_the_rules(app, client, boxes, post_form, login):
    page = client.get("/mailbox/write").get_data(as_text=True)
    assert "写信给以下信箱须先登录：实名信箱" in page and "验证信箱" in page
    assert 'action="/phone-codes"' in page and 'name="phone_code"' in page
    data = {**LETTER, "mailbox": "account-box", "category": "complaint", "submission_token": "t1"}
    refused = post_form("/mailbox/write", data)
    assert refused.status_code == 200 and "须先登录" in refused.get_data(as_text=True)
    sent = post_form("/phone-codes", {"phone": PHONE, "next": "/mailbox/write?mailbox=phone-box"})
    assert sent.status_code == 302 and sent.headers["Location"] == "/mailbox/write?mailbox=phone-box"
    assert "138****5678" in client.get("/mailbox/write").get_data(as_text=True)
    response = post_form("/mailbox/write", {**data, "mailbox": "phone-box", "phone_code": last_code(app),
                                            "submission_token": "t2"})
    assert response.status_code == 302 and "/mailbox/submitted/" in response.headers["Location"]
    login(boxes["citizen"])
    response = post_form("/mailbox/write", {**data, "submission_token": "t3"})
    assert response.status_code == 302
    assert len(db.session.scalars(select(Letter)).all()) == 2


def test_admin_sets_the_rule(app, client, boxes, login, post_form):
    admin = make_user("admin", email="admin@example.com")
    db.session.commit()
    login(admin)
    box = boxes["open"]
    form = client.get(f"/mailbox/admin/mailboxes/{box.id}/edit").get_data(as_text=True)
    assert 'name="write_rule"' in form
    response = post_form(f"/mailbox/admin/mailboxes/{box.id}/edit", {
        "code": "governor", "name": "省长信箱", "department": "office", "reply_days": "15", "description": "",
        "sort_order": "0", "is_active": "y", "write_rule": "phone"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(box), box.id).write_rule == "phone"


def test_sms_sender_is_pluggable(app, clock):
    sent = []
    sms.set_sender(app, lambda phone, text: sent.append((phone, text)))
    with app.test_request_context():
        request_code(PHONE, "10.0.0.1")
        assert sent == []  # nothing leaves before the commit
        db.session.commit()
    assert sent and sent[0][0] == PHONE
    assert db.session.scalar(select(PhoneCode).where(PhoneCode.phone == PHONE)).expires_dt \
        == clock.now + timedelta(minutes=10)


def test_wrong_codes_count_even_when_each_letter_is_refused(app, client, boxes):
    """A refused letter rolls its transaction back; the wrong tries are still counted (the limiter's storage)."""
    assert client.post("/api/v1/phone-codes", json={"phone": PHONE}).status_code == 202
    code = last_code(app)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(MAX_ATTEMPTS):
        response = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box", "phone_code": wrong})
        assert response.status_code == 422
        db.session.rollback()  # as the request's end does under a server (the test client shares this session)
        assert db.session.scalar(select(PhoneCode.attempts)) == 0  # the row's count went with the rollback
    late = client.post("/api/v1/letters", json={**LETTER, "mailbox": "phone-box", "phone_code": code})
    assert late.status_code == 422  # guessing cannot go on by having each guess refused
