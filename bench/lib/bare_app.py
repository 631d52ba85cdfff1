"""The bare reference of bench/mailbox.py: Flask + Flask-SQLAlchemy + Jinja on the same ``letters`` table.

``GET /letters`` lists the 20 newest letters (``ORDER BY received_dt DESC``, on the index
``ix_letters_received``) in a Jinja template; ``POST /letters`` inserts one row from a JSON body.
No sign-in, CSRF, translation, masking, audit or timeline: what any Flask app on this table pays.
The SQLite connection settings are the desk's (WAL, synchronous=NORMAL, busy timeout), so that
the comparison is about the desk's own work, not about durability settings.

Run: ``DATABASE_URL=... gunicorn -w 2 bench.lib.bare_app:app``.
"""

import os
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from flask import Flask, jsonify, render_template, request
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import Boolean, DateTime, Integer, String, Text, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

LIST_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>来信列表</title></head>
<body><h1>来信列表</h1>
<table><thead><tr><th>编号</th><th>标题</th><th>类别</th><th>状态</th><th>收信时间</th><th>答复期限</th></tr></thead>
<tbody>{% for letter in letters %}
<tr><td><a href="/letters/{{ letter.number }}">{{ letter.number }}</a></td><td>{{ letter.subject }}</td>
<td>{{ letter.category }}</td><td>{{ letter.status }}</td>
<td>{{ letter.received_dt.strftime('%Y-%m-%d') }}</td><td>{{ letter.due_dt.strftime('%Y-%m-%d') }}</td></tr>
{% endfor %}</tbody></table></body></html>
"""


def _url() -> str:
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = _url()
app.jinja_loader = DictLoader({"list.html": LIST_TEMPLATE})
db = SQLAlchemy(app)


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


class Letter(db.Model):
    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    query_code_hash: Mapped[str] = mapped_column(String(256))
    mailbox_id: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    public_consent: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    received_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accept_due_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_dt: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    extended_workdays: Mapped[int] = mapped_column(Integer)
    transfer_count: Mapped[int] = mapped_column(Integer)
    is_rehandled: Mapped[bool] = mapped_column(Boolean)
    is_published: Mapped[bool] = mapped_column(Boolean)


@app.get("/letters")
def list_letters():
    letters = db.session.scalars(select(Letter).order_by(Letter.received_dt.desc()).limit(20)).all()
    return render_template("list.html", letters=letters)


@app.post("/letters")
def insert_letter():
    data = request.get_json()
    now = datetime.now(UTC)
    letter = Letter(number="B" + secrets.token_hex(7)[:13], query_code_hash="-", mailbox_id=data["mailbox_id"],
                    department_id=data["department_id"], category=data["category"], subject=data["subject"],
                    body=data["body"], name=data["name"], phone=data["phone"], email=data.get("email"),
                    public_consent=bool(data.get("public_consent")), channel="web", status="submitted",
                    received_dt=now, created_dt=now, accept_due_dt=now + timedelta(days=2),
                    due_dt=now + timedelta(days=21), extended_workdays=0, transfer_count=0, is_rehandled=False,
                    is_published=False)
    db.session.add(letter)
    db.session.commit()
    return jsonify(id=letter.id, number=letter.number), 201


@app.get("/healthz")
def healthz():
    return "ok"
