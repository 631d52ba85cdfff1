"""The portal's administration page: site settings (站点设置) for the footer and the 留言须知."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts.permissions import Permission, permission_required
from interaction.core.db import db
from interaction.core.settings import save_site_settings, site_settings
from interaction.portal.forms import SiteSettingsForm

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
