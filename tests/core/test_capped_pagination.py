"""Pages whose total is counted up to a cap (core.pagination): exact below it, "N+" past it."""

import pytest
from sqlalchemy import bindparam, select

from interaction.accounts.models import User
from interaction.core.db import db
from interaction.core.pagination import CappedPage, PageWindow, capped_count, count_label, paginate_capped
from tests.factories import make_user


def test_count_label():
    assert count_label(12, False) == "12" and count_label(1000, True) == "1000+"


def test_page_attributes():
    exact = CappedPage(items=[], page=2, per_page=20, total=41, capped=False, has_next=True)
    assert (exact.pages, exact.pages_label, exact.total_label) == (3, "3", "41")
    assert (exact.has_prev, exact.prev_num, exact.next_num) == (True, 1, 3)
    capped = CappedPage(items=[], page=1, per_page=20, total=1000, capped=True, has_next=True)
    assert (capped.pages, capped.pages_label, capped.total_label) == (None, "50+", "1000+")
    assert (capped.has_prev, capped.prev_num) == (False, None)


def seven_users(prefix):
    for i in range(7):
        make_user("citizen", email=f"{prefix}{i}@example.com")
    db.session.commit()


@pytest.mark.parametrize("rows", [False, True])
def test_paginate_capped(app, rows):
    with app.test_request_context():
        seven_users("u")
        stmt = select(User).order_by(User.id) if not rows else select(User.id, User.email).order_by(User.id)
        assert capped_count(stmt, User.id, cap=5) == (5, True)
        assert capped_count(stmt, User.id, cap=7) == (7, False)

        first = paginate_capped(stmt, User.id, per_page=3, page=1, cap=5, rows=rows)
        assert len(first.items) == 3 and first.has_next and first.capped and first.total_label == "5+"
        last = paginate_capped(stmt, User.id, per_page=3, page=3, cap=5, rows=rows)
        assert len(last.items) == 1 and not last.has_next
        beyond = paginate_capped(stmt, User.id, per_page=3, page=9, cap=5, rows=rows)
        assert beyond.items == [] and not beyond.has_next and beyond.total_label == "5+"

        whole = paginate_capped(stmt, User.id, per_page=10, page=1, cap=5, rows=rows)
        assert len(whole.items) == 7 and (whole.total, whole.capped) == (7, False)  # one page: no count needed
        exact = paginate_capped(stmt, User.id, per_page=3, page=1, cap=100, rows=rows)
        assert (exact.total, exact.capped, exact.pages) == (7, False, 3)


@pytest.mark.parametrize("rows", [False, True])
def test_counting_in_the_statements_order_counts_the_same(app, rows):
    with app.test_request_context():
        seven_users("o")
        stmt = select(User).order_by(User.email.desc()) if not rows else \
            select(User.id, User.email).order_by(User.email.desc())
        assert capped_count(stmt, User.id, cap=5, keep_order=True) == (5, True)
        assert capped_count(stmt, User.id, cap=7, keep_order=True) == capped_count(stmt, User.id, cap=7) == (7, False)
        page = paginate_capped(stmt, User.id, per_page=3, page=2, cap=5, rows=rows, count_in_order=True)
        assert page.total_label == "5+" and len(page.items) == 3


def test_page_window_equals_paginate_capped(app):
    """A PageWindow (built once, run at the driver) gives the pages paginate_capped gives, the cap read per call."""
    with app.test_request_context():
        seven_users("w")
        stmt = select(User.id, User.email).where(User.email.like(bindparam("pattern"))).order_by(User.id)
        window = PageWindow(stmt, User.id)
        for page, cap in [(1, 5), (3, 5), (9, 5), (1, 100), (2, 7)]:
            expected = paginate_capped(stmt.params(pattern="w%"), User.id, per_page=3, page=page, cap=cap, rows=True)
            got = window.page(per_page=3, page=page, cap=cap, pattern="w%")
            assert ([tuple(row)[:2] for row in got.items], got.total, got.capped, got.has_next) == (
                [tuple(row)[:2] for row in expected.items], expected.total, expected.capped, expected.has_next)
        assert window.page(per_page=3, pattern="nobody%").items == []


def test_page_window_with_a_known_total(app):
    with app.test_request_context():
        seven_users("k")
        window = PageWindow(select(User.id).order_by(User.id), User.id, counted=False)
        page = window.page(per_page=5, page=2, total=7)
        assert (len(page.items), page.total, page.capped, page.has_next) == (2, 7, False, False)
        with pytest.raises(ValueError, match="total"):
            window.page(per_page=5)
