"""The bare reference of bench/polls.py: Flask + Flask-SQLAlchemy inserting one ballot row per request.

``POST /ballots`` with ``{"poll_id", "user_id"}`` inserts one row into ``bare_ballots`` (a unique
constraint on the pair, as the desk's ``ballots``) and commits: what any Flask app pays to store a
row on this database, without sign-in, validation, answers or results. SQLite connections get the
desk's settings (WAL, synchronous=NORMAL, busy timeout, BEGIN IMMEDIATE), and PostgreSQL's pool the
desk's size (20 connections a process, none opened beyond them: ``interaction.config.engine_options``;
SQLAlchemy's default pool opens and closes connections all the time under gevent, each a new
backend), so that the comparison is about the desk's own work.

Run: ``DATABASE_URL=... gunicorn -w 2 -k gthread --threads 8 bench.lib.bare_ballots:app``.
"""

import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, UniqueConstraint, event, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 20, "max_overflow": 0}
db = SQLAlchemy(app, model_class=Base)


class BareBallot(db.Model):
    __tablename__ = "bare_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Integer)
    created_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _sqlite_settings(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _begin_immediate(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


with app.app_context():  # this app's engine only (the desk's listeners, when both run in one process, are its own)
    event.listen(db.engine, "connect", _sqlite_settings)
    event.listen(db.engine, "begin", _begin_immediate)


@app.post("/ballots")
def insert_ballot():
    data = request.get_json()
    db.session.execute(insert(BareBallot).values(poll_id=data["poll_id"], user_id=data["user_id"],
                                                 created_dt=datetime.now(UTC)))
    db.session.commit()
    return jsonify(ok=True), 201


@app.get("/healthz")
def healthz():
    return "ok"
