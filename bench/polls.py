"""Benchmark of polls: 5,000 voters and 10 % duplicate attempts against the real desk over HTTP.

Run from the project root::

    .venv/bin/python bench/polls.py                         # SQLite and PostgreSQL
    .venv/bin/python bench/polls.py --db sqlite --voters 1000   # a quick look

For each database it makes the schema (``create_all``, the migrations' schema), seeds a department,
a staff member, a published ``live`` poll of four questions (single, multiple 1–2, rating, optional
text answered by one voter in ten) and *voters* citizens with API tokens, starts the desk under
gunicorn (``--workers`` processes of ``--worker-class``: gevent, as deploy/gunicorn.sh serves it, or
gthread with ``--threads``), and sends every voter's ballot plus a
second ballot from 10 % of them (other choices, shuffled among the rest, some at the same moment)
from ``--clients`` processes × ``--client-threads`` threads, each thread on one keep-alive
connection, as fast as the server answers. Then it reads the database and reports:

- ballots accepted per second (accepted ÷ time from the first request to the last answer), p50/p95
  latency of all requests;
- lost ballots (answered 201 but not stored, or stored answers that differ from what was sent:
  must be 0), double ballots (voters with two stored ballots: must be 0), duplicate attempts not
  refused with 409 (must be 0), "database is locked" errors (503 answers or the words in the
  server's log: must be 0), any other status;
- the raw insert rate of the same database in the same run, two ways: **bare HTTP** (the same
  gunicorn settings serving ``bench/lib/bare_ballots.py``: one row per request, committed, as many
  requests as the desk's from the same clients), run once before the desk and once after it, the
  target's reference (≥ 0.5× the mean of the two: what drifts on a shared machine between the runs
  moves both halves of the ratio alike, not only one); and **driver** (the same number of threads
  inserting one row per transaction straight through SQLAlchemy, no HTTP), shown for scale;
- CPU milliseconds per request of the desk's and the bare app's workers and, on PostgreSQL, of their
  database backends (shown apart in brackets), which the other work on a shared machine moves less
  than the rates.

The PostgreSQL database (``--pg-db``) has its schema dropped and made again; nothing else is
touched. Results are printed as one table and saved as JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lib.servers import Server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET = 0.5


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# -- the database ---------------------------------------------------------------------------------------------

def database_url(kind: str, args) -> str:
    if kind == "postgres":
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.pg_db}"
    return f"sqlite:///{args.sqlite_dir}/polls.db"


def reset(kind: str, url: str, args) -> None:
    if kind == "postgres":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.pg_db,)).fetchone():
                conn.execute(f'CREATE DATABASE "{args.pg_db}"')  # a new machine's first run
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{args.pg_db}", autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    else:
        Path(args.sqlite_dir).mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.sqlite_dir}/polls.db{suffix}").unlink(missing_ok=True)


def seed(url: str, voters: int, visibility: str = "live") -> dict:
    """Schema, a department, staff, a published poll (results *visibility*) and *voters* citizens with API tokens."""
    from sqlalchemy import insert, select

    from interaction import create_app
    from interaction.accounts import hash_token
    from interaction.accounts.models import ApiToken, Department, User
    from interaction.core.db import db
    from interaction.polls import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context(), app.test_request_context():
        db.create_all()
        department = Department(code="bench", name="基准测试厅")
        db.session.add(department)
        db.session.flush()
        staff = User(email="staff@bench.local", name="Staff", role="staff", department=department, password_hash="-")
        db.session.add(staff)
        db.session.flush()
        now = datetime.now(UTC)
        poll = services.create_poll(department, services.PollData(
            "公共服务满意度调查", now - timedelta(hours=1), now + timedelta(days=1), "基准测试", visibility), [
            services.QuestionData("single", "您最常办理哪类业务？", ["社保", "医保", "户籍", "税务"]),
            services.QuestionData("multiple", "您通过哪些渠道办理？", ["网上", "窗口", "电话", "自助终端"],
                                  min_choices=1, max_choices=2),
            services.QuestionData("rating", "总体满意度"),
            services.QuestionData("text", "其他建议", required=False)], actor=staff)
        services.publish_poll(poll, actor=staff)
        db.session.commit()
        first = db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) + 1
        db.session.execute(insert(User), [
            {"email": f"voter{i}@bench.local", "name": f"Voter {i}", "role": "citizen", "password_hash": "-",
             "phone": "13800000000"} for i in range(voters)])
        ids = list(db.session.scalars(select(User.id).where(User.id >= first).order_by(User.id)))
        tokens = [secrets.token_urlsafe(24) for _ in ids]
        db.session.execute(insert(ApiToken), [
            {"user_id": user_id, "token_hash": hash_token(token), "created_dt": now,
             "expires_dt": now + timedelta(days=1)} for user_id, token in zip(ids, tokens, strict=True)])
        db.session.commit()
        questions = [{"id": q.id, "kind": q.kind, "options": [o.id for o in q.options]} for q in poll.questions]
        return {"poll": poll.id, "questions": questions, "users": ids, "tokens": tokens}


def ballot(questions: list[dict], rng: random.Random, with_text: bool) -> list[dict]:
    single, multiple, rating, text = questions
    answers = [{"question": single["id"], "options": [rng.choice(single["options"])]},
               {"question": multiple["id"], "options": rng.sample(multiple["options"], rng.randint(1, 2))},
               {"question": rating["id"], "value": rng.randint(1, 5)}]
    if with_text:
        answers.append({"question": text["id"], "text": "希望延长窗口办理时间。"})
    return answers


# -- the load -------------------------------------------------------------------------------------------------

def _client_process(job):
    """One client process: *threads* threads, each on one keep-alive connection, sending its share."""
    port, path, requests, threads = job
    results, lock = [], threading.Lock()

    def run(share):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for key, headers, body in share:
            started = time.monotonic()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, data = 0, repr(exc).encode()
            ended = time.monotonic()
            with lock:
                results.append((key, status, started, ended, data[:300].decode(errors="replace")
                                if status != 201 else ""))
        conn.close()

    workers = [threading.Thread(target=run, args=(requests[n::threads],)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def send_all(port: int, path: str, requests: list, clients: int, threads: int) -> tuple[list, float]:
    shares = [(port, path, requests[n::clients], threads) for n in range(clients)]
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = [row for part in pool.map(_client_process, shares) for row in part]
    return results, time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else 0.0


def timing(results: list) -> dict:
    first = min(r[2] for r in results)
    last = max(r[3] for r in results)
    latencies = [(r[3] - r[2]) * 1000 for r in results]
    return {"seconds": last - first, "p50_ms": statistics.median(latencies), "p95_ms": percentile(latencies, 0.95)}


def create_bare_table(url: str) -> None:
    """``bare_ballots`` as bench/lib/bare_ballots.py declares it (one row per ballot, unique per poll and user)."""
    from sqlalchemy import (Column, DateTime, Integer, MetaData, Table, UniqueConstraint, create_engine)

    table = Table("bare_ballots", MetaData(), Column("id", Integer, primary_key=True), Column("poll_id", Integer),
                  Column("user_id", Integer), Column("created_dt", DateTime(timezone=True)),
                  UniqueConstraint("poll_id", "user_id"))
    engine = create_engine(url)
    table.create(engine, checkfirst=True)
    engine.dispose()


# -- checks -----------------------------------------------------------------------------------------------------

def stored(url: str, poll_id: int) -> tuple[dict, dict]:
    """{user_id: number of ballots}, {user_id: sorted answer tuples} as the database holds them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT user_id, count(*) FROM ballots WHERE poll_id = :p GROUP BY user_id"),
                                   {"p": poll_id}).all())
        answers: dict = {}
        for user_id, question, option, value, txt in conn.execute(text(
                "SELECT b.user_id, a.question_id, a.option_id, a.value, a.text FROM ballot_answers a "
                "JOIN ballots b ON b.id = a.ballot_id WHERE a.poll_id = :p"), {"p": poll_id}):
            answers.setdefault(user_id, []).append((question, option, value, txt))
    engine.dispose()
    return counts, {user: sorted(rows, key=repr) for user, rows in answers.items()}


