"""Instructions per request of the desk's hot write paths, counted by valgrind (callgrind).

Run from the project root: ``.venv/bin/python bench/instructions.py [interviews|submit ...]``.
Needs valgrind (``apt-get install -y valgrind``) and PostgreSQL on 127.0.0.1:5432 (user ``postgres``,
trust; a database ``interaction_instr_<path>`` is created and dropped).

Why: on a shared or virtual machine the CPU time of one request moves by ±20 % from run to run,
more than most changes to a request path are worth. The number of instructions the interpreter
runs does not: the same code gives the same count to about 1 %. Each path is driven in-process
(Flask's test client, the real app on PostgreSQL, Redis for interviews if ``REDIS_URL`` is set), 20
requests to warm up, then *n* measured; the count is the difference between a run with *n*
measured requests and one with none, divided by *n* (so start-up and warm-up cancel out).

- ``interviews``: a moderator approves a question and a guest answers it over the API with bearer
  tokens (the requests of ``bench/interviews.py``); the figure is the mean of the two.
- ``submit``: an anonymous ``POST /api/v1/letters`` (the submissions of ``bench/mailbox.py``).

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


DRIVERS = {"interviews": (_drive_interviews, 2), "submit": (_drive_submit, 1)}


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
    parser.add_argument("--drive", choices=list(DRIVERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        DRIVERS[args.drive][0](args.measured)
        return
    unknown = set(args.paths) - set(DRIVERS)
    if unknown:
        parser.error(f"unknown path {', '.join(sorted(unknown))}: choose from {', '.join(DRIVERS)}")
    for path in args.paths or list(DRIVERS):
        database = f"interaction_instr_{path}"
        try:
            os.environ["DATABASE_URL"] = _fresh_database(database)
            with_requests = _count(path, args.measured)
            os.environ["DATABASE_URL"] = _fresh_database(database)
            without = _count(path, 0)
        finally:
            _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        per_request = (with_requests - without) / (args.measured * DRIVERS[path][1])
        print(f"{path:>10}: {per_request / 1e6:6.2f} M instructions per request ({args.measured} measured)")


if __name__ == "__main__":
    main()
