"""The portal in the API, mounted under ``/api/v1`` by ``interaction.api``: phone codes and the site settings.

``POST /phone-codes {"phone"}`` → 202 ``{"phone", "expires_in", "resend_after"}``: an SMS code for a
mailbox whose rule asks writers to prove their phone (``POST /letters`` then takes ``phone_code``);
422 for a number that is not a mainland mobile number, 429 with ``Retry-After`` past a limit.
``GET /site`` → the site settings (主办单位, contact, hotline, filing numbers, 留言须知) for apps.
"""

from flask import Blueprint, jsonify, request

from interaction.core.api import idempotent, json_body, validate
from interaction.core.apidoc import INTEGER, STRING, documented, obj
from interaction.core.db import db
from interaction.core.errors import error_response
from interaction.core.phone_codes import RESEND_SECONDS, VALID_SECONDS, TooManyCodes, request_code
from interaction.core.settings import SITE_DEFAULTS, site_settings
from interaction.portal.forms import PhoneCodeForm
from interaction.portal.views import mask_phone

bp = Blueprint("portal", __name__)

PHONE_CODE_SCHEMA = obj({"phone": STRING, "expires_in": INTEGER, "resend_after": INTEGER})
SITE_SCHEMA = obj({key: STRING for key in SITE_DEFAULTS})


@bp.post("/phone-codes")
@documented(request=PhoneCodeForm, response=PHONE_CODE_SCHEMA, status=202, errors=(429,))
@idempotent  # an app retrying after a lost answer must not send (and count) a second SMS
def create_phone_code():
    """Send an SMS code to a mobile number (rate-limited per number and per address)."""
    form = validate(PhoneCodeForm, json_body())
    try:
        request_code(form.phone.data, request.remote_addr or "")
    except TooManyCodes as exc:
        db.session.rollback()
        response, status = error_response(429, exc.code, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, status
    db.session.commit()
    return jsonify(phone=mask_phone(form.phone.data), expires_in=VALID_SECONDS, resend_after=RESEND_SECONDS), 202


@bp.get("/site")
@documented(response=SITE_SCHEMA)
def get_site():
    """The site settings administrators set (主办单位, contact, hotline, filing numbers, 留言须知)."""
    return jsonify(site_settings())
