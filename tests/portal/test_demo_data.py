"""Issue 18 item 12: ``flask seed-demo`` shows the product — about 150 letters in every state with real dates,
an ended interview with its transcript and a scheduled one; idempotent."""

from collections import Counter

from sqlalchemy import func, select

from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.interviews.models import Interview, TranscriptEntry
from interaction.mailbox.models import Letter


def test_seed_demo_fills_the_pages_and_is_idempotent(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    letters = db.session.scalars(select(Letter)).all()
    assert len(letters) >= 150
    states = Counter(letter.status for letter in letters)
    for state in ("submitted", "accepted", "assigned", "replied", "rated", "closed", "rejected"):
        assert states[state] >= 5, states
    assert sum(letter.is_overdue for letter in letters) >= 10
    assert sum(letter.transfer_count > 0 for letter in letters) >= 10
    assert sum(letter.extended_workdays > 0 for letter in letters) >= 10
    assert sum(letter.is_published for letter in letters) >= 10
    assert len({letter.department_id for letter in letters}) >= 8
    assert {letter.channel for letter in letters} >= {"web", "post", "phone", "visit"}
    now = now_utc()
    assert all(letter.received_dt <= now for letter in letters)
    assert max((now - letter.received_dt).days for letter in letters) >= 30  # dates spread back from today
    for letter in letters:  # every history in order
        times = [event.at_dt for event in letter.events]
        assert times == sorted(times), letter.number
        if letter.replied_dt is not None:
            assert letter.received_dt < letter.replied_dt <= now

    ended = db.session.scalar(select(Interview).where(Interview.status == "ended"))
    scheduled = db.session.scalar(select(Interview).where(Interview.status == "scheduled"))
    assert ended is not None and scheduled is not None and scheduled.scheduled_dt > now
    kinds = Counter(db.session.scalars(select(TranscriptEntry.kind).where(TranscriptEntry.interview_id == ended.id)))
    assert kinds["answer"] >= 3 and kinds["host"] >= 2

    public = client.get("/mailbox/public").get_data(as_text=True)
    assert public.count('<li class="card">') >= 10 and "满意度" in public
    assert "优化营商环境" in client.get(f"/interviews/{ended.id}/transcript").get_data(as_text=True)

    counts = (db.session.scalar(select(func.count()).select_from(Letter)),
              db.session.scalar(select(func.count()).select_from(Interview)),
              db.session.scalar(select(func.count()).select_from(TranscriptEntry)))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert counts == (db.session.scalar(select(func.count()).select_from(Letter)),
                      db.session.scalar(select(func.count()).select_from(Interview)),
                      db.session.scalar(select(func.count()).select_from(TranscriptEntry)))
