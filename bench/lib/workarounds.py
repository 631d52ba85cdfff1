"""Stop-gaps the benchmark applies to the desk only when a probe shows the bug is still there.

Each one is reported in the results (``"workarounds"``) and is meant to disappear once the
feature fixes it; none changes what is measured beyond making the code path run at all.

``lock``: ``interviews.services.lock_interview`` selects the interview with its joined-eager
department ``FOR UPDATE``; PostgreSQL refuses that ("FOR UPDATE cannot be applied to the nullable
side of an outer join"), so starting, answering and approving fail. The stop-gap locks
``FOR UPDATE OF interviews`` (SQLAlchemy ``with_for_update(of=Interview)``), the suggested fix.

``nodeflate`` (an experiment, only for the ``desk-nodeflate`` target): the WebSocket server the desk
runs under gevent (simple-websocket over wsproto) accepts ``permessage-deflate`` whenever the client
offers it — browsers and socket.io-client always do — and then deflates every frame separately for
every viewer. The Node socket.io server declines it by default. The experiment declines it too.
"""

import os


def lock_is_broken() -> bool:
    """Probe in the current app context (PostgreSQL only): does the original lock query fail?"""
    from sqlalchemy.exc import NotSupportedError

    from interaction.core.db import db
    from interaction.interviews import services
    from interaction.interviews.models import Interview

    if db.engine.dialect.name != "postgresql":
        return False
    any_id = db.session.scalar(db.select(Interview.id).limit(1))
    if any_id is None:
        return False
    try:
        with db.session.begin_nested():
            services.lock_interview(any_id)
    except NotSupportedError:
        return True
    return False


def apply(names) -> list[str]:
    """Apply the named stop-gaps (``BENCH_WORKAROUNDS=lock``); return those applied."""
    applied = []
    if "lock" in names:
        from sqlalchemy import select

        from interaction.core.db import db
        from interaction.core.errors import NotFound
        from interaction.interviews import services
        from interaction.interviews.models import Interview

        def lock_interview(interview_id: int) -> Interview:
            interview = db.session.scalar(select(Interview).where(Interview.id == interview_id)
                                          .with_for_update(of=Interview).execution_options(populate_existing=True))
            if interview is None:
                raise NotFound()
            return interview

        services.lock_interview = lock_interview
        applied.append("lock")
    if "nodeflate" in names:
        import simple_websocket.ws
        from wsproto.extensions import PerMessageDeflate

        class DeclinedDeflate(PerMessageDeflate):
            def accept(self, offer):
                return None  # not accepted: the extension stays disabled for the connection

        simple_websocket.ws.PerMessageDeflate = DeclinedDeflate
        applied.append("nodeflate")
    return applied


def apply_from_env() -> list[str]:
    return apply([n for n in os.environ.get("BENCH_WORKAROUNDS", "").split(",") if n])
