"""Every change to users, departments, sign-ins and API tokens.

Services take an explicit actor, flush and never commit, and write the audit
log. They never read the request: the caller passes what it knows (an address).
"""

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from interaction.accounts import hash_token
from interaction.accounts.models import ApiToken, Department, DepartmentKind, LoginAttempt, User, normalize_email
from interaction.accounts.permissions import Role
from interaction.core import audit
from interaction.core.db import db
from interaction.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from interaction.core.mail import send_mail
from interaction.core.time import now_utc, to_local

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MAX_FAILURES = 5  # from one address within FAILURE_WINDOW: that address is locked out
MAX_FAILURES_EVERYWHERE = 20  # from several addresses within FAILURE_WINDOW: every address is
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


class LockScope(StrEnum):
    """Where a sign-in lock applies: the address the failures came from, or every address."""

    address = "address"
    everywhere = "everywhere"

_UNSET = object()


class InvalidCredentials(DomainError):
    """Unknown e-mail or wrong password: one message for both, so nothing is revealed."""

    status = 401
    code = "invalid_credentials"
    default_message = _l("邮箱或密码不正确。")


class AccountLocked(DomainError):
    """Too many failed sign-ins for an e-mail; carries the time the lock ends."""

    status = 429
    code = "account_locked"

    def __init__(self, until: datetime):
        self.until = until
        super().__init__(_("登录失败次数过多，账号已暂时锁定，请于 %(time)s 后再试。",
                           time=to_local(until).strftime("%H:%M")))


class AccountDisabled(Forbidden):
    code = "account_disabled"
    default_message = _l("该账号已停用，请联系管理员。")


# --- passwords -------------------------------------------------------------------------------------


def password_problem(password: str) -> str | None:
    """Why *password* is not acceptable, or None; forms and services share the rule."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return _("密码至少需要 %(n)s 个字符。", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("密码不能超过 %(n)s 个字符。", n=MAX_PASSWORD)
    if len(set(password)) == 1:
        return _("密码不能全部由同一个字符组成。")
    return None


def _hash_password(password: str, field: str = "password") -> str:
    if problem := password_problem(password):
        raise ValidationFailed({field: problem})
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    # Checked against for unknown e-mails, so that they take as long as wrong passwords.
    key = "interaction.accounts_dummy_hash"
    if key not in current_app.extensions:
        current_app.extensions[key] = generate_password_hash(
            secrets.token_urlsafe(16), method=current_app.config["PASSWORD_HASH_METHOD"])
    return current_app.extensions[key]


# --- sessions and tokens ---------------------------------------------------------------------------


def _end_sessions(user: User) -> None:
    """End every cookie session (stale session_version) and revoke every API token of *user*."""
    user.session_version = (user.session_version or 1) + 1
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_dt.is_(None))
        .values(revoked_dt=now_utc())
        .execution_options(synchronize_session="fetch")
    )


def issue_token(user: User) -> tuple[str, ApiToken]:
    """Issue a bearer token for *user*; return the plaintext (shown once) and the stored token."""
    plaintext = secrets.token_urlsafe(32)
    now = now_utc()
    token = ApiToken(user=user, token_hash=hash_token(plaintext), created_dt=now,
                     expires_dt=now + timedelta(days=current_app.config.get("API_TOKEN_DAYS", 30)))
    db.session.add(token)
    db.session.flush()
    audit.record("accounts.token_issued", actor=user, target=token)
    return plaintext, token


def revoke_token(token_id: int, actor: User | None = None) -> ApiToken:
    """Revoke one API token (idempotent: revoking a revoked token changes nothing)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound()
    if token.revoked_dt is None:
        token.revoked_dt = now_utc()
        audit.record("accounts.token_revoked", actor=actor or token.user, target=token)
        db.session.flush()
    return token


def sign_out(user: User) -> None:
    """Sign *user* out everywhere: this session, every other session and every API token."""
    _end_sessions(user)
    audit.record("accounts.sign_out", actor=user, target=user)
    db.session.flush()


# --- sign-in ---------------------------------------------------------------------------------------


def _lock_until(email: str, ip: str | None, now: datetime) -> datetime | None:
    """When the lock on signing in as *email* from *ip* ends (its own address's lock, or one everywhere), or None."""
    until = db.session.scalar(
        select(func.max(LoginAttempt.locks_until_dt)).where(
            LoginAttempt.email == email, LoginAttempt.locks_until_dt > now,
            or_(LoginAttempt.lock_scope == LockScope.everywhere, LoginAttempt.ip.is_not_distinct_from(ip))))
    return until and until.astimezone(now.tzinfo)


