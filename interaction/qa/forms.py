"""Forms of the Q&A pages; the API validates with the same classes (``core.api.validate``).

Field names are the API's: ``department`` takes a department's code (as the mailbox's API does),
``kind`` is ``question`` or ``consultation``.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.core.forms import SingleLineField
from interaction.qa.models import MAX_ANSWER, MAX_BODY, MAX_TITLE, QuestionKind
from interaction.qa.services.asking import TOPICS

KIND_LABELS = {QuestionKind.question.value: _l("公众问答（审核后公开）"),
               QuestionKind.consultation.value: _l("业务咨询（仅您和该部门可见）")}

TOPIC_LABELS = {
    "education": _l("教育"), "social_security": _l("社保就业"), "household": _l("户籍证件"),
    "transport": _l("交通出行"), "housing": _l("住房"), "health": _l("医疗卫生"), "environment": _l("生态环境"),
    "business": _l("营商环境"), "other": _l("其他"),
}
assert set(TOPIC_LABELS) == set(TOPICS)


class Required:
    """Marks a field required on the page when a ``validate_<field>`` method checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


def _text(value):
    """Trim and use LF line breaks: a browser sends CR LF, which would count as two characters."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


def _department_by_code(code: str | None) -> Department | None:
    if not code:
        return None
    return db.session.scalar(select(Department).where(Department.code == code, Department.is_active.is_(True)))


def department_choices() -> list[SelectChoice]:
    departments = db.session.scalars(select(Department).where(Department.is_active.is_(True))
                                     .order_by(Department.sort_order, Department.id))
    return [SelectChoice("", _l("请选择部门"))] + [SelectChoice(d.code, d.name) for d in departments]


class DepartmentField:
    """``department`` by code: validated against the active departments, the one chosen as ``selected_department``."""

    def validate_department(self, field):
        if self.selected_department is None:
            raise ValidationError(_l("请选择一个有效的部门。"))

    @property
    def selected_department(self) -> Department | None:
        return _department_by_code(self.department.data)


class AskForm(DepartmentField, FlaskForm):
    """A citizen's question or consultation (我要提问)."""

    department = SelectField(_l("提问部门"), validators=[Required()], validate_choice=False)
    kind = RadioField(_l("提问类型"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
                      default=QuestionKind.question.value, validators=[Required()], validate_choice=False)
    topic = SelectField(_l("分类（选填）"), choices=[SelectChoice("", _l("不选择"))]
                        + [SelectChoice(k, v) for k, v in TOPIC_LABELS.items()], validators=[Optional()],
                        validate_choice=False)
    title = SingleLineField(_l("问题标题"), validators=[
        DataRequired(message=_l("请填写问题标题。")),
        Length(max=MAX_TITLE, message=_l("标题不能超过 %(max)d 个字。", max=MAX_TITLE))],
        render_kw={"autocomplete": "off"})
    body = TextAreaField(_l("问题内容"), filters=[_text], validators=[
        DataRequired(message=_l("请填写问题内容。")),
        Length(max=MAX_BODY, message=_l("内容不能超过 %(max)d 个字。", max=MAX_BODY))])
    publication_consent = BooleanField(
        _l("业务咨询答复后，同意部门隐去个人信息后公开（选填）"), default=False)

    #: The page lists every active department; the API's form looks up only the one named.
    lists_departments = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.lists_departments:
            self.department.choices = department_choices()

    def validate_kind(self, field):
        if field.data not in KIND_LABELS:
            raise ValidationError(_l("请选择公众问答或业务咨询。"))

    def validate_topic(self, field):
        if field.data and field.data not in TOPIC_LABELS:
            raise ValidationError(_l("请选择一个分类。"))


class ApiQuestionForm(AskForm):
    """``POST /questions``: ``department`` (code), ``kind``, ``title``, ``body``; ``topic``, ``publication_consent``."""

    lists_departments = False
    kind = SelectField(_l("提问类型"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
                       validators=[Required()], validate_choice=False)


class AnswerForm(FlaskForm):
    """The department's answer, or a new version of it."""

    body = TextAreaField(_l("答复内容"), filters=[_text], validators=[
        DataRequired(message=_l("请填写答复内容。")),
        Length(max=MAX_ANSWER, message=_l("答复不能超过 %(max)d 个字。", max=MAX_ANSWER))])


class RerouteForm(DepartmentField, FlaskForm):
    """An administrator moves a question to another department (改派)."""

    department = SelectField(_l("改派给"), validators=[Required()], validate_choice=False)
    reason = TextAreaField(_l("改派理由"), filters=[_text], validators=[
        DataRequired(message=_l("请填写改派理由。")),
        Length(max=1000, message=_l("理由不能超过 %(max)d 个字。", max=1000))])

    lists_departments = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.lists_departments:
            self.department.choices = department_choices()


class ApiRerouteForm(RerouteForm):
    lists_departments = False


class ConsentForm(FlaskForm):
    """The asker's consent to publishing a consultation, masked (given or taken back)."""

    publication_consent = BooleanField(_l("同意部门隐去个人信息后公开这条咨询"), default=False)


class ReviewSettingForm(FlaskForm):
    """Whether a department's answers go through review before they are public."""

    answers_need_review = BooleanField(_l("答复须经审核后公开"), default=False)
