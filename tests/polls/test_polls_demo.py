"""``flask seed-demo`` loads a closed poll with ballots and its report, and an open live poll; twice is once."""

from sqlalchemy import func, select

from interaction.core.db import db
from interaction.polls import demo
from interaction.polls.models import Ballot, Poll, PollStatus


def test_seed_demo_adds_the_polls_once(app, runner, clock):
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    polls = {poll.title: poll for poll in db.session.scalars(select(Poll))}
    assert set(polls) == {demo.CLOSED_TITLE, demo.OPEN_TITLE}
    closed, open_poll = polls[demo.CLOSED_TITLE], polls[demo.OPEN_TITLE]
    assert closed.status == PollStatus.closed and closed.has_report and closed.report_adoption
    assert open_poll.status == PollStatus.open and open_poll.results_visibility == "live"
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == closed.id)) == 5