def _recent_failures(email: str, now: datetime, ip: str | None = _UNSET) -> tuple[int, int]:
    """``(failures, addresses)``: *email*'s failed sign-ins in the window and since the last success.

    From *ip* only when given (its success restarts its count), else from everywhere (any success
    restarts it), with the number of distinct addresses they came from.
    """
    same_address = () if ip is _UNSET else (LoginAttempt.ip.is_not_distinct_from(ip),)
    since = now - FAILURE_WINDOW
    last_success = db.session.scalar(select(func.max(LoginAttempt.at_dt)).where(
        LoginAttempt.email == email, LoginAttempt.succeeded.is_(True), *same_address))
    if last_success is not None and last_success > since:
        since = last_success
    failures, addresses = db.session.execute(
        select(func.count(), func.count(LoginAttempt.ip.distinct())).select_from(LoginAttempt).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.at_dt > since,
            *same_address)).one()
    return failures, addresses


def _lock(attempt: LoginAttempt, user: User | None, scope: LockScope) -> None:
    """Lock *attempt*'s e-mail, for its address or everywhere; audit it and tell the account's owner."""
    attempt.locks_until_dt = attempt.at_dt + LOCK_DURATION
    attempt.lock_scope = scope.value
    if user is not None and scope == LockScope.everywhere:
        user.locked_until_dt = attempt.locks_until_dt
    audit.record("accounts.locked", actor=None, target=user, target_type="users" if user else "email",
                 target_id=user.id if user else attempt.email, scope=scope.value, address=attempt.ip,
                 until=attempt.locks_until_dt.isoformat())
    if user is not None:
        _tell_owner_of_lock(user, attempt, scope)
    db.session.flush()


def _tell_owner_of_lock(user: User, attempt: LoginAttempt, scope: LockScope) -> None:
    """E-mail the owner that their account was locked, in the site's language (not the guesser's)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        until = to_local(attempt.locks_until_dt).strftime("%Y-%m-%d %H:%M")
        subject = _("您的账号因多次登录失败被暂时锁定")
        if scope == LockScope.everywhere:
            body = _("多个网络地址连续多次以错误的密码登录您的账号（%(email)s），账号已暂时锁定，"
                     "%(time)s 前任何地方都无法登录。", email=user.email, time=until)
        else:
            body = _("网络地址 %(address)s 连续多次以错误的密码登录您的账号（%(email)s），%(time)s 前"
                     "来自该地址的登录将被拒绝；您在其他地方仍可正常登录。",
                     address=attempt.ip or _("未知地址"), email=user.email, time=until)
        body += "\n\n" + _("如果不是您本人的操作，建议登录后修改密码。")
    send_mail(user.email, subject, body)


def authenticate(email: str, password: str, *, ip: str | None = None) -> User:
    """Return the user whose e-mail and password these are; *ip* is the address the attempt came from.

    Raises :class:`InvalidCredentials` (one message for an unknown e-mail and a wrong password)
    and :class:`AccountDisabled` for a deactivated account with the right password.
    :class:`AccountLocked` refuses even the right password while the e-mail is locked for *ip*:
    after 5 failures within 15 minutes from one address, that address is locked out for 15
    minutes (others can still sign in, so nobody can lock the owner out from afar); after 20
    failures from several addresses, every address is. Unknown e-mails lock alike, so that
    locking reveals nothing. Each lock is audited and mailed to the account's owner. Failures are
    recorded: the caller must commit even when this raises.
    """
    normalized = normalize_email(email)[:254]
    now = now_utc()
    user = db.session.scalar(select(User).filter_by(email=normalized)) if normalized else None
    if until := _lock_until(normalized, ip, now):
        raise AccountLocked(until)
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if not ok or user is None:
        attempt = LoginAttempt(email=normalized, at_dt=now, succeeded=False, ip=ip)
        db.session.add(attempt)
        db.session.flush()
        failures, addresses = _recent_failures(normalized, now)
        if failures >= MAX_FAILURES_EVERYWHERE and addresses > 1:
            _lock(attempt, user, LockScope.everywhere)
        elif _recent_failures(normalized, now, ip)[0] >= MAX_FAILURES:
            _lock(attempt, user, LockScope.address)
        raise InvalidCredentials()
    if not user.is_enabled:
        raise AccountDisabled()
    db.session.add(LoginAttempt(email=normalized, at_dt=now, succeeded=True, ip=ip))
    user.last_login_dt = now
    user.locked_until_dt = None
    audit.record("accounts.sign_in", actor=user, target=user)
    db.session.flush()
    return user


# --- users ------------------------------------------------------------------------------------------


def _check_email_free(email: str, field: str = "email") -> str:
    normalized = normalize_email(email)
    if not normalized or "@" not in normalized:
        raise ValidationFailed({field: _("请输入有效的电子邮箱地址。")})
    if db.session.scalar(select(User.id).filter_by(email=normalized)) is not None:
        raise Conflict(_("该邮箱已经注册。"), code="email_taken")
    return normalized


def _check_role_department(role: str, department: Department | None) -> None:
    if role not in {r.value for r in Role}:
        raise ValidationFailed({"role": _("未知的角色。")})
    if role == Role.staff and department is None:
        raise ValidationFailed({"department": _("工作人员必须属于一个部门。")})
    if role == Role.citizen and department is not None:
        raise ValidationFailed({"department": _("公众账号不能属于部门。")})


def _clean_phone(phone: str | None) -> str | None:
    from interaction.core.privacy import normalize_phone

    phone = (phone or "").strip()
    if not phone:
        return None
    try:
        return normalize_phone(phone)
    except ValueError:
        raise ValidationFailed({"phone": _("请输入有效的手机号码或固定电话号码。")}) from None


def register_citizen(email: str, password: str, name: str, phone: str | None) -> User:
    """Create a citizen's own account (self-registration)."""
    user = User(email=_check_email_free(email), name=name.strip(), phone=_clean_phone(phone),
                role=Role.citizen.value, password_hash=_hash_password(password), created_dt=now_utc())
    db.session.add(user)
    db.session.flush()
    audit.record("accounts.register", actor=user, target=user)
    return user


