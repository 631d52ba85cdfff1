"""Helpers for the pages' WTForms: a service's refusal shown where the person will look."""

from flask import flash

from interaction.core.errors import DomainError


def show_errors(form, exc: DomainError, *, fallback: str | None = None) -> None:
    """Put the messages of *exc* next to the fields they name, keeping what the person typed.

    A message for a field the form does not have (or an error that names no field) goes next to
    the *fallback* field; without one it is flashed above the form.
    """
    fields = exc.fields or ({fallback: exc.message} if fallback else {})
    if not fields:
        flash(exc.message, "error")
    for name, message in fields.items():
        target = name if name in form else fallback
        if target is None:
            flash(message, "error")
            continue
        form[target].errors = [*form[target].errors, message]
