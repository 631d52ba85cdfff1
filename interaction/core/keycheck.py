"""The secret key's check value: the desk refuses to start with a key other than the one its data was made with.

Letters' query codes are stored as HMACs keyed with ``SECRET_KEY`` (``INTERACTION_SECRET_KEY``).
A backup restored under another key (or with the variable unset, so that a key generated into
``instance/`` is used) would silently turn every code into a wrong one. So the database keeps a
check value of the key, ``HMAC(key, KEY_CHECK_LABEL)``, in core's ``settings`` table, and
``create_app`` calls :func:`check_secret_key`: one read of one row when the key is the stored one
(every start but the first). Features name the tables that hold data made with the key
(:func:`register_keyed_table`, the mailbox's letters). When the stored value differs (or is
missing) and one of those tables has a row, the desk refuses to start; when none has, nothing
depends on the key yet and the start records its key's value (the first start of a database,
or one whose letters were all deleted). A database that holds letters from before check values
existed records the key it starts with, and says so in the log. The value is written at start-up,
not with the first letter, so that storing a letter costs nothing more.

Nothing is read or written when the ``settings`` table does not exist yet (before
``flask db upgrade``), for a database held in memory, or when the database cannot be reached (the
health check reports that).
"""

import hashlib
import hmac
import logging
import sqlite3
from datetime import datetime

from flask import Flask
from sqlalchemy import String, Table, Text, exists, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import db
from interaction.core.time import now_utc

log = logging.getLogger(__name__)

KEY_CHECK_SETTING = "secret_key_check"
KEY_CHECK_LABEL = b"interaction: secret key check value, v1"
KEYED_TABLES_KEY = "interaction.keyed_tables"


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


def _record(connection, value: str) -> None:
    """Store *value* as the check value, over any other (only when no data depends on the key)."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    values = {"name": KEY_CHECK_SETTING, "value": value, "updated_dt": now_utc()}
    connection.execute(insert(Setting).values(values).on_conflict_do_update(
        index_elements=["name"], set_={"value": values["value"], "updated_dt": values["updated_dt"]}))


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
        keyed_data = any(connection.scalar(select(exists().select_from(table))) for table in tables)
        if keyed_data and stored is not None:
            raise SecretKeyMismatch(MISMATCH_MESSAGE)
    try:
        with db.engine.begin() as connection:
            _record(connection, value)
    except (OperationalError, sqlite3.OperationalError):  # SQLite's write lock held past its timeout
        log.warning("could not record the secret key's check value (the database is busy); the next start will")
        return
    if keyed_data:
        log.warning("the database holds data made with the secret key but no check value of it: recorded the "
                    "configured key's; keep INTERACTION_SECRET_KEY with the backups (README.md)")
