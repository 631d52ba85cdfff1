"""What core.web looks up once (per request or per process) gives what the uncached lookups give."""

from flask import render_template_string, url_for
from flask_babel import force_locale, get_translations, refresh

from interaction.core.web import _WTFORMS_CATALOG, request_translations, template_url_for


def test_request_translations_follow_the_locale(app):
    with app.test_request_context():
        assert request_translations() is get_translations()
        assert request_translations().ugettext("首页") == "首页"
        with force_locale("en"):
            assert request_translations() is get_translations()
            assert request_translations().ugettext("首页") != "首页"
        assert request_translations().ugettext("首页") == "首页"  # back to the request's locale
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        refresh()  # the test's app context outlives its requests: forget the first one's locale
        assert render_template_string("{{ _('首页') }}") == request_translations().ugettext("首页") != "首页"


def test_template_url_for_gives_flask_urls(app):
    with app.test_request_context():
        for args in [("web.index", {}), ("static", {"filename": "css/site.css"}),
                     ("mailbox.staff_letter", {"number": "2611-ABCDE"}), ("web.index", {"_external": True})]:
            assert template_url_for(args[0], **args[1]) == url_for(args[0], **args[1])
            assert template_url_for(args[0], **args[1]) == url_for(args[0], **args[1])  # from the cache
    with app.test_request_context("/", base_url="http://localhost/desk/"):
        assert template_url_for("web.index") == url_for("web.index") == "/desk/"


def test_wtforms_messages_stay_translated(app):
    message = "Not a valid integer value."
    with app.test_request_context():
        chinese = _WTFORMS_CATALOG.ugettext(message)
        assert chinese != message
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        refresh()
        assert _WTFORMS_CATALOG.ugettext(message) == message


MEMO_TEMPLATE = "{% call memo(shown) %}{{ _('首页') }} {{ count() }} {{ url_for('web.index') }}{% endcall %}"


def test_memo_renders_a_block_once_per_shown_locale_and_script_root(app):
    calls = []

    def count():
        calls.append(1)
        return len(calls)

    def render(shown, **request):
        with app.test_request_context(**request):
            refresh()
            return render_template_string(MEMO_TEMPLATE, shown=shown, count=count)

    first = render(("rows", 1))
    assert first == "首页 1 /" and render(("rows", 1)) == first  # the same rows: rendered once
    assert render(("rows", 2)) == "首页 2 /"  # anything shown differs: rendered anew
    assert render(("rows", 1), headers={"Cookie": "lang=en"}).startswith("Home 3")  # another language
    assert render(("rows", 1), base_url="http://localhost/desk/") == "首页 4 /desk/"  # links under another root
    assert render(("rows", 1)) == first and len(calls) == 4


def test_memo_keeps_the_last_blocks_used(app, monkeypatch):
    from interaction.core import web

    monkeypatch.setattr(web, "FRAGMENT_MEMO_MAX", 2)
    with app.test_request_context():
        for shown in [1, 2, 1, 3]:  # 1 was used after 2: 2 is the one dropped
            render_template_string(MEMO_TEMPLATE, shown=shown, count=lambda: 0)
        kept = [key[1] for key in app.extensions[web.FRAGMENT_MEMO_KEY]]
    assert kept == [1, 3]
