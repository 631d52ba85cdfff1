"""Forms of the leader mailbox pages; the API validates with the same classes (``core.api.validate``).

Field names are the API's: ``mailbox`` and ``department`` take codes, ``received_at`` an ISO 8601
time (a time without offset is read as Asia/Shanghai, as the page's datetime-local input sends).
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (BooleanField, EmailField, Field, HiddenField, IntegerField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.core.forms import EmptyForm, SingleLineField, choices
from interaction.core.time import SHANGHAI, now_utc, to_local
from interaction.mailbox.models import MAX_EXTENSION_WORKDAYS, Category, LetterChannel, Mailbox, WriteRule
from interaction.mailbox import queries

MAX_BODY = 5000
MAX_SUBJECT = 100
MAX_REASON = 1000
MAX_REPLY = 20000

CATEGORY_LABELS = {
    Category.consultation.value: _l("咨询"),
    Category.suggestion.value: _l("建议"),
    Category.complaint.value: _l("投诉"),
    Category.help.value: _l("求助"),
    Category.report.value: _l("举报"),
    Category.other.value: _l("其他"),
}

WRITE_RULE_LABELS = {
    WriteRule.anyone.value: _l("任何人（无需登录或验证）"),
    WriteRule.account.value: _l("须登录账号"),
    WriteRule.phone.value: _l("须验证手机号（短信验证码）"),
}

CHANNEL_LABELS = {
    LetterChannel.web.value: _l("网上来信"),
    LetterChannel.post.value: _l("来信（邮寄）"),
    LetterChannel.phone.value: _l("来电"),
    LetterChannel.visit.value: _l("来访"),
}

#: Every channel's label, for display (the forms offer only ``CHANNEL_LABELS``).
LETTER_CHANNEL_LABELS = {**CHANNEL_LABELS, LetterChannel.live.value: _l("在线访谈转来")}

SCORE_CHOICES = [(5, _l("5 很满意")), (4, _l("4 满意")), (3, _l("3 基本满意")), (2, _l("2 不满意")),
                 (1, _l("1 很不满意"))]


class Required:
    """Marks a field required on the page (its * and ``required``) when a ``validate_<field>`` method checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(value):
    """Trim and use LF line breaks: a browser sends CR LF, which would count as two characters."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


def _department_by_code(code: str | None) -> Department | None:
    if not code:
        return None
    return db.session.scalar(select(Department).where(Department.code == code, Department.is_active.is_(True)))


def department_choices():
    departments = db.session.scalars(select(Department).where(Department.is_active.is_(True))
                                     .order_by(Department.sort_order, Department.id))
    return choices([("", _l("请选择部门"))] + [(d.code, d.name) for d in departments])


def mailbox_choices(mailboxes: list[Mailbox] | None = None):
    if mailboxes is None:
        mailboxes = db.session.scalars(queries.active_mailboxes()).all()
    return choices([("", _l("请选择信箱"))] + [(m.code, m.name) for m in mailboxes])


class ShanghaiDateTimeField(Field):
    """An ISO 8601 time; without an offset it is Shanghai time (the page's datetime-local input)."""

    widget = DateTimeLocalInput()

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_local(self.data).strftime("%Y-%m-%dT%H:%M") if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            value = datetime.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("请按“年-月-日 时:分”填写时间。")) from None
        self.data = value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


