"""The portal's conventions (issue 18): site settings for the footer and the 留言须知, and phone verification.

``init_app`` registers the site settings page (administrators), puts the settings
(:func:`interaction.core.settings.site_settings`, cached) in every template as ``site`` for the
footer (``templates/portal/_footer.html``) and the letter form, and registers the phone-code page
endpoint and its API (``interaction.portal.api``): an SMS code that proves a writer's phone number
where a mailbox asks for it (``interaction.core.phone_codes``).
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from interaction.accounts.permissions import Permission
from interaction.core.web import NavLink, register_nav_link


def _site() -> dict:
    from interaction.core.settings import FILING_URLS, site_settings

    return {"site": site_settings(), "filing_urls": FILING_URLS}


def init_app(app: Flask) -> None:
    from interaction.portal import views

    app.register_blueprint(views.bp)
    app.context_processor(_site)
    title, description = _l("站点设置"), _l("主办单位、联系方式、12345 热线、备案号和留言须知。")
    try:
        from interaction.accounts.admin import register_admin_link
    except ImportError:  # the administration area has no link registry: a work link instead
        register_nav_link(app, NavLink("portal.edit_site", title, Permission.ADMIN))
    else:
        register_admin_link(app, "portal.edit_site", title, description)
