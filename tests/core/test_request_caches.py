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
