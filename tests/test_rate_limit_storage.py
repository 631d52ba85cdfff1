"""Rate limits live in memory by default and in Redis when REDIS_URL is set (shared by every process)."""

import os
import uuid

import pytest

from tests.helpers import make_test_app, server_unavailable


def _redis_url():
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        server_unavailable(f"Redis at {url} is unreachable ({exc})")
    return url


def _limited_app(database_url, endpoint, **config):
    from interaction.core.extensions import limiter

    app = make_test_app(database_url, **config)

    @limiter.limit("2/minute")
    def limited():
        return "ok"

    app.add_url_rule(f"/{endpoint}", endpoint=endpoint, view_func=limited)
    return app


def test_memory_storage_by_default(app):
    from interaction.core.extensions import limiter

    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert type(limiter.storage).__name__ == "MemoryStorage"


@pytest.mark.redis
def test_redis_storage_is_shared_between_processes(database_url):
    url = _redis_url()
    endpoint = f"limited-{uuid.uuid4().hex}"  # limits are keyed by endpoint: a fresh key for each run
    route = f"/{endpoint}"
    first = _limited_app(database_url, endpoint, RATELIMIT_STORAGE_URI=url)
    assert first.test_client().get(route).status_code == 200
    assert first.test_client().get(route).status_code == 200
    # A second app with its own connection stands for a second server process.
    second = _limited_app(database_url, endpoint, RATELIMIT_STORAGE_URI=url)
    response = second.test_client().get(route)
    assert response.status_code == 429
