"""The live room's names: its Socket.IO namespace, its events and its rooms, and who a connection is.

Every part of the feature names rooms through these helpers (:mod:`.delivery` re-exports them).
"""

from dataclasses import dataclass

NAMESPACE = "/interviews"
ENTRY_EVENT = "entry"
VOTES_EVENT = "votes"
PRESENCE_EVENT = "presence"
STATUS_EVENT = "status"
NEXT_EVENT = "next"
#: The events that change what a join is told (the interview's status, the question being answered).
ROOM_STATE_EVENTS = frozenset({STATUS_EVENT, NEXT_EVENT})
#: Higher than any entry's seq: "everything after" for the entry loader.
LAST_POSSIBLE_SEQ = 2**31 - 1
_ROOM_PREFIX = "interview:"
_MODERATORS_SUFFIX = ":moderators"


# -- room names: the one helper every part of the feature uses ---------------------------------------------

def room(interview_id: int) -> str:
    """Everyone watching the interview: approved questions, answers, remarks, presence."""
    return f"{_ROOM_PREFIX}{int(interview_id)}"


def moderators_room(interview_id: int) -> str:
    """The interview's moderators only: incoming (pending) questions and decisions."""
    return f"{_ROOM_PREFIX}{int(interview_id)}{_MODERATORS_SUFFIX}"


def user_room(user_id: int) -> str:
    """Every socket of one signed-in user: what happened to the questions they asked."""
    return f"user:{int(user_id)}"


def is_public_room(name) -> bool:
    return isinstance(name, str) and name.startswith(_ROOM_PREFIX) and not name.endswith(_MODERATORS_SUFFIX)


def is_moderators_room(name) -> bool:
    return isinstance(name, str) and name.startswith(_ROOM_PREFIX) and name.endswith(_MODERATORS_SUFFIX)


def interview_of(name: str) -> int:
    return int(name[len(_ROOM_PREFIX):].removesuffix(_MODERATORS_SUFFIX))


# -- per-connection state --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SocketAuth:
    """Who a connection was authenticated as at connect; re-checked against the database on use."""

    user_id: int
    session_version: int | None = None  # cookie sessions: signing out elsewhere bumps the user's version
    token_id: int | None = None  # API tokens: revocation and expiry are checked
