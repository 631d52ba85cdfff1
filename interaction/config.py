"""Configuration from the environment.

With nothing set the desk runs on SQLite in ``instance/`` with in-process
Socket.IO and in-memory rate limits. ``DATABASE_URL`` and ``REDIS_URL`` switch
to PostgreSQL and Redis; the other settings are ``INTERACTION_*`` variables.
"""

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """The key from the environment, else one generated once into ``instance/``."""
    if key := os.environ.get("INTERACTION_SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the scheme Heroku-style platforms hand out
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url or f"sqlite:///{instance_path / 'interaction.db'}"


def engine_options(url: str) -> dict:
    """SQLAlchemy's pool for the database at *url*: a fixed number of PostgreSQL connections per process.

    Under gevent (the deployment) hundreds of requests and socket events may want a connection at
    once. SQLAlchemy's default (5 kept, 10 more opened on demand and closed again when given back)
    then opens and closes connections all the time, each one a new PostgreSQL backend: a join of
    the live room cost more in connecting than in reading (bench/interviews.py). Here the pool keeps
    ``INTERACTION_DB_POOL_SIZE`` connections (20) and opens no others; a request waits for one at
    most ``INTERACTION_DB_POOL_TIMEOUT`` seconds (10), then fails as any database outage does.
    """
    if not url.startswith("postgresql"):
        return {}
    return {"pool_size": int(os.environ.get("INTERACTION_DB_POOL_SIZE", "20")), "max_overflow": 0,
            "pool_timeout": float(os.environ.get("INTERACTION_DB_POOL_TIMEOUT", "10"))}


def load(instance_path: Path) -> dict:
    """Build the configuration mapping for an app whose instance folder is *instance_path*."""
    redis_url = os.environ.get("REDIS_URL") or None
    production = _flag("INTERACTION_PRODUCTION")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DEBUG": _flag("INTERACTION_DEBUG"),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # PostgreSQL connections are pinged after resting in the pool, not at every checkout (core.db)
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url(instance_path)),
        "REDIS_URL": redis_url,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "PRODUCTION": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in core.web._csrf_protect, one place for all
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_Hans_CN": "中文", "en": "English"},
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down: each process counts in its own memory meanwhile (Flask-Limiter logs the switch once
        # and goes back when a ping answers), and a storage error left over never turns sign-in into a 500.
        # Short socket timeouts: an unreachable Redis must not hold a request for long.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if redis_url else {},
        "RATELIMIT_ENABLED": _flag("INTERACTION_RATELIMIT", True),
        # Passwords and letter query codes; tests lower the cost (a real hash takes ~0.25 s here).
        "PASSWORD_HASH_METHOD": os.environ.get("INTERACTION_PASSWORD_HASH_METHOD", "scrypt"),
        "API_TOKEN_DAYS": int(os.environ.get("INTERACTION_API_TOKEN_DAYS", "30")),
        "MAIL_SERVER": os.environ.get("INTERACTION_MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("INTERACTION_MAIL_PORT", "25")),
        "MAIL_SENDER": os.environ.get("INTERACTION_MAIL_SENDER", "noreply@interaction.local"),
        "SMS_URL": os.environ.get("INTERACTION_SMS_URL") or None,  # an SMS gateway (core.sms); unset: the log
        "SMS_TOKEN": os.environ.get("INTERACTION_SMS_TOKEN") or None,
        "SOCKETIO_ASYNC_MODE": os.environ.get("INTERACTION_ASYNC_MODE") or None,
        # WebSocket permessage-deflate: off, as Node's socket.io (see core.wsgi.decline_websocket_extensions).
        "SOCKETIO_WS_COMPRESSION": _flag("INTERACTION_WS_COMPRESSION"),
        # Broadcast frames written once and straight to each WebSocket under gevent (core.websocket).
        "SOCKETIO_DIRECT_WRITES": _flag("INTERACTION_WS_DIRECT_WRITES", True),
        # Start even if the realtime libraries are not the versions core.websocket was written for
        # (it then takes the libraries' own, slower path, logs it and /healthz says so); else refuse.
        "SOCKETIO_ALLOW_UNTESTED": _flag("INTERACTION_WS_ALLOW_UNTESTED"),
        # A viewer that stops reading: the kernel keeps at most this much for it (SO_SNDBUF, 0: the OS's
        # default), and it is disconnected once output has waited this long for it (it replays with since).
        "SOCKETIO_SEND_BUFFER_BYTES": int(os.environ.get("INTERACTION_WS_SEND_BUFFER", str(64 * 1024))),
        "SOCKETIO_MAX_LAG_SECONDS": float(os.environ.get("INTERACTION_WS_MAX_LAG", "5")),
        # engine.io's heartbeat, as Node's socket.io: a ping every 25 s, a socket closed if no pong in 20 s.
        "SOCKETIO_PING_INTERVAL": int(os.environ.get("INTERACTION_PING_INTERVAL", "25")),
        "SOCKETIO_PING_TIMEOUT": int(os.environ.get("INTERACTION_PING_TIMEOUT", "20")),
        "SEED_DEMO": _flag("INTERACTION_SEED_DEMO"),
    }