class LetterForm(FlaskForm):
    """A citizen's letter (写信)."""

    mailbox = SelectField(_l("信箱"), validators=[Required()], validate_choice=False)
    category = SelectField(_l("来信类别"), choices=choices([("", _l("请选择类别"))] + list(CATEGORY_LABELS.items())),
                           validators=[Required()], validate_choice=False)
    subject = SingleLineField(_l("标题"), validators=[
        DataRequired(message=_l("请填写标题。")),
        Length(max=MAX_SUBJECT, message=_l("标题不能超过 %(max)d 个字。", max=MAX_SUBJECT))])
    body = TextAreaField(_l("来信内容"), filters=[_text], validators=[
        DataRequired(message=_l("请填写来信内容。")),
        Length(max=MAX_BODY, message=_l("来信内容不能超过 %(max)d 个字。", max=MAX_BODY))])
    name = SingleLineField(_l("姓名"), validators=[
        DataRequired(message=_l("请填写姓名。")), Length(max=50, message=_l("姓名不能超过 50 个字。"))])
    phone = StringField(_l("联系电话"), filters=[_strip], validators=[DataRequired(message=_l("请填写联系电话。"))],
                        render_kw={"type": "tel", "autocomplete": "tel", "inputmode": "tel"})
    email = EmailField(_l("电子邮箱（选填）"), filters=[_strip], validators=[
        Optional(), Length(max=254, message=_l("电子邮箱地址过长。"))],
        render_kw={"autocomplete": "email"})
    public_consent = BooleanField(_l("我同意在答复后公开这封信（姓名、电话等个人信息将隐去）"), default=False)
    #: Asked by mailboxes whose rule is "phone" (WriteRule): the SMS code sent to the phone above.
    phone_code = StringField(_l("短信验证码"), filters=[_strip], validators=[Optional(), Length(max=12)],
                             render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    submission_token = HiddenField(label="")  # no label to translate: a hidden field shows none

    #: A page lists every active mailbox (the choices); a form that is never shown (the API's) looks up
    #: only the one named.
    lists_mailboxes = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Loaded once per form (one per request): the choices, the validation and selected_mailbox share it.
        if self.lists_mailboxes:
            self._active_mailboxes = {m.code: m for m in db.session.scalars(queries.active_mailboxes())}
            self.mailbox.choices = mailbox_choices(list(self._active_mailboxes.values()))
        else:
            found = queries.active_mailbox(self.mailbox.data) if self.mailbox.data else None
            self._active_mailboxes = {found.code: found} if found is not None else {}

    def validate_mailbox(self, field):
        if not field.data or field.data not in self._active_mailboxes:
            raise ValidationError(_l("请选择一个存在的信箱。"))

    def validate_category(self, field):
        if field.data not in CATEGORY_LABELS:
            raise ValidationError(_l("请选择来信类别。"))

    def validate_phone(self, field):
        from interaction.core.privacy import is_valid_phone

        if not is_valid_phone(field.data or ""):
            raise ValidationError(_l("请填写正确的手机号码或固定电话（含区号），例如 13800138000 或 0731-84567890。"))

    def validate_email(self, field):
        if not field.data:
            return
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("请输入有效的电子邮箱地址。")) from None

    @property
    def selected_mailbox(self) -> Mailbox | None:
        mailbox = self._active_mailboxes.get(self.mailbox.data)
        if mailbox is None:
            return db.session.scalar(select(Mailbox).where(Mailbox.code == self.mailbox.data))
        return mailbox

    def letter_data(self) -> dict:
        return {"category": self.category.data, "subject": self.subject.data, "body": self.body.data,
                "name": self.name.data, "phone": self.phone.data, "email": self.email.data or None,
                "public_consent": bool(self.public_consent.data), "phone_code": self.phone_code.data or None}


class RegisterLetterForm(LetterForm):
    """A letter that arrived by post, phone or visit, registered by staff (登记来信)."""

    channel = SelectField(_l("来信渠道"), choices=choices(CHANNEL_LABELS.items()), default=LetterChannel.post.value,
                          validate_choice=False)
    received_at = ShanghaiDateTimeField(_l("收信时间"))

    def validate_channel(self, field):
        if field.data not in CHANNEL_LABELS:
            raise ValidationError(_l("请选择来信渠道。"))

    def validate_received_at(self, field):
        if field.data is None:
            return
        if field.data > now_utc():
            raise ValidationError(_l("收信时间不能晚于现在。"))


