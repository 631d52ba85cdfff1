"""What the mailbox's pages (``views``) and its API (``api``) share: the query-code rate limit, the actions.

One limit counts failed look-ups by query code across both faces (a guesser cannot switch from
the track page to the API to get more tries), and one dispatcher turns a validated action form
into its service call, so a page and an API request for the same action do the same thing.
"""

from flask import current_app

from interaction.core.extensions import limiter
from interaction.mailbox import services
from interaction.mailbox.models import Letter


def lookup_limit() -> str:
    return current_app.config.get("MAILBOX_LOOKUP_LIMIT", "10/minute")


def _failed_lookup(response) -> bool:
    return response.status_code == 404


#: Shared by every endpoint (API and pages) that takes a query code: only failures count.
lookup_limited = limiter.shared_limit(lookup_limit, scope="mailbox-lookup", deduct_when=_failed_lookup)


def perform_action(letter: Letter, action: str, form, actor) -> Letter:
    """Call the service of *action* with the fields of its validated *form* (``forms.ACTION_FORMS``)."""
    fields = {name: getattr(form, name).data for name in ("reason", "workdays", "body") if hasattr(form, name)}
    if hasattr(form, "selected_department"):
        fields["department"] = form.selected_department
    return services.act_on_letter(letter, action, actor=actor, **fields)
