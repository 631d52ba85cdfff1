"""The secret key's check value: the desk refuses to start with a key other than the one its data was made with.

Letters' query codes are stored as HMACs keyed with ``SECRET_KEY`` (``INTERACTION_SECRET_KEY``).
A backup restored under another key (or with the variable unset, so that a key generated into
``instance/`` is used) would silently turn every code into a wrong one. So the database keeps a
check value of the key, ``HMAC(key, KEY_CHECK_LABEL)``, in core's ``settings`` table: written when
the first data made with the key is stored (a feature calls :func:`remember_secret_key`), compared
at start-up (:func:`check_secret_key`, called by ``create_app``).

The start-up check is one read of one row through its own short-lived connection; nothing is
read or written when the ``settings`` table does not exist yet (before ``flask db upgrade``).
Features name the tables that hold key-dependent data (:func:`register_keyed_table`): a database
whose check value differs is refused only if one of them has a row. A database holding such data
from before check values existed records the key it starts with, and says so in the log.
"""

import hashlib
import hmac
import logging
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import String, Table, Text, exists, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import after_commit, db
from interaction.core.time import now_utc

log = logging.getLogger(__name__)

KEY_CHECK_SETTING = "secret_key_check"
KEY_CHECK_LABEL = b"interaction: secret key check value, v1"
KEYED_TABLES_KEY = "interaction.keyed_tables"
REMEMBERED_KEY = "interaction.secret_key_remembered"


class Setting(db.Model):
    """A value the desk keeps about its own database (the secret key's check value)."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_dt: Mapped[datetime]


class SecretKeyMismatch(RuntimeError):
    """The database holds data made with another secret key than the configured one."""


MISMATCH_MESSAGE = (
    "Refusing to start: the database holds data (letters' query codes) made with another secret key. "
    "INTERACTION_SECRET_KEY is unset (a key generated into instance/secret_key is in use) or differs from "
    "the key in use when the data was stored, and with it every query code would be refused. Set "
    "INTERACTION_SECRET_KEY to that key (it belongs with the database's backups: see README.md, "
    "'Backups and the secret key')."
)


def key_check_value(secret_key: str) -> str:
    """The check value of *secret_key*: an HMAC of a fixed label (the key cannot be recovered from it)."""
    return hmac.new(secret_key.encode(), KEY_CHECK_LABEL, hashlib.sha256).hexdigest()


def register_keyed_table(app: Flask, table: Table) -> None:
    """Note that *table* holds data made with the secret key (a feature's ``init_app`` calls this)."""
    app.extensions.setdefault(KEYED_TABLES_KEY, []).append(table)


def remember_secret_key() -> None:
    """Store the current key's check value unless stored already, in the current transaction (flush only).

    A feature calls this where it stores data made with the key. The app started, so the key is
    the right one: it matched, or no such data existed (:func:`check_secret_key`). Looked up once
    per process (once it committed); two first writers at once both write the same value.
    """
    app = current_app._get_current_object()
    if app.extensions.get(REMEMBERED_KEY):
        return
    value = key_check_value(app.config["SECRET_KEY"])
    stored = db.session.get(Setting, KEY_CHECK_SETTING)
    if stored is None:
        _insert_or_ignore(value)
    elif stored.value != value:  # a stale value from before the keyed data was emptied
        stored.value, stored.updated_dt = value, now_utc()
    db.session.flush()
    after_commit(lambda: app.extensions.__setitem__(REMEMBERED_KEY, True))


def _insert_or_ignore(value: str) -> None:
    values = {"name": KEY_CHECK_SETTING, "value": value, "updated_dt": now_utc()}
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(Setting).values(values).on_conflict_do_nothing(index_elements=["name"]))


def check_secret_key(app: Flask) -> None:
    """Refuse to start (:class:`SecretKeyMismatch`) if the database's data was made with another key.

    Nothing to check on a database without the ``settings`` table, or held in memory; a database
    that cannot be reached is logged and left to the health check.
    """
    if app.config["SQLALCHEMY_DATABASE_URI"] in ("sqlite://", "sqlite:///:memory:"):
        return
    with app.app_context():
        try:
            _check(app)
        except OperationalError:
            log.warning("could not read the secret key's check value: the database is unreachable")
        finally:
            db.engine.dispose()  # no connection opened here outlives start-up (or crosses a fork)


def _check(app: Flask) -> None:
    value = key_check_value(app.config["SECRET_KEY"])
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(Setting.__tablename__):
            return
        stored = connection.scalar(select(Setting.value).where(Setting.name == KEY_CHECK_SETTING))
        if stored == value:
            return
        tables = app.extensions.get(KEYED_TABLES_KEY, [])
        if not any(connection.scalar(select(exists().select_from(table))) for table in tables):
            return  # no data depends on the key (yet): any key may start
        if stored is not None:
            raise SecretKeyMismatch(MISMATCH_MESSAGE)
    with db.engine.begin() as connection:
        connection.execute(Setting.__table__.insert().values(name=KEY_CHECK_SETTING, value=value,
                                                             updated_dt=now_utc()))
    log.warning("the database holds data made with the secret key but no check value of it: recorded the "
                "configured key's; keep INTERACTION_SECRET_KEY with the backups (README.md)")
