"""Page numbers from the address bar never reach the database out of range."""

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize("path", ["/mailbox/public", "/interviews/"])
@pytest.mark.parametrize("page", [HUGE, "-5", "0", "abc"])
def test_html_lists_accept_any_page_number(client, path, page):
    response = client.get(f"{path}?page={page}")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/public/letters", "/api/v1/interviews"])
def test_api_lists_refuse_a_page_out_of_range(client, path):
    response = client.get(f"{path}?page={HUGE}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["page"]


def test_paginate_clamps_the_page(app):
    from sqlalchemy import select

    from interaction.accounts.models import User
    from interaction.core.db import MAX_PAGE, db

    with app.test_request_context(f"/?page={HUGE}"):
        assert db.paginate(select(User), per_page=10, error_out=False).page == MAX_PAGE
    with app.test_request_context("/?page=-3"):
        assert db.paginate(select(User), per_page=10, error_out=False).page == 1