def create_user(email: str, password: str, role: str, department: Department | None, name: str,
                phone: str | None = None, *, actor: User | None) -> User:
    """Create an account of any role (administrators and the command line)."""
    _check_role_department(role, department)
    user = User(email=_check_email_free(email), name=(name or "").strip() or normalize_email(email).split("@")[0],
                phone=_clean_phone(phone), role=role, department=department,
                password_hash=_hash_password(password), created_dt=now_utc())
    db.session.add(user)
    db.session.flush()
    audit.record("users.create", actor=actor, target=user, role=role,
                 department=department.code if department else None)
    return user


def update_user(user: User, *, role=_UNSET, department=_UNSET, is_enabled=_UNSET, actor: User | None) -> User:
    """Change role, department or enabled state; deactivation ends sessions and tokens.

    Administrators cannot demote or deactivate themselves (nobody could undo it).
    """
    new_role = user.role if role is _UNSET else str(role)
    new_department = user.department if department is _UNSET else department
    new_enabled = user.is_enabled if is_enabled is _UNSET else bool(is_enabled)
    if actor is not None and actor.id == user.id and (new_role != Role.admin or not new_enabled):
        raise Conflict(_("不能停用自己的账号或取消自己的管理员角色。"), code="self_lockout")
    _check_role_department(new_role, new_department)
    changes = {}
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
        user.role = new_role
    if new_department is not user.department:
        changes["department"] = [user.department.code if user.department else None,
                                 new_department.code if new_department else None]
        user.department = new_department
    if new_enabled != user.is_enabled:
        changes["is_enabled"] = [user.is_enabled, new_enabled]
        user.is_enabled = new_enabled
        if not new_enabled:
            _end_sessions(user)
    if changes:
        audit.record("users.update", actor=actor, target=user, changes=changes)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str, *, actor: User) -> None:
    """Change the password after checking the current one; every other session and token ends.

    The caller signs the current session in again (with the new session version).
    """
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed({"current_password": _("当前密码不正确。")})
    if check_password_hash(user.password_hash, new or ""):
        raise ValidationFailed({"new_password": _("新密码不能与当前密码相同。")})
    user.password_hash = _hash_password(new, "new_password")
    _end_sessions(user)
    audit.record("accounts.password_changed", actor=actor, target=user)
    db.session.flush()


# --- departments ------------------------------------------------------------------------------------


def create_department(code: str, name: str, kind: str = DepartmentKind.department, parent: Department | None = None,
                      *, actor: User | None = None, sort_order: int = 0) -> Department:
    """Create a department under *parent* (None: a root such as the province)."""
    code = (code or "").strip()
    if kind not in DepartmentKind.ALL:
        raise ValidationFailed({"kind": _("未知的部门类型。")})
    if db.session.scalar(select(Department.id).filter_by(code=code)) is not None:
        raise Conflict(_("部门代码已存在。"), code="department_code_taken")
    department = Department(code=code, name=name.strip(), kind=kind, parent=parent, sort_order=sort_order)
    db.session.add(department)
    db.session.flush()
    audit.record("departments.create", actor=actor, target=department, code=code,
                 parent=parent.code if parent else None)
    return department


def update_department(department: Department, *, name=_UNSET, parent=_UNSET, kind=_UNSET, is_active=_UNSET,
                      actor: User | None) -> Department:
    """Rename, move (never under itself or its own descendants), re-kind, (de)activate a department."""
    changes = {}
    if parent is not _UNSET and parent is not department.parent:
        if parent is not None and (parent is department or department in parent.ancestors):
            raise ValidationFailed({"parent": _("不能把部门放在它自己或它的下级部门之下。")})
        changes["parent"] = [department.parent.code if department.parent else None, parent.code if parent else None]
        department.parent = parent
    if name is not _UNSET and name.strip() != department.name:
        changes["name"] = [department.name, name.strip()]
        department.name = name.strip()
    if kind is not _UNSET and kind != department.kind:
        if kind not in DepartmentKind.ALL:
            raise ValidationFailed({"kind": _("未知的部门类型。")})
        changes["kind"] = [department.kind, kind]
        department.kind = kind
    if is_active is not _UNSET and bool(is_active) != department.is_active:
        changes["is_active"] = [department.is_active, bool(is_active)]
        department.is_active = bool(is_active)
    if changes:
        audit.record("departments.update", actor=actor, target=department, changes=changes)
    db.session.flush()
    return department
