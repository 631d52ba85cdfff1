"""Every message has English, and English pages show no Chinese outside the users' own data.

To check your feature's pages in English, add them to ``ENGLISH_PAGES`` below: a path, or a
function ``(app, client, login) -> path`` that creates what the page needs (with
``tests.factories``) and signs in if it must. Text that users typed (names, letters) may be
Chinese; put it in ``USER_DATA`` or give it ASCII names in your factory calls.
"""

import re

import pytest

from interaction.core import i18n
from tests import factories
from tests.portal.english_pages import PORTAL_ENGLISH_PAGES
from tests.oversight.english_pages import OVERSIGHT_ENGLISH_PAGES
from tests.qa.english_pages import QA_ENGLISH_PAGES
from tests.search.english_pages import SEARCH_ENGLISH_PAGES

CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

#: Chinese that may appear on an English page: the names of the languages in the switcher.
ALLOWED_CHINESE = {"中文"}


def _signed_in_account(app, client, login):
    login(factories.make_user(name="Ann Example"))
    return "/account"


def _poll(app, login, **kwargs):
    """A poll with ASCII text, by a staff member with an ASCII name (polls' pages in English)."""
    from interaction.core.db import db
    from interaction.polls import services

    department = factories.make_department(code="polls-en", name="Education Dept")
    staff = factories.make_user("staff", department, name="Sam Staff")
    with app.test_request_context():
        questions = [services.QuestionData("single", "Which?", ["A", "B"]),
                     services.QuestionData("multiple", "Which ones?", ["A", "B", "C"], max_choices=2),
                     services.QuestionData("rating", "How good?"), services.QuestionData("text", "Anything else?")]
        from datetime import timedelta

        from interaction.core.time import now_utc

        poll = services.create_poll(department, services.PollData(
            "Library hours", now_utc() - timedelta(hours=1), now_utc() + timedelta(days=3), "Tell us.", **kwargs),
            questions, actor=staff)
        services.publish_poll(poll, actor=staff)
        db.session.commit()
    return poll, staff


def _poll_ballot_page(app, client, login):
    poll, _staff = _poll(app, login)
    login(factories.make_user(name="Ann Example"))
    return f"/polls/{poll.id}"


def _poll_results_page(app, client, login):
    from interaction.core.db import db
    from interaction.polls import services

    poll, staff = _poll(app, login, results_visibility="live")
    with app.test_request_context():
        services.close_poll(poll, actor=staff)
        db.session.commit()
    login(staff)
    return f"/polls/{poll.id}/results"


def _poll_edit_page(app, client, login):
    poll, staff = _poll(app, login)
    login(staff)
    return "/polls/manage"


ENGLISH_PAGES = [
    "/",
    "/login",
    "/register",
    "/no-such-page",  # the 404 error page
    _signed_in_account,
    "/polls/",
    _poll_ballot_page,
    _poll_results_page,
    _poll_edit_page,
    *QA_ENGLISH_PAGES,
    *OVERSIGHT_ENGLISH_PAGES,
    *SEARCH_ENGLISH_PAGES,
    *PORTAL_ENGLISH_PAGES,
]


def visible_text(html: str) -> str:
    """What a reader sees: no tags, attributes, scripts or styles, and no language names."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    for word in ALLOWED_CHINESE:
        text = text.replace(word, " ")
    return text


def test_every_message_has_an_english_translation():
    missing = i18n.untranslated()
    assert not missing, (
        f"{len(missing)} messages have no English. Run `.venv/bin/python -m interaction.core.i18n update <package>`, "
        "fill the msgstr in interaction/<package>/translations/en/LC_MESSAGES/messages.po, then "
        "`... i18n compile`:\n  " + "\n  ".join(missing)
    )


def _english_entries():
    from babel.messages.pofile import read_po

    for package, (translations, _sources) in i18n.catalogs().items():
        path = translations / "en" / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as f:
                yield from ((package, message) for message in read_po(f) if message.id)


def test_english_counts_are_plurals_not_parentheses():
    """"1 letter", "2 letters": a count goes through ngettext, never "letter(s)" (issue 18, item 8)."""
    found = []
    for package, message in _english_entries():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(re.search(r"\w\(s\)", text or "") for text in strings):
            found.append(f"{package}: {message.string!r}")
        if isinstance(message.id, tuple) and (len(strings) != 2 or strings[0] == strings[1]):
            found.append(f"{package}: {message.id[0]!r} needs a singular and a plural: {strings!r}")
    assert not found, "English counts with (s), or plurals without both forms:\n  " + "\n  ".join(found)


def test_a_count_of_one_is_singular(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("en"):
        assert ngettext("共 %(n)s 封", "共 %(n)s 封", 1, n=1) == "1 letter"  # the public letters list
        assert ngettext("共 %(n)s 封", "共 %(n)s 封", 3, n=3) == "3 letters"
        assert ngettext("%(n)s 分", "%(n)s 分", 1, n=1) == "1 point"  # a poll's rating
        assert ngettext("%(n)s 分", "%(n)s 分", 5, n=5) == "5 points"


def _page_id(page):
    return page if isinstance(page, str) else page.__name__


@pytest.mark.parametrize("page", ENGLISH_PAGES, ids=_page_id)
def test_english_pages_have_no_chinese(app, client, login, page):
    path = page if isinstance(page, str) else page(app, client, login)
    client.set_cookie("lang", "en")
    response = client.get(path)
    assert response.status_code < 500
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html
    text = visible_text(html)
    leftovers = sorted({line.strip() for line in text.splitlines() if CJK.search(line)})
    assert not leftovers, f"{path} in English still shows Chinese (missing _() or translation): {leftovers}"


def test_every_channel_landing_page_is_english(app, client):
    """Each channel registered on the home page, in English, without anyone signed in."""
    client.set_cookie("lang", "en")
    channels = app.extensions.get("interaction.channels", [])
    problems = {}
    for channel in channels:
        with app.test_request_context():
            from flask import url_for

            path = url_for(channel.endpoint, _external=False)
        response = client.get(path)
        assert response.status_code < 500, path
        text = visible_text(response.get_data(as_text=True))
        leftovers = sorted({line.strip() for line in text.splitlines() if CJK.search(line)})
        if leftovers:
            problems[path] = leftovers
    assert not problems, f"channel pages in English still show Chinese: {problems}"


def test_chinese_is_the_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN"' in html
    assert CJK.search(visible_text(html))


def test_visible_text_drops_markup_but_keeps_text():
    html = '<p title="标题">Hello <b>世界</b></p><script>var x = "脚本";</script><button lang="zh-CN">中文</button>'
    text = visible_text(html)
    assert "标题" not in text and "脚本" not in text and "中文" not in text
    assert "Hello" in text and "世界" in text
