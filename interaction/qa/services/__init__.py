"""Every state change of Q&A: ask, moderate, answer, edit, reroute, 同问, 有帮助, publish, FAQ.

Services take plain data and an explicit ``actor``; they flush and never commit, write the audit
log, and keep the search index in step in the same transaction (``indexing.sync_index``).

Callers import this package (``from interaction.qa import services``); its parts, one seam each:

* :mod:`.common`: who may see and act on a question, the departments' review setting, masking;
* :mod:`.asking`: asking, the question's moderation, withdrawal, the asker's consent;
* :mod:`.answering`: the answer and its edits, their review, rerouting, the review setting;
* :mod:`.public`: 同问, 有帮助, publishing consultations, the FAQ;
* :mod:`.indexing`: the questions' documents in ``core.search``.
"""

from interaction.qa.services.answering import (answer_question, describe_answer, edit_answer, on_answer_decided,
                                               reroute_question, set_answers_need_review)
from interaction.qa.services.asking import (TOPICS, ask_question, describe_question, on_question_decided,
                                            set_publication_consent, withdraw_question)
from interaction.qa.services.common import (ANSWER_KIND, QUESTION_KIND, answers_need_review, can_handle,
                                            can_handle_department, can_read, department_by_code, find_question,
                                            get_question_for_action_or_404, get_question_for_reader_or_404,
                                            is_asker, require_handle)
from interaction.qa.services.indexing import DOCUMENT_TYPE, all_documents, sync_index
from interaction.qa.services.public import (add_to_faq, mark_helpful, me_too, move_faq_entry,
                                            publish_consultation, remove_from_faq, unpublish_consultation)

__all__ = [
    "ANSWER_KIND", "DOCUMENT_TYPE", "QUESTION_KIND", "TOPICS",
    "add_to_faq", "all_documents", "answer_question", "answers_need_review", "ask_question", "can_handle",
    "can_handle_department", "can_read", "department_by_code", "describe_answer", "describe_question",
    "edit_answer", "find_question", "get_question_for_action_or_404", "get_question_for_reader_or_404",
    "is_asker", "mark_helpful", "me_too",
    "move_faq_entry", "on_answer_decided", "on_question_decided", "publish_consultation", "remove_from_faq",
    "require_handle", "reroute_question", "set_answers_need_review", "set_publication_consent", "sync_index",
    "unpublish_consultation", "withdraw_question",
]
