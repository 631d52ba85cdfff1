"""Users, departments and API tokens."""

import unicodedata
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ColumnElement, ForeignKey, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.permissions import ROLE_PERMISSIONS, Permission, Role
from interaction.core.db import db
from interaction.core.time import now_utc


def normalize_email(email: str) -> str:
    """The form in which e-mails are stored and compared.

    NFKC folds full-width letters and ＠ to ASCII, all white space goes and case
    is folded, so that no two accounts can look alike.
    """
    value = email or ""
    # Repeat until stable: case folding can produce text that NFKC changes again.
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
        # Invisible format characters (zero-width space, joiners, BOM) go with the white space.
        folded = "".join(ch for ch in "".join(folded.split()) if unicodedata.category(ch) != "Cf")
        if folded == value:
            break
        value = folded
    return value


class DepartmentKind:
    province = "province"
    department = "department"
    city = "city"
    county = "county"

    ALL = (province, department, city, county)


class Department(db.Model):
    """A government body: the province, its departments, cities and counties, as a tree."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default=DepartmentKind.department)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["Department | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Department"]] = relationship(back_populates="parent", order_by="Department.sort_order")

    def __repr__(self):
        return f"<Department {self.code}>"

    @property
    def ancestors(self) -> list["Department"]:
        """The chain of parents, nearest first."""
        chain, node = [], self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain

    @property
    def path_name(self) -> str:
        """The name with its parents, e.g. 湖南省人民政府 / 长沙市 / 浏阳市."""
        return " / ".join(d.name for d in [*reversed(self.ancestors), self])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16), default=Role.citizen.value)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Bumped on sign-out and password change: every cookie session carrying an older value ends.
    session_version: Mapped[int] = mapped_column(default=1)
    locked_until_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    last_login_dt: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(lazy="joined")

    def __repr__(self):
        return f"<User {self.id} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def permissions(self) -> Permission:
        return ROLE_PERMISSIONS.get(Role(self.role), Permission(0))

    def can(self, permission: Permission) -> bool:
        return self.is_enabled and (self.permissions & permission) == permission

    @property
    def is_admin(self) -> bool:
        return self.can(Permission.ADMIN)

    def belongs_to(self, department_id: int | None) -> bool:
        """True for admins and for staff of *department_id*."""
        return self.is_admin or (department_id is not None and self.department_id == department_id)


class ApiToken(db.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    expires_dt: Mapped[datetime]
    revoked_dt: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_valid(self) -> bool:
        return self.revoked_dt is None and self.expires_dt > now_utc() and self.user.is_enabled

    @classmethod
    def valid_at(cls, now) -> ColumnElement[bool]:
        """:attr:`is_valid` in SQL at *now*, for a query that joins the token's user."""
        return and_(cls.revoked_dt.is_(None), cls.expires_dt > now, User.is_enabled)


class LoginAttempt(db.Model):
    """A failed or successful sign-in, by normalized e-mail (known or not)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    at_dt: Mapped[datetime] = mapped_column(index=True)
    succeeded: Mapped[bool]
    ip: Mapped[str | None] = mapped_column(String(64))
    # Set on the failure that locked the e-mail (known or not): sign-in is refused until then, from
    # that failure's address (lock_scope "address") or from every address ("everywhere").
    locks_until_dt: Mapped[datetime | None]
    lock_scope: Mapped[str | None] = mapped_column(String(16))
