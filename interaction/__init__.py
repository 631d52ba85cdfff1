"""The citizen–government interaction desk (政民互动).

:func:`create_app` builds the application: configuration, extensions, then
each feature in turn through its ``init_app``. The list below is explicit on
purpose: reading it tells what the desk is made of.
"""

from pathlib import Path

from flask import Flask

from interaction import config
from interaction.core import keycheck, web

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.load(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)

    from interaction import (accounts, api, calendar, demo, interviews, mailbox, moderation, oversight, polls, portal,
                             qa, search)

    web.init_app(app)
    accounts.init_app(app)
    from interaction.accounts.permissions import Permission

    app.add_template_global(Permission, "Permission")  # templates test permissions by name
    calendar.init_app(app)  # the working-day calendar's administration (the calendar itself is core's)
    moderation.init_app(app)
    search.init_app(app)  # 集中查询 over what the features publish (the engine is core.search)
    mailbox.init_app(app)
    interviews.init_app(app)  # registers the /interviews namespace before init_socketio
    qa.init_app(app)  # public Q&A and consultation
    polls.init_app(app)  # registers the /polls namespace before init_socketio
    oversight.init_app(app)  # reads the features above through their queries modules
    portal.init_app(app)  # site settings (footer, 留言须知) and phone verification codes
    demo.init_app(app)  # the seed-demo command
    api.init_app(app)  # last: it mounts the features' API modules
    web.init_socketio(app)  # after every feature registered its namespace
    keycheck.check_secret_key(app)  # refuses a key other than the one the letters were made with
    return app
