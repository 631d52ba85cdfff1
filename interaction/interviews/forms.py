"""Forms of the interview pages; the API validates its flat fields with the same classes."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
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


def parse_guest_lines(text: str) -> list[GuestData]:
    """One guest a line: ``姓名 | 职务 | 账号邮箱(可选) | 主持人(可选)``."""
    guests = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if not parts or not parts[0]:
            continue
        role = GuestRole.host.value if any(p in {"主持人", "host"} for p in parts[2:]) else GuestRole.guest.value
        email = next((p for p in parts[2:] if "@" in p), None)
        guests.append(GuestData(name=parts[0], title=parts[1] if len(parts) > 1 else "", role=role, user_email=email))
    return guests


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
    guests = TextAreaField(_l("嘉宾和主持人"), validators=[DataRequired(_l("请至少填写一位嘉宾。"))],
                           description=_l("每行一位：姓名 | 职务 | 账号邮箱（可选）| 主持人（如是主持人）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = db.session.scalars(select(Department).where(Department.is_active.is_(True))
                                         .order_by(Department.sort_order, Department.id)).all()
        self.department.choices = [SelectChoice("", _l("请选择"))] + [SelectChoice(d.code, d.name) for d in departments]

    def validate_scheduled_at(self, field):
        if parse_local_datetime(field.data) is None:
            raise ValidationError(_l("时间格式应为 2026-11-02T10:00。"))

    def validate_guests(self, field):
        if not parse_guest_lines(field.data):
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
