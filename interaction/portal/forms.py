"""The site settings form (站点设置) and the phone-code form, shared by the pages and the API."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from interaction.core.settings import DEFAULT_MAX_LENGTH, MAX_LENGTHS


class PhoneCodeForm(FlaskForm):
    """A phone number to send a code to (page and API)."""

    phone = StringField(_l("手机号码"), validators=[DataRequired(message=_l("请填写手机号码。")), Length(max=20)])


def _line(label, description=""):
    return StringField(label, validators=[Optional(), Length(max=DEFAULT_MAX_LENGTH)], description=description)


class SiteSettingsForm(FlaskForm):
    """What the footer and the letter form say; every field may be left empty (then it is not shown)."""

    host = _line(_l("主办单位"), _l("例如：湖南省人民政府办公厅"))
    organizer = _line(_l("承办单位"), _l("可不填"))
    contact = _line(_l("联系方式"), _l("地址、电话或电子邮箱"))
    hotline = _line(_l("政务服务便民热线"), _l("一般为 12345"))
    icp = _line(_l("ICP 备案号"), _l("例如：湘ICP备05000001号"))
    police_filing = _line(_l("公安机关备案号"), _l("例如：湘公网安备 43010502000001号"))
    writing_notice = TextAreaField(_l("留言须知"), validators=[Optional(), Length(max=MAX_LENGTHS["writing_notice"])],
                                   description=_l("显示在写信页的表单上方；每行一段。"))

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in
                ("host", "organizer", "contact", "hotline", "icp", "police_filing", "writing_notice")}
