"""Many people voting at once, some of them two or three times: exactly the accepted ballots are stored.

Real requests through the API from several threads at once (each request its own session and
connection, as under a server). Every request is answered 201 or 409 ``already_voted``: never a
500, never "database is locked" (SQLite writers queue behind ``BEGIN IMMEDIATE``; on PostgreSQL
the second insert of one person waits for the first and then does nothing).
"""

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from interaction.accounts.services import issue_token
from interaction.core.db import db
from interaction.polls import queries
from interaction.polls.models import Ballot, BallotAnswer
from tests.factories import make_user
from tests.polls.helpers import answers_for, make_poll

VOTERS = 24
THREADS = 8


@pytest.fixture
def voters(app, people):
    with app.test_request_context():
        users = [make_user("citizen", email=f"voter{i}@example.com", name=f"Voter {i}") for i in range(VOTERS)]
        tokens = [issue_token(user)[0] for user in users]
        db.session.commit()
    return tokens


def test_concurrent_ballots_with_duplicates_store_exactly_the_accepted_ones(app, people, voters, clock):
    with app.test_request_context():
        poll = make_poll(people.department, people.staff)
        ballots = [answers_for(poll, single=i % 3, multiple=(0, 1 + i % 3), rating=1 + i % 5) for i in range(VOTERS)]
        url = f"/api/v1/polls/{poll.id}/ballots"
        options = [o.id for o in poll.questions[0].options]
    # This thread's session must hold no transaction while the others write (on SQLite it would hold the lock).
    db.session.commit()
    # Voter i sends 1, 2 or 3 copies of their ballot (with other choices in the copies: none may win over the first).
    jobs = []
    for i, token in enumerate(voters):
        for copy in range(1 + i % 3):
            answers = ballots[i] if copy == 0 else [{**ballots[i][0], "options": [options[(i + copy) % 3]]},
                                                    ballots[i][1], {**ballots[i][2], "value": 5}]
            jobs.append((i, token, answers))
    random.Random(16).shuffle(jobs)  # copies of one voter spread among the others
    results, errors = [], []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(share):
        client = app.test_client()
        start.wait()
        for voter, token, answers in share:
            try:
                response = client.post(url, json={"answers": answers},
                                        headers={"Authorization": f"Bearer {token}"})
                body = response.get_json(silent=True) or {}
                with lock:
                    results.append((voter, response.status_code, body.get("error", {}).get("code"), answers))
            except Exception as exc:  # noqa: BLE001 - any exception is a failure of the test
                with lock:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(jobs[n::THREADS],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(results) == len(jobs)
    statuses = Counter(status for _voter, status, _code, _answers in results)
    assert set(statuses) <= {201, 409}, statuses
    accepted = Counter(voter for voter, status, _code, _answers in results if status == 201)
    assert all(n == 1 for n in accepted.values()) and len(accepted) == VOTERS  # one each, nobody lost
    assert all(code == "already_voted" for _v, status, code, _a in results if status == 409)
    assert statuses[409] == len(jobs) - VOTERS
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == VOTERS
    assert db.session.scalar(select(func.count()).select_from(BallotAnswer)) == VOTERS * 4
    with app.test_request_context():
        figures = queries.results(poll)
    assert figures["ballots"] == VOTERS
    # The figures are those of the accepted ballots (whichever copy of a voter's came first), nothing else.
    chosen = Counter(answers[0]["options"][0] for _v, status, _c, answers in results if status == 201)
    assert {o["id"]: o["votes"] for o in figures["questions"][0]["options"]} == {
        option: chosen[option] for option in options}
    rated = Counter(answers[2]["value"] for _v, status, _c, answers in results if status == 201)
    assert figures["questions"][2]["ratings"] == {str(v): rated[v] for v in range(1, 6)}
