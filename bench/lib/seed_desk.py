"""Seed a benchmark database for bench/interviews.py and print what the driver needs as one JSON line.

Run with the project's venv and ``DATABASE_URL`` pointing at the bench database:

    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/lib/seed_desk.py --questions 60 --tag s500

Creates the tables if the database is empty (``--create``: ``db.create_all()``, the same
schema as the migrations),
a department, a moderator, a guest account linked to the interview's guest, one citizen per
pre-submitted question (citizens may ask once per 30 s), a live interview and *questions*
pending questions asked through the real service (screened, queued for moderation). Prints
``{"interview", "questions": [ids], "moderator_token", "guest_token", "guest_id", "workarounds"}``
(stop-gaps from :mod:`bench.lib.workarounds` the desk still needs; the servers must apply them too).
"""

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.lib.texts import question_text  # noqa: E402
from bench.lib.workarounds import apply, lock_is_broken  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, required=True)
    parser.add_argument("--tag", required=True, help="unique suffix for accounts and codes")
    parser.add_argument("--create", action="store_true", help="db.create_all() first")
    args = parser.parse_args()
    if not 1 <= args.questions <= 10_000:
        parser.error("--questions must be 1..10000")

    from werkzeug.security import generate_password_hash

    from interaction import create_app
    from interaction.accounts.models import Department, User
    from interaction.accounts.services import issue_token
    from interaction.core.db import db
    from interaction.core.time import now_utc
    from interaction.interviews import services
    from interaction.interviews.models import QuestionState

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context(), app.test_request_context():
        if args.create:
            db.create_all()
        tag = args.tag
        password_hash = generate_password_hash("bench-password-not-secret")
        department = Department(code=f"bench-{tag}", name=f"压测部门{tag}", kind="department")
        db.session.add(department)
        db.session.flush()

        def user(role: str, name: str, email: str) -> User:
            row = User(email=email, name=name, phone="13800138000", role=role, department=department,
                       password_hash=password_hash)
            db.session.add(row)
            return row

        moderator = user("moderator", "压测主持", f"moderator-{tag}@bench.local")
        guest_user = user("staff", "压测嘉宾", f"guest-{tag}@bench.local")
        citizens = [user("citizen", f"网友{n}", f"citizen{n}-{tag}@bench.local") for n in range(args.questions)]
        db.session.flush()
        interview = services.create_interview(
            title="优化营商环境在线访谈（压测）", topic="营商环境", department=department,
            scheduled_dt=now_utc() + timedelta(minutes=5), expected_minutes=120,
            guests=[services.GuestData("李明", "市发展改革委主任", user_email=guest_user.email),
                    services.GuestData("王芳", "主持人", role="host")],
            actor=moderator)
        workarounds = []
        if lock_is_broken():
            workarounds = apply(["lock"])
        services.start_interview(interview, actor=moderator)
        questions = []
        for n, citizen in enumerate(citizens):
            question = services.ask_question(interview, question_text(n), actor=citizen)
            if question.state != QuestionState.pending:
                raise SystemExit(f"question {n} was {question.state}: {question.reject_reason}")
            questions.append(question.id)
        moderator_token, _ = issue_token(moderator)
        guest_token, _ = issue_token(guest_user)
        guest_id = next(g.id for g in interview.guests if g.user_id == guest_user.id)
        db.session.commit()
        print(json.dumps({"interview": interview.id, "questions": questions, "moderator_token": moderator_token,
                          "guest_token": guest_token, "guest_id": guest_id, "workarounds": workarounds}))


if __name__ == "__main__":
    main()
