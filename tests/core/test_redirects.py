"""One safe-redirect check (core.redirects.safe_next) behind every ``next`` and referrer the site follows."""

import pytest

from interaction.core.db import db
from interaction.core.redirects import safe_next
from tests.factories import PASSWORD, make_user

#: Targets that leave the site under some browser's reading of them.
HOSTILE = [
    "/\\evil.example", "//evil.example", "\\\\evil.example", "/%5Cevil.example", "/%5C%5Cevil.example",
    "/%2F%2Fevil.example", "%2F%2Fevil.example", "https://evil.example/", "http://evil.example",
    "//evil.example/path", "///evil.example", "/\t/evil.example", "/\r\nLocation: https://evil.example",
    "/%0d%0aSet-Cookie:x=1", "javascript:alert(1)", "evil.example", "https:evil.example",
    "http://localhost@evil.example/", "http://localhost//evil.example", "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(app, target):
    with app.test_request_context(base_url="http://localhost"):
        assert safe_next(target) is None


@pytest.mark.parametrize(("target", "expected"), [
    ("/account", "/account"), ("/mailbox/?page=2&q=%E4%B8%AD", "/mailbox/?page=2&q=%E4%B8%AD"),
    ("http://localhost/login?next=%2F", "/login?next=%2F"), ("https://localhost/mailbox/", "/mailbox/"),
    ("http://localhost", "/"),
])
def test_own_paths_and_own_full_urls_are_kept(app, target, expected):
    with app.test_request_context(base_url="http://localhost"):
        assert safe_next(target) == expected


def test_none_is_refused_outside_a_request_too(app):
    assert safe_next(None) is None
    assert safe_next("/account") == "/account"
    assert safe_next("http://localhost/account") is None  # no request: no host to call our own


@pytest.mark.parametrize("target", HOSTILE[:8])
def test_the_preference_forms_go_home_instead(post_form, target):
    response = post_form("/preferences/large-text", {"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE[:8])
def test_sign_in_goes_to_the_account_instead(app, client, post_form, target):
    make_user(email="someone@example.com")
    db.session.commit()
    response = post_form("/login", {"email": "someone@example.com", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", HOSTILE[:8])
def test_moderation_goes_back_to_the_queue_instead(app, client, login, post_form, target):
    login(make_user(role="moderator"))
    db.session.commit()
    response = post_form("/moderation/cases/decision", {"verdict": "approve", "case_ids": "999999", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/moderation/"
