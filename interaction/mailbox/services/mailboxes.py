"""Administration of the mailboxes themselves (the list citizens choose from)."""

from __future__ import annotations

from interaction.core import audit
from interaction.core.db import db
from interaction.mailbox.models import Mailbox


def save_mailbox(mailbox: Mailbox | None, data: dict, *, actor) -> Mailbox:
    """Create (*mailbox* None) or update a mailbox from *data*: code, name, department, reply_days, ..."""
    created = mailbox is None
    if created:
        mailbox = Mailbox()
        db.session.add(mailbox)
    for field in ("code", "name", "department_id", "reply_days", "description", "sort_order", "is_active",
                  "write_rule"):
        if field in data:
            setattr(mailbox, field, data[field])
    db.session.flush()
    audit.record("mailbox.create" if created else "mailbox.update", actor=actor, target=mailbox, code=mailbox.code)
    return mailbox
