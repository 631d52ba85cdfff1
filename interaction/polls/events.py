"""The ``/polls`` Socket.IO namespace: browsers showing a poll's results follow them live.

Anyone may connect (public results need no account). The one event:

``join`` — in: ``{"poll": id}``; ack: ``{"ok": true, "results": {...}}`` (``queries.results``
without texts) and from then on ``results`` events with the same payload, at most twice a second
(:mod:`.live`), while the poll is open. Refused (``{"ok": false, "error", "message"}``): a payload
of another shape (``invalid_payload``), an unknown or draft poll (``not_found``), results the
connection may not see now (``results_sealed``, with the reason). Handlers never raise.
"""

import logging

from flask_login import current_user
from flask_socketio import Namespace, join_room

from interaction.core.db import MAX_ID, db, read_without_transaction
from interaction.polls import queries
from interaction.polls.live import room
from interaction.polls.models import Poll

log = logging.getLogger(__name__)


class PollNamespace(Namespace):
    def on_connect(self, auth=None):
        """Anyone may watch public results; nothing to check here."""

    def on_join(self, data=None, *extra):
        if extra or not isinstance(data, dict) or set(data) != {"poll"}:
            return {"ok": False, "error": "invalid_payload"}
        poll_id = data["poll"]
        if isinstance(poll_id, bool) or not isinstance(poll_id, int) or not 1 <= poll_id <= MAX_ID:
            return {"ok": False, "error": "invalid_payload"}
        read_without_transaction()
        try:
            user = current_user if current_user.is_authenticated else None
            poll = db.session.get(Poll, poll_id)
            if poll is None or not queries.is_visible(poll, user):
                return {"ok": False, "error": "not_found"}
            refusal = queries.results_refusal(poll, user)
            if refusal is not None:
                return {"ok": False, "error": "results_sealed", "message": refusal}
            # Into the room first, then read: a broadcast in between is one more, never one missed.
            join_room(room(poll.id))
            return {"ok": True, "results": queries.results(poll, texts=False)}
        except Exception:  # noqa: BLE001 - a socket event must never take the server down
            log.exception("joining the results of poll %s failed", poll_id)
            return {"ok": False, "error": "server_error"}
        finally:
            db.session.rollback()
