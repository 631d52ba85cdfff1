"""What every page's view does the same way: a service's refusal turned into a message and a redirect.

A view that changes something follows one order (CONVENTIONS 3): call the service, commit, flash,
redirect. When the service refuses (it raises a :class:`~interaction.core.errors.DomainError`), the
view undoes the half-done work, tells the person why and sends them back. That second path is
written once, here; the first stays in the view, where the reader sees the commit::

    with redirect_on_refusal(back):
        services.rate_letter(letter, ...)
    db.session.commit()
    flash(_("感谢您的评价。"), "success")
    return redirect(back)

A form whose fields the refusal names shows it next to them instead (``core.forms.show_errors``).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, flash, redirect

from interaction.core.db import db
from interaction.core.errors import DomainError


def refusal_message(exc: DomainError) -> str:
    """What to tell the person: the messages of the fields the refusal names, else its own message."""
    return "；".join(exc.fields.values()) if exc.fields else exc.message


@contextmanager
def redirect_on_refusal(url: str) -> Iterator[None]:
    """Run the block; if a service in it refuses (``DomainError``), roll back, flash why and redirect to *url*.

    The redirect ends the request at once (Flask's ``abort`` with a response: no error page, no
    error handler), so the lines after the block run only when the service went through: there
    the view commits and says what was done.
    """
    try:
        yield
    except DomainError as exc:
        db.session.rollback()
        flash(refusal_message(exc), "error")
        abort(redirect(url))
