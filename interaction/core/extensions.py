"""Flask extensions, created unbound and bound in :func:`interaction.create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from interaction.core.db import db

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "socketio"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
socketio = SocketIO()


class ViewLimiter(Limiter):
    """Flask-Limiter that skips its every-request check while no limit applies to every request.

    This site's limits sit on the views that need them (sign-in, letter look-ups): their decorators
    check them. The extension's before-request check is for default, application-wide and blueprint
    limits, of which there are none; it still resolved the limits of every request to find none
    (~120 µs, 3-6 % of a page). Configured limits of those kinds (``RATELIMIT_DEFAULT``,
    ``RATELIMIT_APPLICATION``, a blueprint limit) turn the check back on: ``tests/core/test_view_limiter.py``.
    """

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and not self._limits_every_request():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _limits_every_request(self) -> bool:
        manager = self.limit_manager
        return bool(manager._default_limits or manager._application_limits or manager._blueprint_limits
                    or manager._endpoint_hints or self._meta_limits)


limiter = ViewLimiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
