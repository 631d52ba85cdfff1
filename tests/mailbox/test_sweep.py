"""``flask mailbox sweep``: each reminder once, however often it runs; rated letters close after the window."""

from datetime import datetime

import pytest

from interaction.core.db import db
from interaction.core.time import SHANGHAI
from interaction.mailbox import services
from tests.factories import make_letter


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def sweep(runner):
    result = runner.invoke(args=["mailbox", "sweep"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


@pytest.fixture
def letter(world, request_context):
    letter, _code = make_letter(world.governor)  # due Monday 2026-11-23
    db.session.commit()
    return letter


def test_reminders_are_sent_once(runner, clock, world, letter, outbox):
    sweep(runner)
    assert outbox == []  # 15 working days left
    clock.set(shanghai(2026, 11, 19, 8))  # two working days left
    assert "1 due soon" in sweep(runner)
    assert len(outbox) == 1 and outbox[0].to == ("office@example.com",)
    assert letter.number in outbox[0].subject
    sweep(runner)
    sweep(runner)
    assert len(outbox) == 1
    clock.set(shanghai(2026, 11, 23, 8))  # the day of the deadline
    assert "1 due" in sweep(runner)
    assert len(outbox) == 2
    clock.advance(hours=20)  # now overdue: no third notice
    sweep(runner)
    assert len(outbox) == 2


def test_an_extension_starts_a_new_round_of_reminders(runner, clock, world, letter, outbox, request_context):
    clock.set(shanghai(2026, 11, 19, 8))
    sweep(runner)
    assert len(outbox) == 1
    services.accept_letter(letter, actor=world.admin)
    services.extend_letter(letter, 5, "需要调查", actor=world.admin)
    db.session.commit()
    sweep(runner)
    assert len(outbox) == 1
    clock.set(shanghai(2026, 11, 26, 8))  # due Monday Nov 30: two working days left again
    sweep(runner)
    assert len(outbox) == 2


def test_a_letter_already_overdue_gets_one_notice(runner, clock, world, letter, outbox):
    clock.set(shanghai(2026, 12, 10, 8))
    sweep(runner)
    sweep(runner)
    assert len(outbox) == 1 and "已超过答复期限" in outbox[0].subject


def test_rated_letters_close_after_five_working_days(runner, clock, world, letter, request_context):
    services.accept_letter(letter, actor=world.admin)
    services.assign_letter(letter, world.edu, actor=world.admin)
    services.reply_letter(letter, "答复", actor=world.admin)
    services.rate_letter(letter, 4)
    db.session.commit()
    clock.set(shanghai(2026, 11, 6, 12))  # Friday: 4 working days after Monday
    sweep(runner)
    assert letter.status == "rated"
    clock.set(shanghai(2026, 11, 9, 12))  # Monday: 5
    sweep(runner)
    assert letter.status == "closed"
    assert [e.action for e in letter.events][-1] == "closed"
