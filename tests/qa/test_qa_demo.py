"""``flask seed-demo`` adds the demo questions once: answered ones, an FAQ, an open one, a published consultation."""

from sqlalchemy import func, select

from interaction.core.db import db
from interaction.qa.models import FaqEntry, Question


def _counts():
    return (db.session.scalar(select(func.count()).select_from(Question)),
            db.session.scalar(select(func.count()).select_from(Question).where(Question.status == "answered")),
            db.session.scalar(select(func.count()).select_from(Question).where(Question.is_public.is_(True))),
            db.session.scalar(select(func.count()).select_from(FaqEntry)))


def test_seed_demo_is_idempotent(app, runner, clock):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    assert counts == (5, 4, 5, 3)  # the consultation is public because it was published, masked
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == counts
