"""A few published documents of every type (put straight into core.search: the features' own tests
show that publishing puts them)."""

from datetime import UTC, datetime, timedelta

import pytest

from interaction.core import search
from interaction.core.db import db

T0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)

DOCUMENTS = [
    search.Document("letter", "2605-AAAAA", "医保卡丢失怎么补办", "我的医保卡丢了，去哪里补办？<b>急</b>",
                    "/mailbox/public/2605-AAAAA", T0, department_id=1),
    search.Document("question", "12", "公积金贷款额度", "公积金贷款最多能贷多少？医保缴费年限有影响吗？",
                    "/questions/12", T0 + timedelta(days=1), department_id=2),
    search.Document("transcript", "7", "医疗保障在线访谈", "主持人：欢迎收看。局长：异地就医备案可以网上办理。",
                    "/interviews/7/transcript", T0 + timedelta(days=2), department_id=1),
]


@pytest.fixture
def published(app):
    for document in DOCUMENTS:
        search.put(document)
    db.session.commit()
    return DOCUMENTS
