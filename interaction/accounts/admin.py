"""The administration area: departments, users, audit log.

Other features add their own administration pages to the index with
:func:`register_admin_link` (e.g. mailboxes, word lists, the working-day calendar).
"""

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from interaction.accounts import queries, services
from interaction.accounts.forms import (KIND_LABELS, ROLE_LABELS, AuditFilterForm, DepartmentEditForm, DepartmentForm,
                                        UserCreateForm, UserEditForm, UserFilterForm)
from interaction.accounts.models import Department, User
from interaction.accounts.permissions import Permission, permission_required
from interaction.accounts.views import CONFLICT_FIELDS
from interaction.core.db import db
from interaction.core.errors import Conflict, DomainError, ValidationFailed
from interaction.core.forms import show_errors
from interaction.core.views import redirect_on_refusal

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 30


@dataclass(frozen=True)
class AdminLink:
    endpoint: str
    title: object  # lazy string
    description: object = ""


def register_admin_link(app: Flask, endpoint, title=None, description="") -> None:
    """List a feature's administration page on the administration index.

    Call as ``register_admin_link(app, "mailbox.admin_mailboxes", _l("信箱"))``, or with a
    ``core.web.NavLink`` (or anything with ``endpoint`` and ``title``) in place of *endpoint*.
    """
    if not isinstance(endpoint, str):
        endpoint, title = endpoint.endpoint, title or endpoint.title
    app.extensions.setdefault("interaction.admin_links", []).append(AdminLink(endpoint, title, description))


@bp.before_request
@permission_required(Permission.ADMIN)
def _require_admin():
    """Every page here is for administrators only (401/login for anonymous, 403 for others)."""


def _actor() -> User:
    return current_user._get_current_object()


def _department_or_none(department_id: int | None) -> Department | None:
    return db.session.get(Department, department_id) if department_id else None


@bp.get("/")
def index():
    links = current_app.extensions.get("interaction.admin_links", [])
    return render_template("accounts/admin_index.html", links=links)


# --- departments --------------------------------------------------------------------------------------


@bp.get("/departments")
def list_departments():
    departments = db.session.scalars(queries.query_departments()).all()
    return render_template("accounts/department_list.html", tree=queries.department_tree(departments),
                           kind_labels=KIND_LABELS)


@bp.route("/departments/new", methods=["GET", "POST"])
def create_department():
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = services.create_department(form.code.data, form.name.data, form.kind.data,
                                                    _department_or_none(form.parent.data), actor=_actor())
            department.is_active = form.is_active.data
        except (ValidationFailed, Conflict) as exc:  # raised before anything changed
            show_errors(form, exc, code_fields=CONFLICT_FIELDS)
        else:
            db.session.commit()
            flash(_("部门“%(name)s”已创建。", name=department.name), "success")
            return redirect(url_for("admin.list_departments"))
    return render_template("accounts/department_form.html", form=form, department=None)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id):
    department = db.get_or_404(Department, department_id)
    form = DepartmentEditForm(obj=department, department=department)
    if request.method == "GET":
        form.parent.data = department.parent_id or 0
    if form.validate_on_submit():
        try:
            services.update_department(department, name=form.name.data, kind=form.kind.data,
                                       parent=_department_or_none(form.parent.data),
                                       is_active=form.is_active.data, actor=_actor())
        except ValidationFailed as exc:  # raised before anything changed
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("部门“%(name)s”已保存。", name=department.name), "success")
            return redirect(url_for("admin.list_departments"))
    return render_template("accounts/department_form.html", form=form, department=department)


# --- users --------------------------------------------------------------------------------------------


@bp.get("/users")
def list_users():
    form = UserFilterForm(formdata=request.args)
    form.validate()
    stmt = queries.query_users(q=form.q.data if not form.q.errors else None,
                               role=form.role.data if not form.role.errors else None,
                               department_id=form.department.data if not form.department.errors else None)
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("accounts/user_list.html", form=form, page=page, filters=filters,
                           role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.email.data, form.password.data, form.role.data,
                                        _department_or_none(form.department.data), form.name.data,
                                        form.phone.data, actor=_actor())
        except (ValidationFailed, Conflict) as exc:  # raised before anything changed
            show_errors(form, exc, code_fields=CONFLICT_FIELDS)
        else:
            db.session.commit()
            flash(_("账号 %(email)s 已创建。", email=user.email), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("accounts/user_create.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.department.data = user.department_id or 0
    if form.validate_on_submit():
        try:
            services.update_user(user, role=form.role.data, department=_department_or_none(form.department.data),
                                 actor=_actor())
        except DomainError as exc:  # raised before anything changed
            show_errors(form, exc, code_fields=CONFLICT_FIELDS)
        else:
            db.session.commit()
            flash(_("账号已保存。"), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("accounts/user_edit.html", form=form, user=user, role_labels=ROLE_LABELS)


def _set_enabled(user_id: int, enabled: bool):
    user = db.get_or_404(User, user_id)
    user_page = url_for("admin.edit_user", user_id=user.id)
    with redirect_on_refusal(user_page):
        services.update_user(user, is_enabled=enabled, actor=_actor())
    db.session.commit()
    flash(_("账号已启用。") if enabled else _("账号已停用，其所有登录已退出。"), "success")
    return redirect(user_page)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id):
    return _set_enabled(user_id, False)


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id):
    return _set_enabled(user_id, True)


# --- audit log ----------------------------------------------------------------------------------------


@bp.get("/audit")
def list_audit():
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    if valid:
        stmt = queries.query_audit(actor_email=form.actor.data, action=form.action.data, target=form.target.data,
                                   date_from=form.date_from.data, date_to=form.date_to.data)
    else:
        stmt = queries.query_audit()
        flash(_("筛选条件有误，已显示全部记录。"), "warning")
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("accounts/audit_list.html", form=form, page=page, filters=filters)
