"""The mailboxes' administration: the list, a new mailbox, editing one (administrators)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from interaction.accounts.models import Department
from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.mailbox import services
from interaction.mailbox.forms import MailboxForm
from interaction.mailbox.models import Mailbox
from interaction.mailbox.views import bp


@bp.get("/admin/mailboxes")
@permission_required(Permission.ADMIN)
def mailbox_list():
    mailboxes = db.session.scalars(select(Mailbox).order_by(Mailbox.sort_order, Mailbox.id)).all()
    return render_template("mailbox/mailbox_list.html", mailboxes=mailboxes)


@bp.route("/admin/mailboxes/new", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def mailbox_create():
    return _mailbox_form(None)


@bp.route("/admin/mailboxes/<int:mailbox_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def mailbox_edit(mailbox_id):
    return _mailbox_form(db.get_or_404(Mailbox, mailbox_id))


def _mailbox_form(mailbox: Mailbox | None):
    form = MailboxForm(obj=mailbox, mailbox=mailbox)
    if request.method == "GET" and mailbox is not None:
        form.department.data = mailbox.department.code
    if form.validate_on_submit():
        department = db.session.scalar(select(Department).where(Department.code == form.department.data))
        services.save_mailbox(mailbox, {
            "code": form.code.data, "name": form.name.data, "department_id": department.id,
            "reply_days": form.reply_days.data, "description": form.description.data or "",
            "sort_order": form.sort_order.data or 0, "is_active": bool(form.is_active.data),
            "write_rule": form.write_rule.data},
            actor=current_user._get_current_object())
        db.session.commit()
        flash(_("信箱已保存。"), "success")
        return redirect(url_for("mailbox.mailbox_list"))
    return render_template("mailbox/mailbox_edit.html", form=form, mailbox=mailbox)