def rows_of(answers: list[dict]) -> list:
    rows = []
    for answer in answers:
        for option in answer.get("options", []):
            rows.append((answer["question"], option, None, None))
        if "value" in answer:
            rows.append((answer["question"], None, answer["value"], None))
        if "text" in answer:
            rows.append((answer["question"], None, None, answer["text"]))
    return sorted(rows, key=repr)


def driver_rate(url: str, total: int, threads: int) -> float:
    """Rows a second inserted straight through SQLAlchemy by *threads* threads, one row per transaction."""
    from sqlalchemy import create_engine, text

    import interaction.core.db  # noqa: F401 - its engine listeners: SQLite's WAL, busy timeout, BEGIN IMMEDIATE

    engine = create_engine(url, pool_size=threads, max_overflow=0)
    statement = text("INSERT INTO bare_ballots (poll_id, user_id, created_dt) VALUES (2, :u, :t)")

    def run(users):
        with engine.connect() as conn:
            for user in users:
                with conn.begin():
                    conn.execute(statement, {"u": user, "t": datetime.now(UTC)})

    users = list(range(total))
    workers = [threading.Thread(target=run, args=(users[n::threads],)) for n in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    engine.dispose()
    return total / elapsed


def bare_http(kind: str, url: str, args, requests: int, poll_id: int) -> dict:
    """The bare reference (bench/lib/bare_ballots.py) under the desk's gunicorn settings: *requests* inserts of
    poll *poll_id* (one per user), from the same clients. Its rate, p95, errors, and CPU seconds (workers, backends)."""
    log(f"{kind}: bare HTTP insert (poll {poll_id})")
    bare = Server("bench.lib.bare_ballots:app", args.port + 1, url, Path(args.sqlite_dir) / f"{kind}-bare.log",
                  workers=args.workers, worker_class=args.worker_class, threads=args.threads,
                  application_name="polls-bench-bare")
    payloads = [(n, {"Content-Type": "application/json"}, json.dumps({"poll_id": poll_id, "user_id": n}).encode())
                for n in range(requests)]
    with bare:
        meter = bare.cpu_meter()
        meter.begin()
        results, _wall = send_all(args.port + 1, "/ballots", payloads, args.clients, args.client_threads)
        cpu = meter.end()
        db_cpu = meter.backends
    ok = sum(1 for r in results if r[1] == 201)
    measured = timing(results)
    return {"rate": ok / measured["seconds"], "p95_ms": measured["p95_ms"], "errors": len(results) - ok,
            "requests": len(results), "cpu": cpu, "db_cpu": db_cpu}


# -- one database ---------------------------------------------------------------------------------------------------

def run_database(kind: str, args) -> dict:
    url = database_url(kind, args)
    log(f"{kind}: schema and {args.voters} voters")
    reset(kind, url, args)
    data = seed(url, args.voters)
    rng = random.Random(16)
    sent = {}
    requests = []
    for n, token in enumerate(data["tokens"]):
        answers = ballot(data["questions"], rng, with_text=n % 10 == 0)
        sent[n] = answers
        requests.append((n, answers, token))
    duplicates = rng.sample(range(args.voters), int(args.voters * args.duplicates))
    for n in duplicates:
        requests.append((n, ballot(data["questions"], rng, with_text=False), data["tokens"][n]))
    rng.shuffle(requests)
    copies: dict[int, list] = {}
    for n, answers, _token in requests:
        copies.setdefault(n, []).append(answers)
    payloads = [(n, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                 json.dumps({"answers": answers}).encode()) for n, answers, token in requests]
    create_bare_table(url)
    bare_before = bare_http(kind, url, args, len(payloads), poll_id=1)
    async_mode = "gevent" if args.worker_class == "gevent" else "threading"  # Socket.IO as the server runs it
    logs = Path(args.sqlite_dir) / f"{kind}-server.log"
    logs.unlink(missing_ok=True)
    desk = Server("wsgi:app", args.port, url, logs, workers=args.workers, worker_class=args.worker_class,
                  threads=args.threads, env={"INTERACTION_RATELIMIT": "0", "INTERACTION_ASYNC_MODE": async_mode},
                  application_name="polls-bench-desk")
    with desk:
        for _ in range(3):  # warm-up: each worker loads the poll once
            conn = http.client.HTTPConnection("127.0.0.1", args.port)
            conn.request("GET", f"/api/v1/polls/{data['poll']}")
            conn.getresponse().read()
            conn.close()
        log(f"{kind}: {len(payloads)} ballots ({len(duplicates)} duplicates) from "
            f"{args.clients}×{args.client_threads} clients")
        meter = desk.cpu_meter()
        meter.begin()
        results, _wall = send_all(args.port, f"/api/v1/polls/{data['poll']}/ballots", payloads, args.clients,
                                  args.client_threads)
        desk_cpu = meter.end()
        desk_db_cpu = meter.backends
    server_log = logs.read_text(errors="replace") if logs.exists() else ""
    counts, answers = stored(url, data["poll"])
    accepted = [r for r in results if r[1] == 201]
    accepted_by_voter: dict[int, int] = {}
    for r in accepted:
        accepted_by_voter[r[0]] = accepted_by_voter.get(r[0], 0) + 1
    user_of = dict(enumerate(data["users"]))
    lost = sum(1 for n in accepted_by_voter if counts.get(user_of[n], 0) == 0)
    # The stored answers are one of the copies the voter sent (the one the server took), exactly.
    wrong = sum(1 for n in accepted_by_voter if answers.get(user_of[n]) not in [rows_of(c) for c in copies[n]])
    stored_without_201 = sum(1 for n, user in user_of.items() if counts.get(user) and n not in accepted_by_voter)
    double = sum(1 for c in counts.values() if c > 1) + sum(1 for c in accepted_by_voter.values() if c > 1)
    refused_409 = sum(1 for r in results if r[1] == 409 and "already_voted" in r[4])
    locked = sum(1 for r in results if r[1] == 503 or "locked" in r[4]) + server_log.count("database is locked")
    other = sorted({(r[1], r[4][:120]) for r in results if r[1] not in (201, 409)})
    desk_timing = timing(results)
    ballots_per_second = len(accepted) / desk_timing["seconds"]

    bare_after = bare_http(kind, url, args, len(payloads), poll_id=3)
    bare_runs = [bare_before, bare_after]
    bare_rate = statistics.mean(run["rate"] for run in bare_runs)
    bare_requests = sum(run["requests"] for run in bare_runs)
    raw_rate = driver_rate(url, len(payloads), args.clients * args.client_threads)
    return {
        "db": kind, "voters": args.voters, "requests": len(payloads), "duplicates": len(duplicates),
        "accepted": len(accepted), "ballots_per_second": ballots_per_second, **desk_timing,
        "lost": lost + wrong, "stored_without_201": stored_without_201, "double": double,
        "duplicates_refused_409": refused_409, "locked": locked, "other": other[:10],
        "bare_http_rate": bare_rate, "bare_http_rates": [run["rate"] for run in bare_runs],
        "bare_p95_ms": max(run["p95_ms"] for run in bare_runs), "bare_errors": sum(run["errors"] for run in bare_runs),
        "driver_rate": raw_rate,
        "desk_cpu_ms": 1000 * desk_cpu / len(results), "desk_db_cpu_ms": 1000 * desk_db_cpu / len(results),
        "bare_cpu_ms": 1000 * sum(run["cpu"] for run in bare_runs) / bare_requests,
        "bare_db_cpu_ms": 1000 * sum(run["db_cpu"] for run in bare_runs) / bare_requests,
        "ratio_bare": ballots_per_second / bare_rate, "ratio_driver": ballots_per_second / raw_rate,
        "within_10s": desk_timing["seconds"] <= 10.0,
    }


def table(rows: list[dict]) -> str:
    lines = ["| database | requests (dup.) | accepted | time s | ballots/s | p50 ms | p95 ms | lost | double | "
             "dup. → 409 | locked | other | bare HTTP insert/s (before, after) | ÷ bare (≥ 0.5) | driver insert/s | "
             "÷ driver | CPU ms/request desk (db) | bare (db) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['db']} | {r['requests']:,} ({r['duplicates']}) | {r['accepted']:,} | {r['seconds']:.1f} | "
            f"{r['ballots_per_second']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['lost']} | {r['double']} | "
            f"{r['duplicates_refused_409']} | {r['locked']} | {len(r['other'])} | {r['bare_http_rate']:.0f} "
            f"({', '.join(f'{rate:.0f}' for rate in r['bare_http_rates'])}) | "
            f"{r['ratio_bare']:.2f} | {r['driver_rate']:.0f} | {r['ratio_driver']:.2f} | "
            f"{r['desk_cpu_ms']:.1f} ({r['desk_db_cpu_ms']:.1f}) | "
            f"{r['bare_cpu_ms']:.1f} ({r['bare_db_cpu_ms']:.1f}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--duplicates", type=float, default=0.10, help="share of voters sending a second ballot")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (processes)")
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent",
                        help="both servers' gunicorn worker: gevent as deployed (deploy/gunicorn.sh), or gthread")
    parser.add_argument("--threads", type=int, default=8, help="threads per gthread worker")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--client-threads", type=int, default=8, help="threads (connections) per client process")
    parser.add_argument("--pg-db", default="interaction_test_polls", help="its schema is dropped and made again")
    parser.add_argument("--sqlite-dir", default="/tmp/bench-polls")
    parser.add_argument("--port", type=int, default=8761)
    args = parser.parse_args(argv)
    os.environ["INTERACTION_SECRET_KEY"] = "bench-polls-secret-key"  # the seeding app's and the servers'
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rows = [run_database(kind, args) for kind in kinds]
    threads = f" --threads {args.threads}" if args.worker_class == "gthread" else ""
    print(f"both servers: gunicorn --workers {args.workers} --worker-class {args.worker_class}{threads}; "
          f"{args.clients} × {args.client_threads} client connections")
    print(table(rows))
    for row in rows:
        if row["other"]:
            print(f"{row['db']}: other answers: {row['other']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"polls-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": rows, "cpus": os.cpu_count()}, indent=2, default=str))
    log(f"saved {out}")
    failed = [r["db"] for r in rows if r["lost"] or r["double"] or r["locked"] or r["stored_without_201"]
              or r["duplicates_refused_409"] != r["duplicates"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
