"""Every state change of live interviews. Services flush, never commit; the caller commits once.

The rule that matters most: nothing a moderator has not approved reaches viewers. A question is
created ``pending`` and goes to the shared moderation queue (kind ``interviews.question``), which
screens it first (blocked words → rejected automatically). Whoever decides, in the live room or on
the shared queue page, the decision goes through ``moderation.services.decide_case``, and
:func:`apply_moderation_decision` (connected to ``moderation_decided``) is the one place where a
question becomes public, as a transcript entry.
"""

from interaction.interviews.services.questions import (  # noqa: F401
    apply_moderation_decision,
    approve_question,
    ask_question,
    describe_for_moderation,
    pick_question,
    reject_question,
    vote_question,
)
from interaction.interviews.services.rules import (  # noqa: F401
    HANDOVER_WORKDAYS,
    MAX_ANSWER,
    MAX_QUESTION,
    MAX_REASON,
    MODERATION_KIND,
    GuestData,
    RateLimited,
    can_moderate,
    can_run,
    can_speak,
    require_user,
    speaking_guest,
)
from interaction.interviews.services.scheduling import (  # noqa: F401
    create_interview,
    end_interview,
    hand_over_unanswered,
    lock_interview,
    start_interview,
)
from interaction.interviews.services.transcript import answer, append_entry, correct_entry, post_remark  # noqa: F401
