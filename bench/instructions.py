"""Instructions per request of the desk's hot write paths, counted by valgrind (callgrind).

Run from the project root: ``.venv/bin/python bench/instructions.py [path ...]``.
Needs valgrind (``apt-get install -y valgrind``) and PostgreSQL on 127.0.0.1:5432 (user ``postgres``,
trust; a database ``interaction_instr_<path>_<pid>`` is created and dropped).

Why: on a shared or virtual machine the CPU time of one request moves by ±20 % from run to run,
more than most changes to a request path are worth. The number of instructions the interpreter
runs does not: the same code gives the same count to about 1 %. Each path is driven in-process
(Flask's test client, the real app on PostgreSQL, Redis for interviews if ``REDIS_URL`` is set), 20
requests to warm up, then *n* measured; the count is the difference between a run with *n*
measured requests and one with none, divided by *n* (so start-up and warm-up cancel out).

- ``interviews``: a moderator approves a question and a guest answers it over the API with bearer
  tokens (the requests of ``bench/interviews.py``); the figure is the mean of the two.
- ``submit``: an anonymous ``POST /api/v1/letters`` (the submissions of ``bench/mailbox.py``).
- ``ballot``: a citizen's ``POST /api/v1/polls/<id>/ballots`` with a bearer token (the ballots of
  ``bench/polls.py``, one in ten with a text answer), on a poll whose results are sealed until it
  closes: a ``live`` poll's broadcasts run on a timer, which would make the count depend on time.
- ``inbox``, ``board``, ``public``: the pages of ``bench/mailbox.py`` (``wsgi``'s configuration) on
  its generated letters (:data:`LETTERS` of them, ``bench/lib/load.py``): the staff inbox with a
  clerk's session cookie, the supervision board with an administrator's (both signed in once through
  the sign-in form, outside the count), the public list anonymous, without a cookie.
- ``bare``, ``bare_insert``: the bare reference of ``bench/mailbox.py`` (``bench/lib/bare_app.py``) on
  the same data: its list of 20 letters and its one-row insert; desk / bare is the ratio to read.

``--gevent`` drives under gevent's monkey-patching, as the deployment serves (gunicorn's gevent worker):
psycopg then waits for PostgreSQL through gevent's ``poll``, in Python, where it otherwise waits in C.

What it does not show: time spent waiting for the database, the kernel's share, and costs that
depend on load (the garbage collector with thousands of sockets): use the scenario benchmarks for
those; use this to compare two versions of a request path.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARM_UP = 20
GEVENT_ENV = "BENCH_INSTRUCTIONS_GEVENT"
LETTERS = 3000  # letters loaded for the page paths (bench/lib/load.py)
ANSWER = "关于公交站点恢复的问题，我们已经请交通运输部门实地查看，下个月起恢复停靠。" * 2
LETTER = {"category": "consultation", "subject": "小区门口公交站撤销的问题", "name": "张三",
          "phone": "13800138000", "public_consent": True,
          "body": "我们小区门口的公交站去年撤掉了，老人去医院看病要走二十多分钟，请问能否恢复。" * 5}


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], check=True, capture_output=True)


def _fresh_database(name: str) -> str:
    _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _psql(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drive_interviews(measured: int) -> None:
    seeded = subprocess.run([sys.executable, str(ROOT / "bench/lib/seed_desk.py"), "--create", "--tag", "instr",
                             "--questions", str(WARM_UP + measured)], capture_output=True, text=True, check=True)
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    from wsgi import app

    client = app.test_client()
    moderator = {"Authorization": f"Bearer {seed['moderator_token']}"}
    guest = {"Authorization": f"Bearer {seed['guest_token']}"}
    for question in seed["questions"]:
        response = client.post(f"/api/v1/interviews/questions/{question}/approve", json={}, headers=moderator)
        assert response.status_code == 200, response.data
        response = client.post(f"/api/v1/interviews/{seed['interview']}/answers",
                               json={"question": question, "body": ANSWER}, headers=guest)
        assert response.status_code == 201, response.data


def _drive_submit(measured: int) -> None:
    from interaction import create_app
    from interaction.accounts.models import Department
    from interaction.core.db import db
    from interaction.mailbox.models import Mailbox

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        department = Department(code="instr", name="压测部门", kind="department")
        db.session.add(Mailbox(code="instr", name="压测信箱", department=department))
        db.session.commit()
    client = app.test_client()
    for _ in range(WARM_UP + measured):
        response = client.post("/api/v1/letters", json={"mailbox": "instr", **LETTER})
        assert response.status_code == 201, response.data


#: Voters seeded for ``ballot`` whatever *measured* is, so that both runs seed the same.
BALLOT_VOTERS = 1000


def _drive_ballot(measured: int) -> None:
    import random

    from bench import polls

    assert WARM_UP + measured <= BALLOT_VOTERS, f"at most {BALLOT_VOTERS - WARM_UP} measured ballots"
    data = polls.seed(os.environ["DATABASE_URL"], BALLOT_VOTERS, visibility="after_close")
    from wsgi import app

    client = app.test_client()
    rng = random.Random(16)
    for n, token in enumerate(data["tokens"][:WARM_UP + measured]):
        answers = polls.ballot(data["questions"], rng, with_text=n % 10 == 0)
        response = client.post(f"/api/v1/polls/{data['poll']}/ballots", json={"answers": answers},
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.data[:300]


#: Page paths: (URL, who is signed in: "staff", "admin" or None).
PAGES = {"inbox": ("/mailbox/inbox", "staff"), "board": ("/mailbox/supervision", "admin"),
         "public": ("/mailbox/public", None)}
COOKIE_ENV = "BENCH_SESSION_{}"


def _drive_page(path: str, measured: int) -> None:
    from wsgi import app

    url, who = PAGES[path]
    client = app.test_client(use_cookies=False)  # the same cookie on every request, as wrk sends it
    headers = {"Cookie": f"session={os.environ[COOKIE_ENV.format(who)]}"} if who else {}
    for _ in range(WARM_UP + measured):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (response.status_code, response.data[:300])


def _drive_bare(measured: int) -> None:
    from bench.lib.bare_app import app

    client = app.test_client()
    for _ in range(WARM_UP + measured):
        response = client.get("/letters")
        assert response.status_code == 200, response.data[:300]


def _drive_bare_insert(measured: int) -> None:
    from sqlalchemy import text

    from bench.lib.bare_app import app, db

    with app.app_context():
        mailbox_id, department_id = db.session.execute(text("SELECT id, department_id FROM mailboxes LIMIT 1")).one()
    client = app.test_client()
    body = {"mailbox_id": mailbox_id, "department_id": department_id, **LETTER}
    for _ in range(WARM_UP + measured):
        response = client.post("/letters", json=body)
        assert response.status_code == 201, response.data[:300]


def _letters_database(url: str, name: str) -> None:
    """The data of ``bench/mailbox.py`` (departments, mailboxes, admin, clerk, :data:`LETTERS` letters)."""
    from datetime import UTC, datetime

    from bench.lib import load

    app = load.make_app(url)
    load.create_schema_and_seed(app)
    load.Loader("postgres", name, app, datetime.now(UTC).replace(microsecond=0), log=lambda _m: None).load(LETTERS)


def _sign_in(url: str, email: str) -> str:
    """The session cookie of *email* signed in through the form, after one page view (see bench/mailbox.py)."""
    from bench.lib import load

    client = load.make_app(url).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": load.PASSWORD, "next": "",
                                           "csrf_token": token})
    assert response.status_code in (200, 302), response.status_code
    client.get("/mailbox/inbox")
    return client.get_cookie("session").value


def _prepare_letters(url: str, name: str) -> None:
    from bench.lib import load

    _letters_database(url, name)
    os.environ[COOKIE_ENV.format("staff")] = _sign_in(url, load.STAFF_EMAIL)
    os.environ[COOKIE_ENV.format("admin")] = _sign_in(url, load.ADMIN_EMAIL)


#: path: (driver, requests per measured unit, preparation of its database or None: an empty one).
DRIVERS = {"interviews": (_drive_interviews, 2, None), "submit": (_drive_submit, 1, None),
           "ballot": (_drive_ballot, 1, None),
           **{page: (lambda n, page=page: _drive_page(page, n), 1, _prepare_letters) for page in PAGES},
           "bare": (_drive_bare, 1, _prepare_letters), "bare_insert": (_drive_bare_insert, 1, _prepare_letters)}


def _count(path: str, measured: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__,
                        "--drive", path, "--measured", str(measured)],
                       check=True, capture_output=True, cwd=ROOT, env=os.environ)
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", metavar="path", help=f"{' / '.join(DRIVERS)} (default: all)")
    parser.add_argument("-n", "--measured", type=int, default=40, help="measured requests (or pairs) per run")
    parser.add_argument("--gevent", action="store_true",
                        help="drive under gevent's monkey-patching, as the deployment serves (psycopg then waits "
                             "through gevent)")
    parser.add_argument("--drive", choices=list(DRIVERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gevent:
        os.environ[GEVENT_ENV] = "1"  # for the driving processes
    if args.drive:
        if os.environ.get(GEVENT_ENV):
            from gevent import monkey

            monkey.patch_all()
        DRIVERS[args.drive][0](args.measured)
        return
    unknown = set(args.paths) - set(DRIVERS)
    if unknown:
        parser.error(f"unknown path {', '.join(sorted(unknown))}: choose from {', '.join(DRIVERS)}")
    for path in args.paths or list(DRIVERS):
        database = f"interaction_instr_{path}_{os.getpid()}"  # runs of two checkouts side by side
        prepare = DRIVERS[path][2]
        try:
            os.environ["DATABASE_URL"] = _fresh_database(database)
            if prepare is not None:  # its data, the same for both runs
                prepare(os.environ["DATABASE_URL"], database)
            with_requests = _count(path, args.measured)
            if prepare is None:  # from an empty database again
                os.environ["DATABASE_URL"] = _fresh_database(database)
            without = _count(path, 0)
        finally:
            _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        per_request = (with_requests - without) / (args.measured * DRIVERS[path][1])
        print(f"{path:>10}: {per_request / 1e6:6.2f} M instructions per request ({args.measured} measured)")


if __name__ == "__main__":
    main()
