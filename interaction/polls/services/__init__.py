"""Every state change of polls: authoring (staff), voting (citizens), text answers (moderation)."""

from interaction.polls.services.authoring import (  # noqa: F401
    MAX_REASON,
    PollData,
    QuestionData,
    add_question,
    can_manage,
    can_withdraw,
    close_poll,
    create_poll,
    publish_poll,
    publish_report,
    remove_question,
    require_manage,
    update_poll,
    withdraw_poll,
)
from interaction.polls.services.texts import describe_for_moderation, on_moderation_decided  # noqa: F401
from interaction.polls.services.voting import (  # noqa: F401
    MODERATION_KIND,
    AlreadyVoted,
    BallotRules,
    PollNotOpen,
    cast_ballot,
    check_answers,
    check_ballot,
    check_ballot_by_id,
    has_voted,
    require_voter,
    store_ballot,
    stored_in_one_statement,
)
