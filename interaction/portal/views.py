"""The portal's pages: site settings (站点设置) for the footer and the 留言须知, and sending a phone code."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.core.errors import DomainError
from interaction.core.phone_codes import normalize_phone, request_code
from interaction.core.redirects import safe_next
from interaction.core.settings import save_site_settings, site_settings
from interaction.portal.forms import PhoneCodeForm, SiteSettingsForm


def mask_phone(phone: str) -> str:
    phone = normalize_phone(phone)
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else phone

bp = Blueprint("portal", __name__)


@bp.route("/admin/site", methods=["GET", "POST"])
@permission_required(Permission.ADMIN)
def edit_site():
    form = SiteSettingsForm()
    if request.method == "GET":
        for name, value in site_settings().items():
            if name in form:
                form[name].data = value
    elif form.validate_on_submit():
        save_site_settings(form.values(), actor=current_user._get_current_object())
        db.session.commit()
        flash(_("站点设置已保存。"), "success")
        return redirect(url_for("portal.edit_site"))
    return render_template("portal/site_edit.html", form=form)


@bp.post("/phone-codes")
def send_phone_code():
    """Send an SMS code to the phone number given (the letter form's 获取短信验证码), then back to the form."""
    form = PhoneCodeForm()
    back = safe_next(request.form.get("next")) or url_for("web.index")
    if not form.validate_on_submit():
        flash(_("请填写正确的手机号码（11 位）。"), "error")
        return redirect(back)
    try:
        request_code(form.phone.data, request.remote_addr or "")
    except DomainError as exc:  # a wrong number (422) or too many codes (429)
        db.session.rollback()
        flash(exc.fields.get("phone") if exc.fields else exc.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("验证码已发送到 %(phone)s，10 分钟内有效。", phone=mask_phone(form.phone.data)), "success")
    return redirect(back)
