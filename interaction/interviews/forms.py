"""Forms of the interview pages; the API validates its flat fields with the same classes."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import FieldList, Form, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.core.forms import SingleLineField
from interaction.core.time import SHANGHAI
from interaction.interviews.models import GuestRole
from interaction.interviews.services import MAX_ANSWER, MAX_QUESTION, MAX_REASON, GuestData

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_local_datetime(value: str) -> datetime | None:
    """An ISO 8601 time; without an offset it is taken as Asia/Shanghai (what people type)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


class GuestRowForm(Form):
    """One guest or host, a row of the interview form (no text to split: name, title, account, role)."""

    # No Optional(): it would stop the chain before validate_name (a title or account without a name).
    name = SingleLineField(_l("姓名"), validators=[Length(max=50, message=_l("姓名不能超过 50 个字。"))])
    title = SingleLineField(_l("职务"), validators=[Optional(), Length(max=100, message=_l("职务不能超过 100 个字。"))])
    email = StringField(_l("账号邮箱（可选）"), validators=[Optional(), Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "off"})
    role = SelectField(_l("身份"), choices=[SelectChoice(GuestRole.guest.value, _l("嘉宾")),
                                            SelectChoice(GuestRole.host.value, _l("主持人"))],
                       default=GuestRole.guest.value)

    def validate_name(self, field):
        if not field.data and (self.title.data or self.email.data):
            raise ValidationError(_l("请填写姓名。"))


def guest_rows(rows) -> list[GuestData]:
    """The filled rows of the interview form's guests (rows without a name are left empty)."""
    return [GuestData(name=row.form.name.data, title=row.form.title.data or "", role=row.form.role.data,
                      user_email=(row.form.email.data or "").strip() or None)
            for row in rows if row.form.name.data]


class InterviewForm(FlaskForm):
    title = SingleLineField(_l("访谈标题"), validators=[DataRequired(_l("请填写标题。")), Length(max=200)])
    topic = SingleLineField(_l("访谈主题"), validators=[Optional(), Length(max=200)])
    department = SelectField(_l("主办部门"), validators=[InputRequired(_l("请选择部门。"))])
    scheduled_at = StringField(_l("开始时间"), validators=[DataRequired(_l("请填写开始时间。"))],
                               render_kw={"type": "datetime-local"})
    expected_minutes = IntegerField(_l("预计时长（分钟）"), default=60,
                                    validators=[InputRequired(_l("请填写预计时长。")),
                                                NumberRange(10, 600, _l("预计时长应在 10 到 600 分钟之间。"))])
    description = TextAreaField(_l("访谈简介"), validators=[Optional(), Length(max=5000)])
    guests = FieldList(FormField(GuestRowForm), label=_l("嘉宾和主持人"), min_entries=4, max_entries=20,
                       description=_l("每行一位。填写账号邮箱的嘉宾可以在直播间里亲自回答。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = db.session.scalars(select(Department).where(Department.is_active.is_(True))
                                         .order_by(Department.sort_order, Department.id)).all()
        self.department.choices = [SelectChoice("", _l("请选择"))] + [SelectChoice(d.code, d.name) for d in departments]

    def validate_scheduled_at(self, field):
        if parse_local_datetime(field.data) is None:
            raise ValidationError(_l("时间格式应为 2026-11-02T10:00。"))

    def validate_guests(self, field):
        if not guest_rows(field):
            raise ValidationError(_l("请至少填写一位嘉宾。"))


class AskForm(FlaskForm):
    body = TextAreaField(_l("您的问题"), validators=[DataRequired(_l("请填写问题。")),
                                                   Length(max=MAX_QUESTION, message=_l("问题不能超过 500 个字。"))],
                         id="ask-body", render_kw={"data-testid": "ask-body"})


class ApproveForm(FlaskForm):
    body = TextAreaField(_l("问题（可修改错别字）"), validators=[Optional(), Length(max=MAX_QUESTION)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("不通过的理由（提问人会看到）"), validators=[Optional(), Length(max=MAX_REASON)])


class AnswerForm(FlaskForm):
    question = SelectField(_l("回答的问题"), validate_choice=False, validators=[Optional()], id="answer-question")
    guest = SelectField(_l("发言人"), validate_choice=False, validators=[Optional()], id="answer-guest")
    body = TextAreaField(_l("回答或发言"), validators=[DataRequired(_l("请填写内容。")),
                                                    Length(max=MAX_ANSWER, message=_l("不能超过 5000 个字。"))],
                         id="answer-body")


class CorrectionForm(FlaskForm):
    body = TextAreaField(_l("更正后的内容"), validators=[DataRequired(_l("请填写内容。")), Length(max=MAX_ANSWER)])
    reason = SingleLineField(_l("更正原因"), validators=[DataRequired(_l("请填写更正原因。")), Length(max=MAX_REASON)])
