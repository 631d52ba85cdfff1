"""The query code is stored as HMAC-SHA256(SECRET_KEY, code): never the plain code, checked in constant
time, and a wrong code answers exactly like an unknown number (a dummy digest is compared then)."""

import hashlib
import hmac


from interaction.core.db import db
from interaction.core.errors import NotFound
from interaction.mailbox import services
from interaction.mailbox.services import submission
from tests.factories import make_letter


def expected_digest(app, code):
    return hmac.new(app.config["SECRET_KEY"].encode(), code.encode(), hashlib.sha256).hexdigest()


def test_stored_code_is_the_keyed_hmac_not_the_code(app, world, request_context):
    letter, code = make_letter(world.governor)
    db.session.commit()
    assert letter.query_code_hash == expected_digest(app, code)
    assert code not in letter.query_code_hash
    # A plain (unkeyed) SHA-256 would let anyone holding the database test all ~2^40 codes offline.
    assert letter.query_code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert services.letter_by_code(letter.number, code.lower()) is letter


def test_another_secret_key_does_not_match(app, world, request_context):
    letter, code = make_letter(world.governor)
    db.session.commit()
    app.config["SECRET_KEY"] = "another-secret-key"
    try:
        services.letter_by_code(letter.number, code)
    except NotFound:
        pass
    else:
        raise AssertionError("a code hashed under another key must not match")


def test_unknown_number_still_compares_a_digest(world, request_context, monkeypatch):
    letter, code = make_letter(world.governor)
    db.session.commit()
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    for number, tried in ((letter.number, "WRONG234"), ("2611-ZZZZZ", code)):
        try:
            services.letter_by_code(number, tried)
        except NotFound:
            pass
        else:
            raise AssertionError("must be NotFound")
    assert len(calls) == 2  # once for the wrong code, once (against the dummy) for the unknown number
    assert calls[1][0] == submission._dummy_hash() and calls[1][0] != letter.query_code_hash


def test_wrong_code_and_unknown_number_pages_are_identical(client, world, post_form, request_context):
    letter, code = make_letter(world.governor)
    db.session.commit()
    wrong = post_form("/mailbox/track", {"number": letter.number, "query_code": "WRONG234"})
    unknown = post_form("/mailbox/track", {"number": "2611-ZZZZZ", "query_code": "WRONG234"})
    assert wrong.status_code == unknown.status_code == 404

    def strip(response):  # the pages differ only in the echoed number and the fresh CSRF token
        page = response.get_data(as_text=True).replace(letter.number, "N").replace("2611-ZZZZZ", "N")
        return [line for line in page.splitlines() if "csrf" not in line]

    assert strip(wrong) == strip(unknown)
