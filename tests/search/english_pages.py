"""The search pages tests/test_i18n.py renders in English (``SEARCH_ENGLISH_PAGES``).

The dictionary's page is not among them: its terms are Chinese words, the data it is about.
"""

from datetime import UTC, datetime

from interaction.core import search
from interaction.core.db import db


def search_results_page(app, client, login):
    search.put(search.Document("question", "1", "Bus pass renewal", "Where do I renew the senior bus pass?",
                               "/questions/1", datetime(2026, 5, 1, tzinfo=UTC)))
    db.session.commit()
    return "/search?q=bus+pass"


SEARCH_ENGLISH_PAGES = ["/search", "/search?q=", "/search?q=nothing-like-this", "/search?q=x&type=poll",
                        search_results_page]
