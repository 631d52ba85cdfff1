"""Forms of the moderation pages; the API validates with the same classes."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from interaction.moderation.models import Verdict, WordList

MAX_REASON = 500


class DecisionForm(FlaskForm):
    """Approve or reject one case; a rejection needs the reason the author will read."""

    verdict = StringField(_l("审核结果"))
    reason = TextAreaField(_l("理由"), validators=[Length(max=MAX_REASON, message=_l("理由不能超过 500 个字。"))],
                           description=_l("不通过时必须填写，提交人会看到这个理由。"))

    def validate_verdict(self, field):
        if field.data not in {v.value for v in Verdict}:
            raise ValidationError(_l("请选择通过或不通过。"))

    def validate_reason(self, field):
        field.data = (field.data or "").strip()
        if self.verdict.data == Verdict.reject and not field.data:
            raise ValidationError(_l("不通过时必须填写理由，提交人会看到这个理由。"))


class BulkDecisionForm(DecisionForm):
    """The same decision for every checked case of the queue."""

    case_ids = SelectMultipleField(_l("选中的审核项"), coerce=int, validate_choice=False)

    def validate_case_ids(self, field):
        if not field.data:
            raise ValidationError(_l("请至少勾选一项。"))


class WordsForm(FlaskForm):
    """Add words to one list: one word per line (a pasted list works)."""

    list = RadioField(_l("加入列表"), choices=[SelectChoice(WordList.block.value, _l("禁止词（直接拒绝）")),
                                            SelectChoice(WordList.review.value, _l("审核词（转人工审核）"))],
                      default=WordList.review.value, validate_choice=False)
    words = TextAreaField(_l("词语"), description=_l("每行一个词语，可一次粘贴多行。"),
                          validators=[InputRequired(message=_l("请填写词语。")),
                                      Length(max=20000, message=_l("一次最多提交 20000 个字。"))])

    def validate_list(self, field):
        if field.data not in {w.value for w in WordList}:
            raise ValidationError(_l("请选择禁止词或审核词。"))