class ApiLetterForm(RegisterLetterForm):
    """``POST /letters``: a citizen's letter, or (staff) a registered one; channel defaults to web."""

    lists_mailboxes = False

    channel = SelectField(_l("来信渠道"), choices=choices(CHANNEL_LABELS.items()), default=LetterChannel.web.value,
                          validate_choice=False)


class TrackForm(FlaskForm):
    """Number and query code of a letter (查询)."""

    number = StringField(_l("信件编号"), filters=[_strip], validators=[DataRequired(message=_l("请填写信件编号。"))],
                         render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    query_code = StringField(_l("查询码"), filters=[_strip], validators=[DataRequired(message=_l("请填写查询码。"))],
                             render_kw={"autocomplete": "off", "autocapitalize": "characters"})


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("不予受理理由"), filters=[_text], validators=[
        DataRequired(message=_l("请填写不予受理的理由。")),
        Length(max=MAX_REASON, message=_l("理由不能超过 %(max)d 个字。", max=MAX_REASON))],
        description=_l("来信人会看到这个理由。"))


class DepartmentMixin:
    def validate_department(self, field):
        if _department_by_code(field.data) is None:
            raise ValidationError(_l("请选择一个有效的部门。"))

    @property
    def selected_department(self) -> Department | None:
        return _department_by_code(self.department.data)


