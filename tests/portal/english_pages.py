"""The portal's pages for tests/test_i18n.py's English check (issue 18): site settings, the letter form with
its notes."""

from tests import factories


def _site_settings_page(app, client, login):
    login(factories.make_user("admin", name="Ada Admin"))
    return "/admin/site"


def _write_page_with_notice(app, client, login):
    from interaction.core.db import db
    from interaction.core.settings import save_site_settings

    admin = factories.make_user("admin", name="Ada Admin")
    factories.make_mailbox(name="Governor", department=factories.make_department(name="General Office"))
    with app.test_request_context():
        save_site_settings({"host": "General Office", "writing_notice": "Be brief and factual."}, actor=admin)
    db.session.commit()
    return "/mailbox/write"


PORTAL_ENGLISH_PAGES = [_site_settings_page, _write_page_with_notice]
