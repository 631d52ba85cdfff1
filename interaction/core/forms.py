"""Helpers for the pages' WTForms.

A service's refusal shown where the person will look, one-line text, a form that is only a button.
"""

from flask import flash
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from interaction.core.errors import DomainError
from interaction.core.text import INVISIBLE_ONLY_MESSAGE, is_invisible_only, single_line


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_errors(form, exc: DomainError, *, fallback: str | None = None,
                code_fields: dict[str, str] | None = None) -> None:
    """Put the messages of *exc* next to the fields they name, keeping what the person typed.

    The one way a page shows a service's refusal on its form. A refusal that names no field but
    whose code belongs to one (*code_fields*, e.g. ``{"email_taken": "email"}``) goes next to that
    field. A message for a field the form does not have (or an error that names no field) goes
    next to the *fallback* field; without one it is flashed above the form.
    """
    if not exc.fields and exc.code in (code_fields or {}):
        fields = {code_fields[exc.code]: exc.message}
    else:
        fields = exc.fields or ({fallback: exc.message} if fallback else {})
    if not fields:
        flash(exc.message, "error")
    for name, message in fields.items():
        target = name if name in form else fallback
        if target is None:
            flash(message, "error")
            continue
        form[target].errors = [*form[target].errors, message]


class SingleLineField(StringField):
    """A one-line text field (a name, a subject, a title) as every form and the API take it.

    Bidirectional controls are taken out and invisible characters trimmed from both ends
    (``core.text.single_line``, before the field's own filters); text made only of invisible
    characters (zero-width spaces, U+3000, format characters...) is refused with its own message,
    before the field's validators run, so ``Optional()`` does not take it for an empty field.
    """

    invisible_message = INVISIBLE_ONLY_MESSAGE

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = single_line(self.data)

    def pre_validate(self, form):
        raw = self.raw_data[0] if self.raw_data else None
        if is_invisible_only(raw):
            raise StopValidation(self.invisible_message)


class EmptyForm(FlaskForm):
    """A POST button with CSRF and nothing else (every state-changing button is a form, CONVENTIONS 12)."""
