"""The secret key's check value (core.keycheck): a database's letters are never served under another key."""

import logging

import pytest
from flask import has_app_context
from sqlalchemy import delete, select

from interaction.core.db import db
from interaction.core.keycheck import KEY_CHECK_SETTING, SecretKeyMismatch, Setting, key_check_value
from tests.factories import make_letter, make_mailbox
from tests.helpers import make_test_app


@pytest.fixture
def request_context(app):
    """Services translate their messages, which needs a request (core.web.select_locale)."""
    with app.test_request_context():
        yield


def _stored_check_value():
    return db.session.scalar(select(Setting.value).where(Setting.name == KEY_CHECK_SETTING))


def _store_a_letter():
    letter, _code = make_letter(make_mailbox())
    db.session.commit()
    return letter


def _build(database_url, key):
    """A desk started on the test's database with *key* (the test's session first ends its transaction)."""
    if has_app_context():
        db.session.commit()
    app = make_test_app(database_url, SECRET_KEY=key)
    with app.app_context():
        db.engine.dispose()
    return app


def _letters_made_with_the_test_key(database_url):
    _build(database_url, "test-secret-key")  # the desk started on this database once
    _store_a_letter()


def test_an_empty_database_starts_with_any_key_and_records_it(app, database_url, request_context):
    _build(database_url, "another-key")
    assert _stored_check_value() == key_check_value("another-key") != key_check_value("test-secret-key")
    _build(database_url, "test-secret-key")  # still no letters: nothing depends on the key
    assert _stored_check_value() == key_check_value("test-secret-key")
    assert len(db.session.scalars(select(Setting)).all()) == 1


def test_the_same_key_starts(app, database_url, request_context):
    _letters_made_with_the_test_key(database_url)
    assert _build(database_url, "test-secret-key").config["SECRET_KEY"] == "test-secret-key"
    assert _stored_check_value() == key_check_value("test-secret-key")


def test_another_key_refuses_to_start_with_a_clear_message(app, database_url, request_context):
    _letters_made_with_the_test_key(database_url)
    with pytest.raises(SecretKeyMismatch) as refused:
        _build(database_url, "another-key")
    message = str(refused.value)
    assert "INTERACTION_SECRET_KEY" in message and "query codes" in message and "README.md" in message
    assert _stored_check_value() == key_check_value("test-secret-key")  # the refusal changed nothing


def test_a_database_whose_letters_were_deleted_starts_with_another_key(app, database_url, request_context):
    _letters_made_with_the_test_key(database_url)
    from interaction.mailbox.models import Letter, LetterEvent

    db.session.execute(delete(LetterEvent))
    db.session.execute(delete(Letter))
    db.session.commit()
    _build(database_url, "another-key")
    assert _stored_check_value() == key_check_value("another-key")


def test_letters_from_before_check_values_record_the_key_at_start_up(app, database_url, request_context, caplog):
    _letters_made_with_the_test_key(database_url)
    db.session.execute(delete(Setting))
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="interaction.core.keycheck"):
        _build(database_url, "test-secret-key")
    assert "recorded the configured key" in caplog.text
    assert _stored_check_value() == key_check_value("test-secret-key")
    with pytest.raises(SecretKeyMismatch):
        _build(database_url, "another-key")


def test_a_database_without_the_settings_table_starts(tmp_path):
    app = _build(f"sqlite:///{tmp_path / 'before-upgrade.db'}", "any-key")
    assert app.config["SECRET_KEY"] == "any-key"


def test_an_unreachable_database_starts_and_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="interaction.core.keycheck"):
        _build("postgresql+psycopg://postgres@127.0.0.1:9/nothing?connect_timeout=2", "any-key")
    assert "unreachable" in caplog.text
