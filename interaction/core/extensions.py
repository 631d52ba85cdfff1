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


#: Limits sit on the views that need them (sign-in, letter look-ups); none applies to every request.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
