"""Forms of polls: the draft, a question, the report, withdrawal; the API validates with the same classes."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from interaction.core.forms import SingleLineField
from interaction.core.time import SHANGHAI
from interaction.polls.services.authoring import MAX_DESCRIPTION, MAX_PROMPT, MAX_REASON, MAX_REPORT, MAX_TITLE

VISIBILITY_CHOICES = [
    SelectChoice("after_close", _l("调查结束后公布（默认）")),
    SelectChoice("live", _l("实时公布")),
    SelectChoice("staff", _l("仅工作人员可见")),
]
KIND_CHOICES = [
    SelectChoice("single", _l("单选题")),
    SelectChoice("multiple", _l("多选题")),
    SelectChoice("rating", _l("评分题（1–5 分）")),
    SelectChoice("text", _l("填空题")),
]


def parse_local_datetime(value: str | None) -> datetime | None:
    """ISO 8601 (``2027-01-05T10:00`` as a page's field sends it, or with an offset) as aware UTC; None if not one.

    A time without an offset is Beijing time (Asia/Shanghai), as every page shows times.
    """
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def local_input(moment: datetime | None) -> str:
    """*moment* as a ``datetime-local`` field shows it (Beijing time)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") if moment else ""


class DateTimeText(StringField):
    """A date and time as text (``datetime-local`` on the page, ISO 8601 in the API)."""

    def pre_validate(self, form):
        if self.data and parse_local_datetime(self.data) is None:
            raise ValidationError(_l("时间格式应为 2027-01-05T10:00（北京时间）或带时区的 ISO 8601。"))


class PollForm(FlaskForm):
    title = SingleLineField(_l("标题"), validators=[DataRequired(_l("请填写标题。")), Length(max=MAX_TITLE)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=MAX_DESCRIPTION)])
    opens_at = DateTimeText(_l("开始时间（北京时间）"), validators=[DataRequired(_l("请填写开始时间。"))],
                            render_kw={"type": "datetime-local"})
    closes_at = DateTimeText(_l("截止时间（北京时间）"), validators=[DataRequired(_l("请填写截止时间。"))],
                             render_kw={"type": "datetime-local"})
    results_visibility = SelectField(_l("结果公开方式"), choices=VISIBILITY_CHOICES, default="after_close",
                                     validators=[Optional()])


class QuestionForm(FlaskForm):
    kind = SelectField(_l("题型"), choices=KIND_CHOICES, default="single")
    prompt = SingleLineField(_l("题目"), validators=[DataRequired(_l("请填写题目。")), Length(max=MAX_PROMPT)])
    options = TextAreaField(_l("选项（每行一个，选择题填写）"), validators=[Optional(), Length(max=20000)])
    min_choices = IntegerField(_l("最少选择数（多选题）"), validators=[Optional(), NumberRange(min=1, max=50)])
    max_choices = IntegerField(_l("最多选择数（多选题）"), validators=[Optional(), NumberRange(min=1, max=50)])
    required = BooleanField(_l("必答"), default=True)

    def option_labels(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]


class ReportForm(FlaskForm):
    summary = TextAreaField(_l("结果综述"), validators=[DataRequired(_l("请填写内容。")), Length(max=MAX_REPORT)])
    adoption = TextAreaField(_l("采纳情况（采纳了哪些意见，为什么）"),
                             validators=[DataRequired(_l("请填写内容。")), Length(max=MAX_REPORT)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("撤下原因"), validators=[DataRequired(_l("请填写撤下原因。")), Length(max=MAX_REASON)])
