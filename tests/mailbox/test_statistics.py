"""The statistics that the public strip shows and oversight reuses."""

from datetime import datetime

import pytest

from interaction.core.db import db
from interaction.core.time import SHANGHAI
from interaction.mailbox import queries, services
from tests.factories import make_letter


@pytest.mark.usefixtures("request_context")
def test_letter_statistics(world, clock, client):
    on_time, _ = make_letter(world.governor)
    late, _ = make_letter(world.governor)
    open_overdue, _ = make_letter(world.governor)
    rejected, _ = make_letter(world.governor)
    for letter in (on_time, late):
        services.accept_letter(letter, actor=world.admin)
        services.assign_letter(letter, world.edu, actor=world.admin)
    services.reply_letter(on_time, "答复", actor=world.admin)
    services.rate_letter(on_time, 4)
    services.reject_letter(rejected, "重复来信", actor=world.admin)
    clock.set(datetime(2026, 11, 25, 10, tzinfo=SHANGHAI))  # past the deadline of Nov 23
    services.reply_letter(late, "迟到的答复", actor=world.admin)
    services.rate_letter(late, 2)
    db.session.commit()
    figures = queries.letter_statistics()
    assert figures["received"] == 4 and figures["valid"] == 3 and figures["replied"] == 2
    assert figures["reply_rate"] == round(2 / 3, 4)
    assert figures["on_time_rate"] == round(1 / 3, 4)  # one on time; one late; one open past its deadline
    assert figures["overdue_open"] == 1
    assert figures["satisfaction_rate"] == 0.5
    assert queries.letter_statistics(department_id=world.police.id)["reply_rate"] is None
    strip = client.get("/api/v1/public/letters/statistics").get_json()
    assert strip["month"]["received"] == 4 and strip["year"]["received"] == 4
    clock.set(datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
    strip = client.get("/api/v1/public/letters/statistics").get_json()
    assert strip["month"]["received"] == 0 and strip["year"]["received"] == 4
