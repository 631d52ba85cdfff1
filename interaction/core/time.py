"""The one clock of the application.

Everything that needs "now" calls :func:`now_utc`; tests move time by patching
:data:`clock` (see the ``clock`` fixture), never by sleeping.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """A clock that can be frozen and moved, for tests."""

    def __init__(self):
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        return self.frozen if self.frozen is not None else datetime.now(UTC)


clock = Clock()


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return clock.now()


def as_utc(value: datetime) -> datetime:
    """Return *value* as aware UTC; naive values (SQLite gives them back) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """Return *value* in Asia/Shanghai, the zone every page and deadline uses."""
    return as_utc(value).astimezone(SHANGHAI)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with offset in Asia/Shanghai, as the API contract shows times."""
    return to_local(value).isoformat() if value is not None else None
