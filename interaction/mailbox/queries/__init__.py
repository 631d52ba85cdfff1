"""Reads of the leader mailbox: ``select()`` builders and the figures oversight reuses.

* :mod:`.letters`: the staff's inbox and lists, the mailboxes, a writer's letters;
* :mod:`.board`: the supervision board's sections (oversight shows them);
* :mod:`.public`: the published letters, their search and the public timeline;
* :mod:`.statistics`: the figures of the public strip and oversight, and their snapshot;
* :mod:`.figures`: what oversight's performance figures and self-check read (facts, changes).

Every list is shaped for an index (see ``Letter.__table_args__``) so that it costs the same with
10,000 letters as with 1,000,000; each module says which. Callers use the names below
(``from interaction.mailbox import queries``; ``queries.inbox_page(...)``).
"""

from interaction.mailbox.queries.board import (BOARD_COLUMNS, BOARD_ORDER, BOARD_ROWS, BOARD_SECTIONS,
                                               COUNT_IN_ORDER, COUNT_INDEXES, SECTION_INDEXES, board_rows,
                                               board_section, board_section_page, supervision_board)
from interaction.mailbox.queries.figures import (FACT_COLUMNS, first_letter_received, latest_reply_published,
                                                 letter_facts, letters_changed_since, long_unanswered_letters,
                                                 open_letter_counts, overdue_letter_ages)
from interaction.mailbox.queries.letters import (DUE_FILTERS, STAFF_COUNT_CAP, active_mailbox, active_mailboxes,
                                                 inbox_page, list_rows, query_author_letters, query_inbox,
                                                 query_letters)
from interaction.mailbox.queries.public import (SEARCH_MAX_LENGTH, public_events, public_page, public_rows,
                                                query_published, search_snippet)
from interaction.mailbox.queries.statistics import (PUBLIC_SNAPSHOT, compute_public_figures, count_published,
                                                    letter_statistics, period_bounds, public_figures,
                                                    refresh_public_snapshot, statistics_strip)

__all__ = [
    "FACT_COLUMNS", "first_letter_received", "latest_reply_published", "letter_facts", "letters_changed_since",
    "long_unanswered_letters", "open_letter_counts", "overdue_letter_ages",
    "BOARD_COLUMNS", "BOARD_ORDER", "BOARD_ROWS", "BOARD_SECTIONS", "COUNT_INDEXES", "COUNT_IN_ORDER", "DUE_FILTERS",
    "PUBLIC_SNAPSHOT", "SEARCH_MAX_LENGTH", "SECTION_INDEXES", "STAFF_COUNT_CAP", "active_mailbox", "active_mailboxes",
    "board_rows", "board_section", "board_section_page", "compute_public_figures", "count_published", "inbox_page",
    "letter_statistics", "list_rows", "period_bounds", "public_events", "public_figures", "public_page", "public_rows",
    "query_author_letters", "query_inbox", "query_letters", "query_published", "refresh_public_snapshot",
    "search_snippet", "statistics_strip", "supervision_board",
]
