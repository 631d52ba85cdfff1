"""Plain ``make_*`` functions that add test objects and flush (CONVENTIONS 14)."""

import itertools

from werkzeug.security import generate_password_hash

from interaction.accounts.models import Department, User, normalize_email
from interaction.core.db import db
from interaction.mailbox.models import Mailbox
from tests.helpers import TEST_HASH_METHOD

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
_PASSWORD_HASH = generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


def make_department(code=None, name=None, parent=None, kind="department"):
    n = next(_seq)
    department = Department(code=code or f"dept{n}", name=name or f"测试部门{n}", parent=parent, kind=kind)
    db.session.add(department)
    db.session.flush()
    return department


def make_user(role="citizen", department=None, email=None, name=None, password=None, phone="13800138000"):
    n = next(_seq)
    user = User(
        email=normalize_email(email or f"user{n}@example.com"),
        name=name or f"用户{n}",
        phone=phone,
        role=role,
        department=department,
        password_hash=generate_password_hash(password, method=TEST_HASH_METHOD) if password else _PASSWORD_HASH,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_mailbox(department=None, code=None, name=None, reply_days=15):
    n = next(_seq)
    mailbox = Mailbox(code=code or f"mb{n}", name=name or f"测试信箱{n}",
                      department=department or make_department(), reply_days=reply_days)
    db.session.add(mailbox)
    db.session.flush()
    return mailbox


def make_letter(mailbox=None, *, actor=None, received_dt=None, channel="web", **fields):
    """A letter submitted through the service (deadlines computed); returns (letter, query_code)."""
    from interaction.mailbox import services

    data = {"category": "consultation", "subject": "测试来信", "body": "来信内容", "name": "张三",
            "phone": "13800138000", "email": None, "public_consent": False}
    data.update(fields)
    mailbox = mailbox or make_mailbox()
    if received_dt is not None or channel != "web":
        actor = actor or make_user(role="admin")
    letter, code, _created = services.submit_letter(mailbox, data, actor=actor, channel=channel,
                                                    received_dt=received_dt)
    return letter, code


def make_interview(department=None, *, status="scheduled", guests=None, actor=None, title="政务服务在线访谈",
                   scheduled_dt=None):
    """An interview made through the service; *guests*: GuestData list (default: one guest, one host)."""
    from datetime import timedelta

    from interaction.core.time import now_utc
    from interaction.interviews import services
    from interaction.interviews.services import GuestData

    actor = actor or make_user(role="moderator")
    interview = services.create_interview(
        title=title, topic="营商环境", department=department or make_department(),
        scheduled_dt=scheduled_dt or now_utc() + timedelta(days=1),
        guests=guests if guests is not None else [GuestData("李明", "局长"), GuestData("王芳", "主持人", role="host")],
        actor=actor)
    if status in ("live", "ended"):
        services.start_interview(interview, actor=actor)
    if status == "ended":
        services.end_interview(interview, actor=actor)
    db.session.flush()
    return interview
