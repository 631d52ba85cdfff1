"""Plain ``make_*`` functions that add test objects and flush (CONVENTIONS 14)."""

import itertools

from werkzeug.security import generate_password_hash

from interaction.accounts.models import Department, User, normalize_email
from interaction.core.db import db
from interaction.mailbox.models import Mailbox

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
# Hashing with the real scheme costs ~50 ms; tests share one hash of the one password.
_PASSWORD_HASH = generate_password_hash(PASSWORD)


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
        password_hash=generate_password_hash(password) if password else _PASSWORD_HASH,
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
