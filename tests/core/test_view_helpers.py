"""The pages' shared helpers: a refusal turned into a flash and a redirect, a refusal placed on a form."""

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from wtforms import StringField

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.core.errors import Conflict, ValidationFailed
from interaction.core.forms import EmptyForm, show_errors
from interaction.core.views import redirect_on_refusal


@pytest.fixture
def page(app):
    """A request of a page (flash needs one), with CSRF off so forms validate without a token."""
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context("/", method="POST"):
        yield


def test_a_refusal_rolls_back_flashes_why_and_redirects(page):
    with pytest.raises(HTTPException) as caught:
        with redirect_on_refusal("/back"):
            db.session.add(Department(code="half-done", name="半途"))
            db.session.flush()
            raise Conflict("已经评价过了。")
    response = caught.value.get_response()
    assert response.status_code == 302 and response.location == "/back"
    assert get_flashed_messages(with_categories=True) == [("error", "已经评价过了。")]
    assert db.session.scalar(select(Department).where(Department.code == "half-done")) is None


def test_a_refusal_naming_fields_flashes_their_messages(page):
    with pytest.raises(HTTPException):
        with redirect_on_refusal("/back"):
            raise ValidationFailed({"body": "请填写内容。", "reason": "请填写理由。"})
    assert get_flashed_messages() == ["请填写内容。；请填写理由。"]


def test_without_a_refusal_the_block_runs_and_the_view_goes_on(page):
    with redirect_on_refusal("/back"):
        db.session.add(Department(code="kept", name="留下"))
    db.session.commit()  # the view's own commit, after the block
    assert db.session.scalar(select(Department).where(Department.code == "kept")) is not None
    assert get_flashed_messages() == []


class _Form(FlaskForm):
    email = StringField()
    name = StringField()


def test_show_errors_places_each_message_next_to_its_field(page):
    form = _Form()
    show_errors(form, ValidationFailed({"name": "名字太长。", "unknown": "无处安放。"}), fallback="email")
    assert form.name.errors == ["名字太长。"] and form.email.errors == ["无处安放。"]
    assert get_flashed_messages() == []


def test_show_errors_places_a_conflict_by_its_code_and_flashes_what_has_no_place(page):
    form = _Form()
    show_errors(form, Conflict("该邮箱已注册。", code="email_taken"), code_fields={"email_taken": "email"})
    assert form.email.errors == ["该邮箱已注册。"]
    show_errors(form, Conflict("别的冲突。"), code_fields={"email_taken": "email"})
    assert get_flashed_messages() == ["别的冲突。"]


def test_empty_form_is_a_button_with_csrf(app):
    with app.test_request_context("/", method="POST", data={}):
        assert not EmptyForm().validate_on_submit()  # no token
        assert [field.name for field in EmptyForm()] == ["csrf_token"]