class AssignForm(DepartmentMixin, FlaskForm):
    department = SelectField(_l("承办部门"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices()


class TransferForm(DepartmentMixin, FlaskForm):
    department = SelectField(_l("转办给"), validate_choice=False)
    reason = TextAreaField(_l("转办理由"), filters=[_text], validators=[
        DataRequired(message=_l("请填写转办理由。")),
        Length(max=MAX_REASON, message=_l("理由不能超过 %(max)d 个字。", max=MAX_REASON))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices()


class ExtendForm(FlaskForm):
    workdays = IntegerField(_l("延期工作日数"), validators=[
        InputRequired(message=_l("请填写延期天数。")),
        NumberRange(min=1, max=MAX_EXTENSION_WORKDAYS,
                    message=_l("延期天数须为 1 至 %(max)d 个工作日。", max=MAX_EXTENSION_WORKDAYS))],
        render_kw={"min": 1, "max": MAX_EXTENSION_WORKDAYS, "inputmode": "numeric"})
    reason = TextAreaField(_l("延期理由"), filters=[_text], validators=[
        DataRequired(message=_l("请填写延期理由。")),
        Length(max=MAX_REASON, message=_l("理由不能超过 %(max)d 个字。", max=MAX_REASON))])


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("答复内容"), filters=[_text], validators=[
        DataRequired(message=_l("请填写答复内容。")),
        Length(max=MAX_REPLY, message=_l("答复不能超过 %(max)d 个字。", max=MAX_REPLY))])


class SuperviseForm(FlaskForm):
    note = TextAreaField(_l("督办意见"), filters=[_text], validators=[
        DataRequired(message=_l("请填写督办意见。")),
        Length(max=MAX_REASON, message=_l("督办意见不能超过 %(max)d 个字。", max=MAX_REASON))])


#: The action forms of ``POST /letters/{number}/actions`` and of the staff letter page.
ACTION_FORMS = {
    "accept": EmptyForm,
    "reject": RejectForm,
    "assign": AssignForm,
    "transfer": TransferForm,
    "extend": ExtendForm,
    "reply": ReplyForm,
    "close": EmptyForm,
}


class RatingForm(FlaskForm):
    """The page's rating: three dimensions as 人民网 asks; the overall is their rounded mean."""

    resolution = RadioField(_l("解决程度"), choices=choices(SCORE_CHOICES), coerce=int,
                            validators=[InputRequired(message=_l("请为解决程度打分。"))])
    attitude = RadioField(_l("办理态度"), choices=choices(SCORE_CHOICES), coerce=int,
                          validators=[InputRequired(message=_l("请为办理态度打分。"))])
    speed = RadioField(_l("办理速度"), choices=choices(SCORE_CHOICES), coerce=int,
                       validators=[InputRequired(message=_l("请为办理速度打分。"))])
    comment = TextAreaField(_l("评价意见（选填）"), filters=[_text], validators=[
        Optional(), Length(max=500, message=_l("评价意见不能超过 %(max)d 个字。", max=500))])


class ApiRatingForm(FlaskForm):
    """``POST /letters/{number}/rating``: ``score`` is the overall 1–5; the three dimensions are optional.

    Without ``score`` but with all three dimensions, the overall is their rounded mean.
    """

    query_code = StringField(_l("查询码"), filters=[_strip])
    score = IntegerField(_l("总体评价"), validators=[
        Optional(), NumberRange(min=1, max=5, message=_l("请选择 1 至 5 分。"))])
    resolution = IntegerField(_l("解决程度"), validators=[
        Optional(), NumberRange(min=1, max=5, message=_l("请选择 1 至 5 分。"))])
    attitude = IntegerField(_l("办理态度"), validators=[
        Optional(), NumberRange(min=1, max=5, message=_l("请选择 1 至 5 分。"))])
    speed = IntegerField(_l("办理速度"), validators=[
        Optional(), NumberRange(min=1, max=5, message=_l("请选择 1 至 5 分。"))])
    comment = TextAreaField(_l("评价意见"), filters=[_text], validators=[
        Optional(), Length(max=500, message=_l("评价意见不能超过 %(max)d 个字。", max=500))])

    def validate_score(self, field):
        dims = (self.resolution.data, self.attitude.data, self.speed.data)
        if field.data is None and any(d is None for d in dims):
            raise ValidationError(_l("请给出 1 至 5 分的总体评价。"))


class RehandleForm(FlaskForm):
    reason = TextAreaField(_l("申请再办理的理由（选填）"), filters=[_text], validators=[
        Optional(), Length(max=MAX_REASON, message=_l("理由不能超过 %(max)d 个字。", max=MAX_REASON))])


class MailboxForm(FlaskForm):
    code = StringField(_l("代码"), filters=[_strip], validators=[
        DataRequired(message=_l("请填写代码。")), Length(max=32, message=_l("代码不能超过 32 个字符。"))])
    name = SingleLineField(_l("名称"), validators=[
        DataRequired(message=_l("请填写名称。")), Length(max=100, message=_l("名称不能超过 100 个字。"))])
    department = SelectField(_l("所属部门"), validate_choice=False)
    reply_days = IntegerField(_l("答复期限（工作日）"), default=15, validators=[
        InputRequired(message=_l("请填写答复期限。")),
        NumberRange(min=1, max=60, message=_l("答复期限须为 1 至 60 个工作日。"))])
    description = TextAreaField(_l("说明"), filters=[_text], validators=[
        Optional(), Length(max=500, message=_l("说明不能超过 500 个字。"))])
    sort_order = IntegerField(_l("排序"), default=0, validators=[Optional()])
    is_active = BooleanField(_l("启用"), default=True)
    write_rule = SelectField(_l("谁可以写信"), choices=choices(WRITE_RULE_LABELS.items()),
                             default=WriteRule.anyone.value, validate_choice=False)

    def validate_write_rule(self, field):
        if field.data not in WRITE_RULE_LABELS:
            raise ValidationError(_l("请选择谁可以写信。"))

    def __init__(self, *args, mailbox=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._mailbox = mailbox
        self.department.choices = department_choices()

    def validate_department(self, field):
        if _department_by_code(field.data) is None:
            raise ValidationError(_l("请选择一个有效的部门。"))

    def validate_code(self, field):
        existing = db.session.scalar(select(Mailbox).where(Mailbox.code == field.data))
        if existing is not None and existing is not self._mailbox:
            raise ValidationError(_l("该代码已被使用。"))
