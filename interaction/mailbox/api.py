"""Leader mailbox API."""

from flask import Blueprint, jsonify
from sqlalchemy import select

from interaction.core.db import db
from interaction.mailbox.models import Mailbox

bp = Blueprint("mailbox", __name__)


@bp.get("/mailboxes")
def list_mailboxes():
    mailboxes = db.session.scalars(select(Mailbox).filter_by(is_active=True).order_by(Mailbox.sort_order, Mailbox.id))
    return jsonify(items=[{"code": m.code, "name": m.name, "department": m.department.code,
                           "reply_days": m.reply_days} for m in mailboxes])
