"""Upvote counts (同问) in a live room: at most one ``votes`` event per question and interval.

A popular question upvoted by thousands of viewers would otherwise cost viewers × votes
deliveries. The first count of an interval goes out at once; the highest count that arrives
during it goes out at its end; counts never go down on a viewer's screen. A mixin of the delivery
manager: it needs ``self.lock``, ``self.rooms``, ``self.server`` and ``local_emit``.
"""

import logging

from interaction.interviews.rooms import NAMESPACE, VOTES_EVENT

log = logging.getLogger(__name__)


class VoteCounts:
    """``votes`` events of a room coalesced per :attr:`votes_interval`."""

    #: Seconds between two ``votes`` events of one room.
    votes_interval = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._votes_held: dict[str, dict[int, dict]] = {}  # room → question → latest votes payload
        self._votes_sent: dict[str, dict[int, int]] = {}  # room → question → count last sent

    def coalesce_votes(self, room_name: str, data: dict) -> None:
        try:
            question, count = int(data["question"]), int(data["upvotes"])
        except (KeyError, TypeError, ValueError):
            log.error("votes without question or count for %s dropped", room_name)
            return
        with self.lock:
            if not self.rooms.get(NAMESPACE, {}).get(room_name):
                return
            sent = self._votes_sent.setdefault(room_name, {})
            if count <= sent.get(question, -1):
                return  # an older count overtaken by a newer one
            held = self._votes_held.get(room_name)
            if held is None:  # nothing sent to this room in the current interval: send now, then hold
                self._votes_held[room_name] = {}
                sent[question] = count
                self.local_emit(VOTES_EVENT, data, room_name)
                self.server.start_background_task(self._release_votes, room_name)
            elif count > held.get(question, {}).get("upvotes", -1):
                held[question] = data

    def _release_votes(self, room_name: str) -> None:
        """End of an interval: send the held counts (then hold again for one more interval if any)."""
        while True:
            self.server.sleep(self.votes_interval)
            with self.lock:
                held = self._votes_held.pop(room_name, None) or {}
                if not held:
                    return
                self._votes_held[room_name] = {}
                sent = self._votes_sent.setdefault(room_name, {})
                for question, data in held.items():
                    if data["upvotes"] > sent.get(question, -1):
                        sent[question] = data["upvotes"]
                        self.local_emit(VOTES_EVENT, data, room_name)

    def forget_votes(self, room_name: str) -> None:
        """The room emptied: what it was sent is forgotten with it."""
        self._votes_sent.pop(room_name, None)
