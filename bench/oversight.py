"""Benchmark of oversight's performance figures: a year of 1,000,000 letters and 200,000 questions.

Run from the project root::

    .venv/bin/python bench/oversight.py                          # SQLite and PostgreSQL, 1 then 2 years of history
    .venv/bin/python bench/oversight.py --db postgres --years 1  # one database, one size
    .venv/bin/python bench/oversight.py --letters 100000 --questions 20000   # a quick look

For each database it makes the schema (``create_all``: the migrations' schema), a province of 101 units
(the province, 30 departments, 14 cities with 4 counties each) with a mailbox each, and bulk-loads
``--letters`` letters and ``--questions`` questions per year (psycopg ``COPY`` / SQLite ``executemany``):
the current year up to today first, then whole earlier years (``--years 1 2``: the same database grows by
a year of history between the two measurements). Statuses follow age: most letters of the last three
weeks still open, a small overdue backlog, the rest replied (some late, extended, transferred, rated,
re-handled) or rejected.

Per size, in one process and on one connection pool, it times (median of ``--repeat`` runs):

- **bare**: ``SELECT department_id, count(*) FROM letters WHERE received_dt in the year GROUP BY
  department_id``, the reference;
- **table**: ``oversight.figures.performance`` for the year (every figure of every department, the
  roll-ups, the ranking; what the page and the API compute), and **page** (the table plus the monthly
  trend and the overdue heat table: everything the performance page computes);
- **changed**: the table again right after 50 letters changed (their days counted live, as between two
  runs of the summary job), then the job's incremental refresh;
- **build**: the summary's first build over the whole history (once per size), and **live** (with
  ``--live``): the table counted without any summary.

Results are printed as one table and saved as JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lib.load import make_app, plain_pg_url, recreate_database, sqlalchemy_url  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SHANGHAI = timedelta(hours=8)
CHANGED = 50


# -- the province and its data ------------------------------------------------------------------------------

def seed_units(app) -> list[tuple[int, int, float]]:
    """The units and their mailboxes; returns ``(department id, mailbox id, weight)`` of every unit."""
    from interaction.accounts.models import Department
    from interaction.core.db import db
    from interaction.mailbox.models import Mailbox

    with app.app_context():
        db.create_all()
        province = Department(code="hn", name="湖南省人民政府", kind="province", sort_order=0)
        db.session.add(province)
        units = [(province, 3.0)]
        for n in range(30):
            units.append((Department(code=f"d{n:02d}", name=f"省直部门{n:02d}", parent=province, sort_order=n + 1),
                          random.Random(n).uniform(0.5, 3.0)))
        for c in range(14):
            city = Department(code=f"c{c:02d}", name=f"市{c:02d}", kind="city", parent=province, sort_order=40 + c)
            units.append((city, 2.0))
            for k in range(4):
                units.append((Department(code=f"c{c:02d}k{k}", name=f"市{c:02d}县{k}", kind="county", parent=city,
                                         sort_order=k), 0.6))
        db.session.add_all(d for d, _w in units)
        db.session.flush()
        result = []
        for department, weight in units:
            mailbox = Mailbox(code=f"mb-{department.code}", name=f"{department.name}信箱", department_id=department.id,
                              reply_days=15)
            db.session.add(mailbox)
            db.session.flush()
            result.append((department.id, mailbox.id, weight))
        db.session.commit()
        return result


def _letter(rng, index, received, now, unit, units):
    department_id, mailbox_id, _w = unit
    age = (now - received).total_seconds() / 86400
    due = received + timedelta(days=21)
    row = {"number": f"B{index:010d}", "query_code_hash": "x", "mailbox_id": mailbox_id,
           "department_id": department_id, "category": "consultation", "subject": "关于小区停车的问题",
           "body": "来信内容", "name": "张三", "phone": "13800138000", "public_consent": False, "channel": "web",
           "received_dt": received, "created_dt": received, "accept_due_dt": received + timedelta(days=2),
           "extended_workdays": 0, "transfer_count": 0, "is_rehandled": False, "is_published": False}
    if rng.random() < 0.05:
        row["transfer_count"] = 1 if rng.random() < 0.9 else 3
        row["department_id"] = rng.choice(units)[0]
    if rng.random() < 0.03:
        row["extended_workdays"], due = 5, due + timedelta(days=7)
    row["due_dt"] = due
    if (age < 20 and rng.random() < 0.55) or rng.random() < 0.003:
        row["status"] = rng.choice(("submitted", "accepted", "assigned", "assigned", "assigned"))
        return row
    if rng.random() < 0.015:
        row.update(status="rejected", rejection_reason="不属于受理范围", closed_dt=received + timedelta(days=1))
        return row
    replied = min(received + timedelta(days=rng.uniform(0.5, min(age, 30))), now - timedelta(minutes=5))
    row.update(status="replied", replied_dt=replied, reply_body="已答复", reply_html="<p>已答复</p>",
               reply_department_id=row["department_id"], replied_on_time=replied <= due,
               accepted_dt=received + timedelta(hours=5), assigned_dt=received + timedelta(hours=6))
    if rng.random() < 0.6:
        dims = [rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) for _ in range(3)]
        row.update(status="rated" if rng.random() < 0.4 else "closed", rating_score=round(sum(dims) / 3),
                   rating_resolution=dims[0], rating_attitude=dims[1], rating_speed=dims[2],
                   rated_dt=replied + timedelta(days=1), is_rehandled=rng.random() < 0.01)
    return row


def _question(rng, received, now, unit):
    age = (now - received).total_seconds() / 86400
    row = {"kind": "question" if rng.random() < 0.8 else "consultation", "department_id": unit[0],
           "title": "办事指南咨询", "body": "请问如何办理？", "is_public": True, "created_dt": received,
           "reroute_count": 0, "me_too_count": 0, "helpful_count": 0, "publication_consent": False,
           "is_published": False, "clock_start_dt": received + timedelta(hours=2),
           "due_dt": received + timedelta(days=7), "decided_dt": received + timedelta(hours=2)}
    if age < 10 and rng.random() < 0.5:
        row["status"] = "open" if rng.random() < 0.8 else "pending"
        return row
    if rng.random() < 0.04:
        row.update(status="rejected", is_public=False)
        return row
    answered = min(row["clock_start_dt"] + timedelta(days=rng.uniform(0.1, min(age, 12))), now - timedelta(minutes=5))
    row.update(status="answered", first_answered_dt=answered, answered_dt=answered, answer_body="答复",
               answer_html="<p>答复</p>", answered_on_time=answered <= row["due_dt"])
    return row


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def load_year(kind, target, units, year, now, letters, questions, first_index, log) -> int:
    """Add a year of letters and questions (the current year up to *now*); returns the next letter index."""
    from interaction.mailbox.models import Letter
    from interaction.qa.models import Question

    start = datetime(year, 1, 1, tzinfo=UTC) - SHANGHAI
    stop = min(datetime(year + 1, 1, 1, tzinfo=UTC) - SHANGHAI, now - timedelta(hours=1))
    span = (stop - start).total_seconds()
    rng = random.Random(year)
    weights = [w for _d, _m, w in units]
    letter_cols = [c.name for c in Letter.__table__.columns if c.name != "id"]
    question_cols = [c.name for c in Question.__table__.columns if c.name != "id"]
    started = time.perf_counter()

    def letter_rows():
        # in order of receipt, as a desk stores them: a day's letters sit together in the table
        picks = rng.choices(units, weights, k=letters)
        offsets = sorted(rng.random() * span for _ in range(letters))
        for n in range(letters):
            received = start + timedelta(seconds=offsets[n])
            row = _letter(rng, first_index + n, received, now, picks[n], units)
            yield tuple(row.get(c) for c in letter_cols)

    def question_rows():
        picks = rng.choices(units, weights, k=questions)
        offsets = sorted(rng.random() * span for _ in range(questions))
        for n in range(questions):
            row = _question(rng, start + timedelta(seconds=offsets[n]), now, picks[n])
            yield tuple(row.get(c) for c in question_cols)

    if kind == "postgres":
        import psycopg

        with psycopg.connect(plain_pg_url(target)) as conn:
            with conn.cursor() as cur:
                for table, cols, rows in (("letters", letter_cols, letter_rows()),
                                          ("qa_questions", question_cols, question_rows())):
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for values in rows:
                            copy.write_row(values)
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE letters")
            conn.execute("VACUUM ANALYZE qa_questions")
    else:
        conn = sqlite3.connect(target, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for table, cols, rows in (("letters", letter_cols, letter_rows()),
                                  ("qa_questions", question_cols, question_rows())):
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            batch = []
            for values in rows:
                batch.append(tuple(_sqlite_value(v) for v in values))
                if len(batch) == 20_000:
                    conn.executemany(sql, batch)
                    batch.clear()
            conn.executemany(sql, batch)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.close()
    log(f"  loaded {year}: {letters:,} letters, {questions:,} questions in {time.perf_counter() - started:.0f} s")
    return first_index + letters


# -- measurements -------------------------------------------------------------------------------------------

def _median(fn, repeat) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _change_letters(app, n) -> None:
    """Rate *n* replied letters anew, each with its event (what the mailbox's services write)."""
    from sqlalchemy import select, update

    from interaction.core.db import db
    from interaction.core.time import now_utc
    from interaction.mailbox.models import Letter, LetterEvent

    with app.app_context():
        # replied letters of the last two months, spread over their days (replies get rated days or weeks later)
        recent = now_utc() - timedelta(days=60)
        ids = list(db.session.scalars(select(Letter.id).where(Letter.status == "replied", Letter.received_dt >= recent,
                                                              Letter.id % 97 == 0).limit(n)))
        db.session.execute(update(Letter).where(Letter.id.in_(ids)).values(status="rated", rating_score=5))
        db.session.add_all(LetterEvent(letter_id=i, at_dt=now_utc(), action="rated") for i in ids)
        db.session.commit()


def measure(app, year, repeat, live) -> dict:
    from datetime import date

    from sqlalchemy import delete, text

    from interaction.core.db import db
    from interaction.oversight import charts, figures, summary
    from interaction.oversight.models import DayFigures, SummaryMark

    first, end = date(year, 1, 1), date(year + 1, 1, 1)
    a, b = datetime(year, 1, 1, tzinfo=UTC) - SHANGHAI, datetime(year + 1, 1, 1, tzinfo=UTC) - SHANGHAI
    bare_sql = text("SELECT department_id, count(*) FROM letters WHERE received_dt >= :a AND received_dt < :b "
                    "GROUP BY department_id")
    out = {}
    with app.app_context():
        out["letters"] = db.session.scalar(text("SELECT count(*) FROM letters"))
        out["questions"] = db.session.scalar(text("SELECT count(*) FROM qa_questions"))
        db.session.commit()
        bare = lambda: db.session.execute(bare_sql, {"a": a, "b": b}).all()  # noqa: E731
        bare()
        if live:
            db.session.execute(delete(SummaryMark))
            db.session.commit()
            started = time.perf_counter()
            figures.performance(first, end)
            out["live_ms"] = (time.perf_counter() - started) * 1000
            db.session.rollback()
        db.session.execute(delete(DayFigures))
        db.session.execute(delete(SummaryMark))
        db.session.commit()
        started = time.perf_counter()
        summary.refresh()
        db.session.commit()
        out["build_s"] = time.perf_counter() - started
        figures.performance(first, end)
        out["bare_ms"] = _median(bare, repeat)
        out["table_ms"] = _median(lambda: figures.performance(first, end), repeat)
        out["page_ms"] = _median(lambda: (figures.performance(first, end, months=True), charts.overdue_heat()),
                                 repeat)
        out["bare_ms_2"] = _median(bare, repeat)  # the reference again, after: the machine's speed moves
        db.session.commit()
    _change_letters(app, CHANGED)
    with app.app_context():
        out["dirty_days"] = len(summary.dirty_days(summary.mark()))
        out["changed_ms"] = _median(lambda: figures.performance(first, end), repeat)
        started = time.perf_counter()
        summary.refresh()
        db.session.commit()
        out["refresh_s"] = time.perf_counter() - started
        out["after_refresh_ms"] = _median(lambda: figures.performance(first, end), repeat)
        db.session.commit()
    bare_ref = min(out["bare_ms"], out["bare_ms_2"])
    out["ratio"] = out["table_ms"] / bare_ref
    out["page_ratio"] = out["page_ms"] / bare_ref
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--letters", type=int, default=1_000_000, help="letters per year")
    parser.add_argument("--questions", type=int, default=200_000, help="questions per year")
    parser.add_argument("--years", type=int, nargs="+", default=[1, 2], help="years of history to measure at")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--live", action="store_true", help="also count the table without a summary (slow)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database as a previous run left it (no loading; --years: its history)")
    parser.add_argument("--pg-db", default="bench_oversight")
    parser.add_argument("--sqlite-path", default=str(RESULTS / "oversight.db"))
    args = parser.parse_args()
    now = datetime.now(UTC)
    year = (now + SHANGHAI).year
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for kind in kinds:
        target = args.pg_db if kind == "postgres" else args.sqlite_path
        if args.reuse:
            app = make_app(sqlalchemy_url(kind, target))
            figures = measure(app, year, args.repeat, args.live)
            figures.update(db=kind, years=args.years[0])
            print(f"  {args.years[0]} year(s): {json.dumps(figures)}", flush=True)
            results.append(figures)
            continue
        print(f"{kind}: a fresh database {target}", flush=True)
        recreate_database(kind, target)
        app = make_app(sqlalchemy_url(kind, target))
        units = seed_units(app)
        loaded, index = 0, 0
        for years in sorted(set(args.years)):
            while loaded < years:
                index = load_year(kind, target, units, year - loaded, now, args.letters, args.questions, index,
                                  print)
                loaded += 1
            figures = measure(app, year, args.repeat, args.live)
            figures.update(db=kind, years=years)
            print(f"  {years} year(s): {json.dumps(figures)}", flush=True)
            results.append(figures)
    _report(results, args)


def _report(results, args) -> None:
    print()
    print(f"oversight: all figures for a year ({args.letters:,} letters, {args.questions:,} questions a year), "
          f"median of {args.repeat}; ratio = table ÷ bare GROUP BY")
    head = ("db", "history", "letters", "bare ms", "table ms", "ratio", "page ms", "page ratio", "changed ms",
            "dirty days", "refresh s", "build s", "live ms")
    print(" | ".join(head))
    for r in results:
        print(" | ".join([r["db"], f"{r['years']} y", f"{r['letters']:,}", f"{min(r['bare_ms'], r['bare_ms_2']):.0f}",
                          f"{r['table_ms']:.0f}", f"{r['ratio']:.2f}", f"{r['page_ms']:.0f}",
                          f"{r['page_ratio']:.2f}", f"{r['changed_ms']:.0f}", str(r["dirty_days"]),
                          f"{r['refresh_s']:.1f}", f"{r['build_s']:.0f}",
                          f"{r['live_ms']:.0f}" if "live_ms" in r else "—"]))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"oversight-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"args": vars(args), "results": results}, indent=1))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
