"""Moderation kinds: what features submit to the shared queue, and how a case's target is shown.

Features register their kinds in ``init_app``; the registry is kept per app in
``app.extensions["interaction.moderation_kinds"]`` so test apps never share it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION_KEY = "interaction.moderation_kinds"


@dataclass(frozen=True)
class ModerationKind:
    """A kind of thing moderators decide on.

    *describe(target_id)* returns what the moderator sees and what the API shows as
    the case's "target": ``{"title": str, "text": str, "url": str | None, ...}``, or
    None when the target is gone. *auto_approve*: a case that passes automatic
    screening is approved without a person.
    """

    name: str
    label: object  # a (lazy) string shown in the queue
    describe: Callable[[str], dict | None]
    auto_approve: bool = False


def register_kind(app: Flask, kind: ModerationKind) -> None:
    """Make *kind* known to the moderation queue of *app* (a second registration replaces the first)."""
    app.extensions.setdefault(EXTENSION_KEY, {})[kind.name] = kind


def kinds(app: Flask | None = None) -> dict[str, ModerationKind]:
    """All kinds registered on *app* (default: the current app), by name."""
    return (app or current_app).extensions.get(EXTENSION_KEY, {})


def get_kind(name: str) -> ModerationKind | None:
    """The kind called *name* on the current app, or None if no feature registered it."""
    return kinds().get(name)


def describe(kind_name: str, target_id: str) -> dict | None:
    """What the moderator sees of a case's target; None for an unknown kind or a vanished target."""
    kind = get_kind(kind_name)
    if kind is None:
        return None
    try:
        return kind.describe(str(target_id))
    except Exception:  # noqa: BLE001 - one broken target must not take the whole queue down
        if current_app.testing:
            raise
        log.exception("describing %s %s failed", kind_name, target_id)
        return None
