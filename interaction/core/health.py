"""``GET /healthz``: whether the database, Redis and the realtime path answer (API.md "Serving")."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from interaction.core import errors, websocket
from interaction.core.db import db
from interaction.core.extensions import csrf

bp = Blueprint("health", __name__)

#: Where core.web records the realtime adapter's path under gevent (core.websocket.install).
REALTIME_EXTENSION = "interaction.realtime"


@bp.get("/healthz")
@csrf.exempt
def healthz():
    """``{"status": "ok"|"degraded"|"error", "checks": {"database", "redis"?, "realtime"?}}`` (API.md "Serving").

    The database is required: down, 503. Redis (only when ``REDIS_URL`` is set) is not: the desk
    serves without it (rate limits in each process's memory, live rooms catch up when it returns),
    so it down is "degraded", still 200. ``realtime`` (under gevent, the deployment) says which path
    live rooms take (core.websocket): "fast", "bounded", or "slow-path" (degraded: libraries of
    untested versions, allowed by INTERACTION_WS_ALLOW_UNTESTED).
    """
    checks = {"database": _check_database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis(current_app.config["REDIS_URL"])
    if checks["database"] != "ok":
        return jsonify(status="error", checks=checks), 503
    healthy = all(v == "ok" for v in checks.values())
    realtime = current_app.extensions.get(REALTIME_EXTENSION, websocket.LIBRARY)
    if realtime != websocket.LIBRARY:  # the realtime adapter's path under gevent (core.websocket.install)
        checks["realtime"] = realtime
        healthy = healthy and realtime != websocket.SLOW_PATH
    return jsonify(status="ok" if healthy else "degraded", checks=checks)


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means "down"
        errors.database_outage.failed(exc, "health check")
        return "down"
    return "ok"


#: Seconds the health check waits for Redis: a probe must answer quickly whatever Redis does.
REDIS_PING_TIMEOUT = 0.5
REDIS_PING_KEY = "interaction.health_redis"


def _check_redis(url: str) -> str:
    import redis

    client = current_app.extensions.get(REDIS_PING_KEY)
    if client is None:
        client = current_app.extensions[REDIS_PING_KEY] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_PING_TIMEOUT, socket_timeout=REDIS_PING_TIMEOUT)
    try:
        client.ping()
    except redis.RedisError:
        return "down"
    return "ok"
