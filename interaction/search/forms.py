"""The search's forms: the query (page and API alike) and an administrator's term."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from interaction.core.forms import SingleLineField, choices
from interaction.core.search_text import MAX_QUERY_LENGTH

TYPE_CHOICES = choices([("", _l("全部")), ("letter", _l("来信")), ("question", _l("问答")),
                        ("transcript", _l("访谈实录"))])


class SearchForm(FlaskForm):
    """``?q=&type=``: read from the query string, no CSRF (a search changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("查询内容"), validators=[Optional(), Length(max=MAX_QUERY_LENGTH, message=_l(
        "查询内容不能超过 %(max)d 个字，请缩短后再查。"))])
    type = SelectField(_l("类别"), choices=TYPE_CHOICES, default="")

    def validate_q(self, field):
        if field.data and "\x00" in field.data:
            raise ValidationError(_l("查询内容含有不可见的控制字符。"))

    def types(self) -> list[str] | None:
        return [self.type.data] if self.type.data else None


class TermForm(FlaskForm):
    """A government term the segmenter should keep whole (医保, 一网通办)."""

    word = SingleLineField(_l("词语"), validators=[
        DataRequired(message=_l("请填写词语。")), Length(min=2, max=20, message=_l("词语应为 2 到 20 个字。")),
        Regexp(r"^[\w]+$", message=_l("词语只能包含汉字、字母和数字。"))])
