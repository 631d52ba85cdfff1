"""The ``/api/v1`` blueprint: mounts each feature's API module, auth, OpenAPI document.

CSRF is checked in :mod:`interaction.core.web`: bearer-token requests need
no CSRF token; requests authenticated by the session cookie do, like the pages.
"""

from flask import Blueprint, Flask, Response, request


def _options_without_html(response: Response) -> Response:
    """``OPTIONS`` on an API path: 204 with ``Allow``, not Flask's empty 200 ``text/html``."""
    if request.method == "OPTIONS" and response.status_code == 200 and "Allow" in response.headers:
        empty = Response(status=204, headers={"Allow": response.headers["Allow"]})
        del empty.headers["Content-Type"]  # no body, so no type (the default would say text/html)
        return empty
    return response


def init_app(app: Flask) -> None:
    from interaction.accounts import api as accounts_api
    from interaction.calendar import api as calendar_api
    from interaction.interviews import api as interviews_api
    from interaction.mailbox import api as mailbox_api
    from interaction.moderation import api as moderation_api
    from interaction.oversight import api as oversight_api
    from interaction.polls import api as polls_api
    from interaction.portal import api as portal_api
    from interaction.qa import api as qa_api
    from interaction.search import api as search_api

    from interaction.api import openapi

    # A fresh parent per app: a blueprint registered once cannot take children again (tests build many apps).
    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    bp.after_request(_options_without_html)
    for module in (openapi, accounts_api, calendar_api, mailbox_api, moderation_api, interviews_api, polls_api,
                   qa_api, oversight_api, search_api, portal_api):
        bp.register_blueprint(module.bp)
    app.register_blueprint(bp)
