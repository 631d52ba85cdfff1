"""Forms of the accounts pages and API (the API validates with the same classes)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from interaction.accounts.models import Department, DepartmentKind, normalize_email
from interaction.accounts.permissions import Role
from interaction.accounts.services import MAX_PASSWORD, password_problem
from interaction.core.db import db
from interaction.core.forms import SingleLineField, choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_filter(value):
    return normalize_email(value) if isinstance(value, str) else value


ROLE_LABELS = {
    Role.citizen.value: _l("公众"),
    Role.staff.value: _l("工作人员"),
    Role.moderator.value: _l("审核员"),
    Role.admin.value: _l("管理员"),
}

KIND_LABELS = {
    DepartmentKind.province: _l("省级"),
    DepartmentKind.department: _l("省直部门"),
    DepartmentKind.city: _l("市州"),
    DepartmentKind.county: _l("县市区"),
}


def _check_email(value: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("请输入有效的电子邮箱地址。")) from None


def _check_phone(value: str) -> None:
    from interaction.core.privacy import is_valid_phone

    if value and not is_valid_phone(value):
        raise ValidationError(_l("请输入有效的手机号码或固定电话号码。"))


def department_choices(blank_label, *, active_only: bool = False, exclude: Department | None = None):
    """The options (id, name) of a select, in tree order with indentation; 0 stands for "none"."""
    departments = db.session.scalars(select(Department).order_by(Department.sort_order, Department.id)).all()
    by_parent: dict[int | None, list[Department]] = {}
    for d in departments:
        by_parent.setdefault(d.parent_id, []).append(d)
    pairs = [(0, blank_label)]

    def walk(parent_id, depth):
        for d in by_parent.get(parent_id, []):
            if exclude is not None and d.id == exclude.id:
                continue  # a department cannot move under itself or its own subtree
            if d.is_active or not active_only:
                pairs.append((d.id, "\u3000" * depth + d.name))
            walk(d.id, depth + 1)

    walk(None, 0)
    known = {d.id for d in departments}
    # Departments whose parent is missing from the tree (should not happen) still appear.
    for d in departments:
        if d.parent_id is not None and d.parent_id not in known:
            pairs.append((d.id, d.name))
    return choices(pairs)


class EmailFieldMixin:
    def validate_email(self, field):
        _check_email(field.data or "")


class PasswordFieldMixin:
    def validate_password(self, field):
        if problem := password_problem(field.data):
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = StringField(_l("电子邮箱"), filters=[_strip],
                        validators=[DataRequired(_l("请输入电子邮箱。")), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=MAX_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField(label="")  # no label to translate: a hidden field shows none


class RegisterForm(EmailFieldMixin, PasswordFieldMixin, FlaskForm):
    """Registration as the API takes it: e-mail, password, name, phone."""

    email = EmailField(_l("电子邮箱"), filters=[_email_filter],
                       validators=[DataRequired(_l("请输入电子邮箱。")), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    name = SingleLineField(_l("姓名"),
                           validators=[DataRequired(_l("请输入姓名。")),
                                       Length(max=50, message=_l("姓名不能超过 50 个字。"))],
                           render_kw={"autocomplete": "name"})
    phone = StringField(_l("手机号码"), filters=[_strip],
                        validators=[DataRequired(_l("请输入联系电话。")), Length(max=32)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。"))],
                             render_kw={"autocomplete": "new-password"})

    def validate_phone(self, field):
        _check_phone(field.data)


class RegisterPageForm(RegisterForm):
    """The registration page also asks for the password twice."""

    password_confirm = PasswordField(_l("再次输入密码"),
                                     validators=[DataRequired(_l("请再次输入密码。")),
                                                 EqualTo("password", _l("两次输入的密码不一致。"))],
                                     render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码。"))],
                                 render_kw={"autocomplete": "new-password"})
    new_password_confirm = PasswordField(_l("再次输入新密码"),
                                         validators=[DataRequired(_l("请再次输入新密码。")),
                                                     EqualTo("new_password", _l("两次输入的密码不一致。"))],
                                         render_kw={"autocomplete": "new-password"})

    def validate_new_password(self, field):
        if problem := password_problem(field.data):
            raise ValidationError(problem)


# --- administration ----------------------------------------------------------------------------------


class DepartmentForm(FlaskForm):
    code = StringField(_l("部门代码"), filters=[_strip],
                       validators=[DataRequired(_l("请输入部门代码。")), Length(max=32),
                                   Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("只能使用小写字母、数字和连字符。"))])
    name = SingleLineField(_l("部门名称"), validators=[DataRequired(_l("请输入部门名称。")), Length(max=100)])
    kind = SelectField(_l("类型"), choices=choices(KIND_LABELS.items()), default=DepartmentKind.department)
    parent = SelectField(_l("上级部门"), coerce=int, default=0)
    is_active = BooleanField(_l("启用"), default=True)

    def __init__(self, *args, department: Department | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = department_choices(_l("（无，顶级）"), exclude=department)


class DepartmentEditForm(DepartmentForm):
    code = None  # the code is an identifier used by the command line and mailboxes: it does not change


class UserCreateForm(EmailFieldMixin, PasswordFieldMixin, FlaskForm):
    email = EmailField(_l("电子邮箱"), filters=[_email_filter],
                       validators=[DataRequired(_l("请输入电子邮箱。")), Length(max=254)])
    name = SingleLineField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=50)])
    phone = StringField(_l("联系电话"), filters=[_strip], validators=[Optional(), Length(max=32)])
    role = SelectField(_l("角色"), choices=choices((k, v) for k, v in ROLE_LABELS.items() if k != Role.citizen.value),
                       default=Role.staff.value)
    department = SelectField(_l("所属部门"), coerce=int, default=0)
    password = PasswordField(_l("初始密码"), validators=[DataRequired(_l("请输入密码。"))],
                             render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("（无）"), active_only=True)

    def validate_phone(self, field):
        _check_phone(field.data)

    def validate_department(self, field):
        if self.role.data == Role.staff.value and not field.data:
            raise ValidationError(_l("工作人员必须属于一个部门。"))


class UserEditForm(FlaskForm):
    role = SelectField(_l("角色"), choices=choices(ROLE_LABELS.items()))
    department = SelectField(_l("所属部门"), coerce=int, default=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("（无）"))

    def validate_department(self, field):
        if self.role.data == Role.staff.value and not field.data:
            raise ValidationError(_l("工作人员必须属于一个部门。"))
        if self.role.data == Role.citizen.value and field.data:
            raise ValidationError(_l("公众账号不能属于部门。"))


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("姓名或邮箱"), filters=[_strip], validators=[Optional(), Length(max=100)])
    role = SelectField(_l("角色"), choices=choices([("", _l("全部角色")), *ROLE_LABELS.items()]), default="")
    department = SelectField(_l("部门"), coerce=int, default=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices(_l("全部部门"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    actor = StringField(_l("操作人邮箱"), filters=[_strip], validators=[Optional(), Length(max=254)])
    action = StringField(_l("操作"), filters=[_strip], validators=[Optional(), Length(max=64)])
    target = StringField(_l("对象"), filters=[_strip], validators=[Optional(), Length(max=64)],
                         description=_l("如 users 或 users:12"))
    date_from = DateField(_l("起始日期"), validators=[Optional()])
    date_to = DateField(_l("截止日期"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("截止日期不能早于起始日期。"))
