"""The secret key's check value (core.keycheck): a database's letters are never served under another key."""

import logging

import pytest
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
    app = make_test_app(database_url, SECRET_KEY=key)
    with app.app_context():
        db.engine.dispose()
    return app


def test_the_first_letter_stores_the_keys_check_value(app, request_context):
    assert _stored_check_value() is None
    _store_a_letter()
    assert _stored_check_value() == key_check_value("test-secret-key") != key_check_value("another-key")
    _store_a_letter()  # the second changes nothing
    assert db.session.scalars(select(Setting)).all()[0].value == key_check_value("test-secret-key")


def test_the_same_key_starts(app, database_url, request_context):
    _store_a_letter()
    assert _build(database_url, "test-secret-key").config["SECRET_KEY"] == "test-secret-key"


def test_another_key_refuses_to_start_with_a_clear_message(app, database_url, request_context):
    _store_a_letter()
    with pytest.raises(SecretKeyMismatch) as refused:
        _build(database_url, "another-key")
    message = str(refused.value)
    assert "INTERACTION_SECRET_KEY" in message and "query codes" in message and "README.md" in message


def test_an_empty_database_starts_with_any_key_and_its_first_letter_stores_that_key(app, database_url,
                                                                                     request_context):
    other = _build(database_url, "another-key")  # no letters: nothing depends on the key
    with other.app_context(), other.test_request_context():
        letter, _code = make_letter(make_mailbox())
        db.session.commit()
        assert _stored_check_value() == key_check_value("another-key")
        db.session.remove()
        db.engine.dispose()
    with pytest.raises(SecretKeyMismatch):
        _build(database_url, "test-secret-key")


def test_a_stale_check_value_without_letters_is_replaced_by_the_first_letter(app, database_url, request_context):
    _store_a_letter()
    from interaction.mailbox.models import Letter, LetterEvent

    db.session.execute(delete(LetterEvent))
    db.session.execute(delete(Letter))
    db.session.commit()
    other = _build(database_url, "another-key")  # the letters are gone: any key may start
    with other.app_context(), other.test_request_context():
        make_letter(make_mailbox())
        db.session.commit()
        assert _stored_check_value() == key_check_value("another-key")
        db.session.remove()
        db.engine.dispose()


def test_letters_from_before_check_values_record_the_key_at_start_up(app, database_url, request_context, caplog):
    _store_a_letter()
    db.session.execute(delete(Setting))
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger="interaction.core.keycheck"):
        _build(database_url, "test-secret-key")
    assert "recorded the configured key" in caplog.text
    assert _stored_check_value() == key_check_value("test-secret-key")


def test_a_database_without_the_settings_table_starts(tmp_path):
    app = _build(f"sqlite:///{tmp_path / 'before-upgrade.db'}", "any-key")
    assert app.config["SECRET_KEY"] == "any-key"


def test_an_unreachable_database_starts_and_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="interaction.core.keycheck"):
        _build("postgresql+psycopg://postgres@127.0.0.1:9/nothing?connect_timeout=2", "any-key")
    assert "unreachable" in caplog.text
