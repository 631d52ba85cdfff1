"""The mailbox's realistic mix (issue 14's speed guard): many staff sessions, the board, letter pages and the
public list at once, while letters arrive and staff act on them, beside the bare reference in the same run.

Run from the project root (wrk must be installed)::

    .venv/bin/python bench/mix.py --seed-only                              # the databases, once (~25 min, 2 cores)
    .venv/bin/python bench/mix.py --label after                            # both databases, 100k and 1M
    .venv/bin/python bench/mix.py --label before --desk-root /work/before  # an older checkout of the desk
    .venv/bin/python bench/mix.py --db sqlite --sizes 1000000 --repeat 2

It shares seeding and servers with ``bench/mailbox.py`` (``bench/lib``): the same generated letters,
departments and users, plus twenty staff accounts in six departments. Each size has its own database
(PostgreSQL ``<pg-prefix>_100k`` …, SQLite ``<sqlite-dir>/100k.db`` …), seeded once and reused: a
measurement removes the letters, events, audit entries and idempotency records it added, and the
staff act only on letters that arrived during the run.

One measurement of the desk (``--seconds`` after ``--warmup``), all at the same time:

- ``inbox``: wrk, 2 connections; the 20 staff sessions in turn, each with its own filters (status,
  category, due) and pages 1–3 of its inbox;
- ``board``: wrk, 1 connection; the supervision board, an administrator's session;
- ``letter``: wrk, 1 connection; the staff letter page (an audited read of personal data) of letters
  of each session's department;
- ``public``: wrk, 1 connection; the public list, pages 1–3 and categories, anonymous;
- ``publetter``: wrk, 1 connection; published letters' public pages;
- a driver thread: one anonymous ``POST /api/v1/letters`` a second (to the six departments'
  mailboxes) and one staff action a second through the API with bearer tokens (accept, then assign
  to the own department, then reply, on the letters that arrived).

The bare reference (``bench/lib/bare_app.py``) gets the same six connections on its page and one
insert a second. Bare, desk, bare: the desk's ratio is its total page rps over the mean of the two.
Targets: the mix ≥ 0.7× the bare page at 1M letters; each page kind's p95 at 1M ≤ 1.25× (+1 ms) its
p95 at 100k.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lib import load, textgen, wrk  # noqa: E402
from bench.lib.servers import Server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEFAULT_PORT = 8741  # the desk; the bare app on the next port
USER_AGENT = "mailbox-mix-bench"
SECRET_KEY = "bench-mix-secret-key-not-for-production"  # the same for every checkout (query codes, key check)
MIX_TARGET, FLAT_FACTOR, FLAT_SLACK_MS = 0.7, 1.25, 1.0

#: Twenty staff accounts: (department code, how many).
MIX_DEPARTMENTS = [("hrss", 5), ("housing", 4), ("education", 3), ("public-security", 3), ("health", 3),
                   ("city-cs", 2)]
#: Page kinds of the desk: wrk connections each.
KINDS = {"inbox": 2, "board": 1, "letter": 1, "public": 1, "publetter": 1}
BARE_CONNECTIONS = sum(KINDS.values())
BOARD_PATH = "/mailbox/supervision"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def size_label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


def mix_staff() -> list[tuple[str, str]]:
    """(e-mail, department code) of the mix's twenty staff accounts."""
    staff = []
    for code, count in MIX_DEPARTMENTS:
        staff += [(f"mix-{code}-{i}@bench.local", code) for i in range(1, count + 1)]
    return staff


# -- seeding ----------------------------------------------------------------------------------------------

def add_mix_staff(app) -> None:
    from sqlalchemy import select

    from interaction.accounts import services as accounts
    from interaction.accounts.models import Department, User
    from interaction.core.db import db

    with app.app_context():
        departments = {d.code: d for d in db.session.scalars(select(Department))}
        existing = set(db.session.scalars(select(User.email)))
        for n, (email, code) in enumerate(mix_staff(), 1):
            if email not in existing:
                accounts.create_user(email, load.PASSWORD, "staff", departments[code], f"办理员{n:02d}", actor=None)
        db.session.commit()


def pg_copy_database(source: str, target: str) -> None:
    import psycopg

    with psycopg.connect(load.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (source,))
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def seed(args) -> None:
    """Each (database, size) that does not exist yet: schema, users, letters (same rows on both databases)."""
    state_path = Path(args.sqlite_dir) / "seed.json"
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    now = datetime.fromisoformat(state["now"]) if "now" in state else datetime.now(UTC).replace(microsecond=0)
    state["now"] = now.isoformat()
    state_path.write_text(json.dumps(state))
    biggest_pg = f"{args.pg_prefix}_{size_label(args.size_list[-1])}"
    for kind in args.kinds:
        previous = None
        for size in args.size_list:
            target = target_of(args, kind, size)
            if load.database_exists(kind, target) and state.get(f"{kind}:{size}") == "done":
                log(f"{kind} {size:,}: {target} seeded already")
                previous = target
                continue
            started = time.perf_counter()
            if previous and kind == "postgres":
                log(f"{kind} {size:,}: copying {previous} → {target}")
                pg_copy_database(previous, target)
            elif previous:
                log(f"{kind} {size:,}: copying {previous} → {target}")
                for suffix in ("-wal", "-shm"):
                    Path(target + suffix).unlink(missing_ok=True)
                shutil.copyfile(previous, target)
            else:
                log(f"{kind} {size:,}: new database {target}")
                load.recreate_database(kind, target)
            app = load.make_app(load.sqlalchemy_url(kind, target))
            if not previous:
                load.create_schema_and_seed(app)
                add_mix_staff(app)
            copy_from = biggest_pg if kind == "sqlite" and "postgres" in args.kinds else None
            loader = load.Loader(kind, target, app, now, log=log, copy_from_pg=copy_from)
            loader.load(size)
            log(f"{kind} {size:,}: {load.describe(loader)} in {time.perf_counter() - started:.0f} s")
            with app.app_context():
                from interaction.core.db import db

                db.engine.dispose()
            state[f"{kind}:{size}"] = "done"
            state_path.write_text(json.dumps(state))
            previous = target


def target_of(args, kind: str, size: int) -> str:
    if kind == "postgres":
        return f"{args.pg_prefix}_{size_label(size)}"
    return str(Path(args.sqlite_dir) / f"{size_label(size)}.db")



# -- sessions, requests, checks ---------------------------------------------------------------------------

def http_from(address: str):
    """A requests session whose connections come from *address* (127.0.0.0/8): sign-in is limited per address."""
    import requests
    from requests.adapters import HTTPAdapter

    class FromAddress(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (address, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", FromAddress())
    session.headers["User-Agent"] = USER_AGENT
    return session


def sign_in(base: str, email: str, address: str) -> str:
    """Sign in through the real form (CSRF token and all) from *address*; the session cookie's value."""
    session = http_from(address)
    page = session.get(base + "/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    response = session.post(base + "/login", data={"email": email, "password": load.PASSWORD, "next": "",
                                                   "csrf_token": token.group(1)}, timeout=30)
    if response.status_code != 200 or "session" not in session.cookies:
        raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")
    session.get(base + "/mailbox/inbox", timeout=30)  # the session gets its CSRF token, as a browser's would
    return session.cookies["session"]


def api_token(base: str, email: str, address: str) -> str:
    response = http_from(address).post(base + "/api/v1/auth/token",
                                       json={"email": email, "password": load.PASSWORD}, timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"token for {email}: {response.status_code} {response.text[:200]}")
    return response.json()["token"]


def check_get(base: str, path: str, headers: dict, marker: str | None = None) -> None:
    import requests

    response = requests.get(base + path, headers=headers, timeout=60, allow_redirects=False)
    if response.status_code != 200 or (marker and marker not in response.text):
        raise RuntimeError(f"GET {path}: status {response.status_code}"
                           + (f", marker {marker!r} missing" if marker and response.status_code == 200 else ""))


INBOX_VARIANTS = ["", "?page=2", "?page=3", "?status=submitted", "?status=accepted", "?status=assigned",
                  "?status=all", "?status=all&page=2", "?status=replied", "?status=closed&page=2",
                  "?category=complaint", "?category=consultation&page=2", "?due=soon", "?due=overdue",
                  "?status=all&category=help", "?status=open&due=overdue&page=2"]
PUBLIC_VARIANTS = ["", "", "?page=2", "?page=3", "?category=complaint", "?category=consultation",
                   "?category=suggestion&page=2", "?category=help"]


def build_requests(loader: load.Loader, cookies: dict, admin_cookie: str) -> dict[str, list[tuple[str, dict]]]:
    """Each page kind's requests, sent in turn by its wrk connections."""
    rng = random.Random(14)
    headers = {email: {"Cookie": f"session={cookie}", "User-Agent": USER_AGENT} for email, cookie in cookies.items()}
    anonymous = {"User-Agent": USER_AGENT}
    inbox = [(f"/mailbox/inbox{variant}", headers[email])
             for email, _code in mix_staff() for variant in rng.sample(INBOX_VARIANTS, 6)]
    rng.shuffle(inbox)
    letter = []
    for email, code in mix_staff():
        numbers = loader.scalar_rows(
            "SELECT l.number FROM letters l JOIN departments d ON d.id = l.department_id "
            f"WHERE d.code = '{code}' AND l.id % 97 = {len(letter) % 97} ORDER BY l.id DESC LIMIT 6")
        letter += [(f"/mailbox/staff/letters/{n}", headers[email]) for n in numbers]
    rng.shuffle(letter)
    published = loader.scalar_rows("SELECT number FROM letters WHERE is_published AND id % 251 = 7 "
                                   "ORDER BY id DESC LIMIT 60")
    return {
        "inbox": inbox,
        "board": [(BOARD_PATH, {"Cookie": f"session={admin_cookie}", "User-Agent": USER_AGENT})],
        "letter": letter,
        "public": [(f"/mailbox/public{v}", anonymous) for v in PUBLIC_VARIANTS],
        "publetter": [(f"/mailbox/public/{n}", anonymous) for n in published],
    }


# -- the writers: letters arriving and staff acting, one a second each ----------------------------------

class Driver(threading.Thread):
    """Once a second, a new letter; once a second, a staff action on an arrived letter (accept, assign, reply).

    For the bare app: once a second an insert. Latencies are kept with their time, so that a
    measurement takes only what happened inside its window.
    """

    def __init__(self, base: str, *, bare: bool, payloads: list[dict], tokens: dict[str, str] | None = None):
        super().__init__(daemon=True)
        import requests

        self.base, self.bare, self.payloads, self.tokens = base, bare, payloads, tokens or {}
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.stop_event = threading.Event()
        self.samples: list[tuple[float, str, float, bool]] = []  # (time, kind, seconds, ok)
        self.queue: list[tuple[str, str, str]] = []  # (number, department, next action)
        self.errors: list[str] = []

    def _timed(self, kind: str, url: str, body: dict, headers: dict | None = None, expected: int = 200):
        started = time.perf_counter()
        try:
            response = self.http.post(url, json=body, headers=headers or {}, timeout=60)
            ok = response.status_code == expected
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            response, ok = None, False
            self.errors.append(f"{kind}: {exc}")
        self.samples.append((time.time(), kind, time.perf_counter() - started, ok))
        if not ok and response is not None and len(self.errors) < 20:
            self.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
        return response.json() if ok else None

    def submit(self, i: int) -> None:
        payload = self.payloads[i % len(self.payloads)]
        if self.bare:
            self._timed("insert", self.base + "/letters", payload, expected=201)
            return
        created = self._timed("submit", self.base + "/api/v1/letters", payload, expected=201)
        if created:
            self.queue.append((created["number"], created["department"], "accept"))

    def act(self) -> None:
        if self.bare or not self.queue:
            return
        number, department, action = self.queue.pop(0)
        body = {"action": action}
        if action == "assign":
            body["department"] = department
        elif action == "reply":
            body["body"] = "您好，来信收悉。经核实，相关情况已转交承办处室办理，请保持电话畅通。"
        headers = {"Authorization": f"Bearer {self.tokens[department]}"}
        if self._timed("act", f"{self.base}/api/v1/letters/{number}/actions", body, headers) is not None:
            following = {"accept": "assign", "assign": "reply"}.get(action)
            if following:
                self.queue.append((number, department, following))

    def run(self) -> None:
        i, tick = 0, time.monotonic()
        while not self.stop_event.is_set():
            self.submit(i)
            self.stop_event.wait(max(0.0, tick + 0.5 - time.monotonic()))
            if self.stop_event.is_set():
                break
            self.act()
            i += 1
            tick += 1.0
            self.stop_event.wait(max(0.0, tick - time.monotonic()))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=90)

    def figures(self, start: float, end: float) -> dict:
        out = {}
        for kind in ("submit", "act", "insert"):
            times = sorted(s for t, k, s, _ok in self.samples if k == kind and start <= t <= end)
            if times:
                failed = sum(1 for t, k, _s, ok in self.samples if k == kind and start <= t <= end and not ok)
                out[kind] = {"count": len(times), "failed": failed, "p50_ms": round(_pct(times, 50) * 1000, 2),
                             "p95_ms": round(_pct(times, 95) * 1000, 2)}
        return out


def _pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# -- one measurement ----------------------------------------------------------------------------------------

def run_wrk_set(server: Server, scripts: dict[str, tuple[str, int]], seconds: float) -> dict:
    """Run one wrk per page kind at the same time; their results by kind."""
    results: dict = {}

    def one(kind, lua, connections):
        try:
            results[kind] = wrk.run(server.base + "/", seconds=seconds, connections=connections, lua=lua)
        except Exception as exc:  # noqa: BLE001
            results[kind] = exc

    threads = [threading.Thread(target=one, args=(k, lua, c)) for k, (lua, c) in scripts.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for kind, result in results.items():
        if isinstance(result, Exception):
            raise RuntimeError(f"wrk {kind}: {result}")
    return results


def measure_mix(server: Server, scripts: dict, driver: Driver, args) -> dict:
    server.drain()
    run_wrk_set(server, scripts, args.warmup)
    meter = server.cpu_meter()
    meter.begin()
    started = time.time()
    results = run_wrk_set(server, scripts, args.seconds)
    ended = time.time()
    cpu = meter.end()
    kinds = {}
    total = 0
    for kind, result in results.items():
        figures = result.as_dict()
        figures["rps"] = round(result.rps, 1)
        kinds[kind] = figures
        total += result.requests
        if result.errors:
            log(f"    !! {kind}: {result.errors} errors of {result.requests} requests: {result.raw}")
    duration = sum(r.raw["duration_us"] for r in results.values()) / len(results) / 1e6
    writes = driver.figures(started, ended)
    done = total + sum(w["count"] for w in writes.values())
    return {"rps": round(total / duration, 1), "requests": total, "kinds": kinds, "writes": writes,
            "cpu_ms": round(cpu * 1000 / done, 3) if done else None, "loadavg_1m": round(os.getloadavg()[0], 2),
            "at": datetime.now().isoformat(timespec="seconds")}


def solo_runs(desk: Server, bare: Server, scripts: dict, bare_script: dict, args) -> dict:
    """Each page kind alone on all the mix's connections, no writers (where the mix's time goes): rps, CPU."""
    out = {}
    quiet = Driver(desk.base, bare=True, payloads=[])  # records nothing: no writer runs
    runs = [("bare", bare, bare_script["page"][0])] + [(k, desk, lua) for k, (lua, _c) in scripts.items()]
    for name, server, lua in runs:
        result = measure_mix(server, {name: (lua, BARE_CONNECTIONS)}, quiet, argparse.Namespace(
            warmup=2, seconds=args.solo))
        figures = result["kinds"][name]
        out[name] = {"rps": figures["rps"], "p50_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"],
                     "cpu_ms": result["cpu_ms"], "errors": figures["errors"]}
        log(f"      solo {name:10} {figures['rps']:8.1f} rps  p50 {figures['p50_ms']} p95 {figures['p95_ms']} ms  "
            f"cpu {result['cpu_ms']} ms/req")
    return out


def bench_cell(kind: str, size: int, args) -> dict:
    """The mix on one database at one size: repeat × (bare, desk, bare)."""
    target = target_of(args, kind, size)
    url = load.sqlalchemy_url(kind, target)
    app = load.make_app(url)
    loader = load.Loader(kind, target, app, datetime.now(UTC), log=log)
    marks = loader.high_water()
    logs = RESULTS / "logs"
    env = {"INTERACTION_SECRET_KEY": SECRET_KEY}
    desk = Server("wsgi:app", args.port, url, logs / f"mix-desk-{kind}.log", application_name="bench-mix-desk",
                  root=Path(args.desk_root), env=env)
    bare = Server("bench.lib.bare_app:app", args.port + 1, url, logs / f"mix-bare-{kind}.log",
                  application_name="bench-mix-bare", env=env)
    codes = [f"mb-{code}" for code, _n in MIX_DEPARTMENTS]
    payloads = textgen.submission_payloads(codes, count=32)
    _departments, mailboxes, _hash, _codes = load.lookups(app)
    bare_payloads = []
    for p in payloads:
        mailbox_id, department_id, _days = mailboxes[p["mailbox"].removeprefix("mb-")]
        bare_payloads.append(dict(p, mailbox_id=mailbox_id, department_id=department_id))
    cell: dict = {"db": kind, "size": size, "bare": [], "desk": []}
    started = time.perf_counter()
    drivers = []
    try:
        desk.start()
        bare.start()
        t0 = time.perf_counter()
        cookies = {email: sign_in(desk.base, email, f"127.0.1.{n}") for n, (email, _c) in enumerate(mix_staff(), 1)}
        admin_cookie = sign_in(desk.base, load.ADMIN_EMAIL, "127.0.1.100")
        tokens = {code: api_token(desk.base, f"mix-{code}-1@bench.local", f"127.0.2.{n}")
                  for n, (code, _count) in enumerate(MIX_DEPARTMENTS, 1)}
        log(f"  signed in 21 sessions and 6 tokens in {time.perf_counter() - t0:.0f} s")
        requests_by_kind = build_requests(loader, cookies, admin_cookie)
        for reqs in requests_by_kind.values():
            for path, headers in reqs[:4]:
                check_get(desk.base, path, headers)
        check_get(bare.base, "/letters", {"User-Agent": USER_AGENT}, "来信列表")
        scripts = {k: (wrk.script_paths(200, reqs), KINDS[k]) for k, reqs in requests_by_kind.items()}
        bare_script = {"page": (wrk.script_paths(200, [("/letters", {"User-Agent": USER_AGENT})]), BARE_CONNECTIONS)}
        desk_driver = Driver(desk.base, bare=False, payloads=payloads, tokens=tokens)
        bare_driver = Driver(bare.base, bare=True, payloads=bare_payloads)
        drivers = [desk_driver, bare_driver]

        def bare_run():
            bare_driver_run = Driver(bare.base, bare=True, payloads=bare_payloads)
            drivers.append(bare_driver_run)
            bare_driver_run.start()
            try:
                result = measure_mix(bare, bare_script, bare_driver_run, args)
            finally:
                bare_driver_run.stop()
            cell["bare"].append(result)
            log(f"    {kind:8} {size:>9,} bare  {result['rps']:8.1f} rps  p50 {result['kinds']['page']['p50_ms']} "
                f"p95 {result['kinds']['page']['p95_ms']} ms  inserts {result['writes'].get('insert')}  "
                f"cpu {result['cpu_ms']} ms/req  load {result['loadavg_1m']}")

        for _round in range(args.repeat):
            bare_run()
            desk_driver = Driver(desk.base, bare=False, payloads=payloads, tokens=tokens)
            drivers.append(desk_driver)
            desk_driver.start()
            try:
                result = measure_mix(desk, scripts, desk_driver, args)
            finally:
                desk_driver.stop()
            result["driver_errors"] = desk_driver.errors[:10]
            cell["desk"].append(result)
            pages = "  ".join(f"{k} {v['rps']:.0f}/{v['p50_ms']}/{v['p95_ms']}" for k, v in result["kinds"].items())
            log(f"    {kind:8} {size:>9,} desk  {result['rps']:8.1f} rps  [{pages}]  writes {result['writes']}  "
                f"cpu {result['cpu_ms']} ms/req  load {result['loadavg_1m']}")
            if desk_driver.errors:
                log(f"    !! driver: {desk_driver.errors[:3]}")
            bare_run()
        if args.solo:
            cell["solo"] = solo_runs(desk, bare, scripts, bare_script, args)
    finally:
        for d in drivers:
            d.stop_event.set()
        desk.stop()
        bare.stop()
        removed = loader.remove_above(marks)
        with app.app_context():
            from interaction.core.db import db

            db.engine.dispose()
        log(f"  removed {removed:,} letters added by the measurements")
    cell["seconds"] = round(time.perf_counter() - started)
    return cell


# -- the table ----------------------------------------------------------------------------------------------

def cell_rows(cell: dict) -> list[dict]:
    """One row per desk run: its ratio to the mean of the bare runs on either side."""
    rows = []
    for i, desk in enumerate(cell["desk"]):
        before, after = cell["bare"][2 * i], cell["bare"][2 * i + 1]  # each round is bare, desk, bare
        bare = (before["rps"] + after["rps"]) / 2
        rows.append({"db": cell["db"], "size": cell["size"], "label": cell.get("label"), "desk_rps": desk["rps"],
                     "bare_rps": round(bare, 1), "ratio": round(desk["rps"] / bare, 3),
                     "bare_p95": max(before["kinds"]["page"]["p95_ms"], after["kinds"]["page"]["p95_ms"]),
                     "kinds": {k: (v["rps"], v["p50_ms"], v["p95_ms"]) for k, v in desk["kinds"].items()},
                     "writes": desk["writes"], "cpu_ms": desk["cpu_ms"],
                     "bare_cpu_ms": _mean(before["cpu_ms"], after["cpu_ms"])})
    return rows


def _mean(*values):
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 3) if values else None


def print_table(cells: list[dict]) -> None:
    kinds = list(KINDS) + ["submit", "act"]
    print(f"{'label':7} {'db':8} {'size':>9} {'desk rps':>8} {'bare rps':>8} {'ratio':>6} "
          + " ".join(f"{k + ' p50/p95':>17}" for k in kinds) + f" {'cpu ms':>6} {'bare cpu':>8}")
    for cell in cells:
        for r in cell_rows(cell):
            figures = [f"{r['kinds'][k][1]:.1f}/{r['kinds'][k][2]:.1f}" if k in r["kinds"] else
                       (f"{r['writes'][k]['p50_ms']:.0f}/{r['writes'][k]['p95_ms']:.0f}" if k in r["writes"] else "—")
                       for k in kinds]
            print(f"{r['label'] or '':7} {r['db']:8} {r['size']:>9,} {r['desk_rps']:8.1f} {r['bare_rps']:8.1f} "
                  f"{r['ratio']:6.2f} " + " ".join(f"{f:>17}" for f in figures)
                  + f" {_num(r['cpu_ms'])} {_num(r['bare_cpu_ms'], 8)}")


def _num(value, width: int = 6) -> str:
    return f"{value:{width}.2f}" if value is not None else " " * (width - 1) + "—"


def summary(cells: list[dict]) -> list[dict]:
    """Per (label, database, size): every run's ratio, and the page p50/p95 of the median run (by ratio, upper)."""
    grouped: dict = {}
    for cell in cells:
        grouped.setdefault((cell.get("label"), cell["db"], cell["size"]), []).extend(cell_rows(cell))
    out = []
    for (label, db, size), rows in grouped.items():
        rows.sort(key=lambda r: r["ratio"])
        middle = rows[len(rows) // 2]  # of two runs, the one less disturbed by the machine's other work
        out.append({"label": label, "db": db, "size": size, "ratios": [r["ratio"] for r in rows],
                    "bare_rps": [r["bare_rps"] for r in rows], "desk_rps": [r["desk_rps"] for r in rows],
                    "cpu_ratios": [r["bare_cpu_ms"] / r["cpu_ms"] for r in rows if r["cpu_ms"] and r["bare_cpu_ms"]],
                    "median": middle})
    return out


def print_markdown(cells: list[dict]) -> None:
    """The README's table: desk ÷ bare per run, bare rps, and p50/p95 (ms) per page kind of the median run."""
    kinds = list(KINDS) + ["submit", "act"]
    print("| run | db | letters | desk ÷ bare | desk rps | bare rps | cpu bare ÷ desk | " + " | ".join(kinds) + " |")
    print("|---|---|---|---|---|---|---|" + "---|" * len(kinds))
    for s in summary(cells):
        m = s["median"]
        figures = [f"{m['kinds'][k][1]:.0f} / {m['kinds'][k][2]:.0f}" if k in m["kinds"] else
                   (f"{m['writes'][k]['p50_ms']:.0f} / {m['writes'][k]['p95_ms']:.0f}" if k in m["writes"] else "—")
                   for k in kinds]
        print(f"| {s['label']} | {s['db']} | {s['size']:,} | {', '.join(f'{r:.2f}' for r in s['ratios'])} | "
              f"{', '.join(f'{r:.0f}' for r in s['desk_rps'])} | {', '.join(f'{r:.0f}' for r in s['bare_rps'])} | "
              f"{', '.join(f'{r:.2f}' for r in s['cpu_ratios'])} | "
              + " | ".join(figures) + " |")


def print_solo_markdown(cells: list[dict]) -> None:
    """Each kind alone (``--solo``): requests per second and CPU ms per request."""
    solo = [c for c in cells if c.get("solo")]
    if not solo:
        return
    kinds = ["bare", *KINDS]
    print("| run | db | letters | " + " | ".join(kinds) + " |")
    print("|---|---|---|" + "---|" * len(kinds))
    for c in solo:
        print(f"| {c.get('label')} | {c['db']} | {c['size']:,} | "
              + " | ".join(f"{c['solo'][k]['rps']:.0f} ({c['solo'][k]['cpu_ms']:.1f})" for k in kinds) + " |")


def measure_all(args) -> int:
    out = Path(args.out) if args.out else RESULTS / f"mix-{args.label or 'run'}-{datetime.now():%Y%m%d-%H%M%S}.json"
    report = {"label": args.label, "desk_root": args.desk_root, "cpus": os.cpu_count(), "started": datetime.now(
        UTC).isoformat(timespec="seconds"), "args": {k: v for k, v in vars(args).items() if k not in ("size_list",)},
        "commit": _commit(args.desk_root), "cells": []}
    for kind in args.kinds:
        for size in args.size_list:
            log(f"{kind} {size:,} letters, desk from {args.desk_root} ({report['commit']})")
            cell = bench_cell(kind, size, args)
            cell["label"] = args.label
            report["cells"].append(cell)
            load.dump_json(out, report)
            log(f"  cell took {cell['seconds']} s")
    print()
    print_table(report["cells"])
    print(f"\nresults: {out}")
    return 0


def _commit(root: str) -> str:
    try:
        return load.run(["git", "-C", root, "rev-parse", "--short", "HEAD"]).strip()
    except Exception:  # noqa: BLE001
        return "?"


# -- main ---------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--sizes", default="100000,1000000", help="letters, ascending, multiples of 1000")
    parser.add_argument("--seconds", type=float, default=25, help="length of each measurement")
    parser.add_argument("--warmup", type=float, default=4, help="warm-up before each measurement (the same mix)")
    parser.add_argument("--repeat", type=int, default=1, help="measurements (bare, desk, bare) per cell")
    parser.add_argument("--desk-root", default=str(ROOT), help="the desk's source tree (another checkout)")
    parser.add_argument("--label", default=None, help="a name for the results (before, after …)")
    parser.add_argument("--solo", type=float, default=0, metavar="SECONDS",
                        help="after the mix, each page kind alone for SECONDS (where the time goes)")
    parser.add_argument("--seed-only", action="store_true", help="only seed the databases that are missing")
    parser.add_argument("--pg-prefix", default="bench_k")
    parser.add_argument("--sqlite-dir", default="/tmp/bench-k")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the desk's port; the bare app uses the next")
    parser.add_argument("--report", nargs="+", metavar="JSON", help="only print the tables of earlier results")
    parser.add_argument("--out", default=None, help="results file (default bench/results/mix-<label>-<time>.json)")
    args = parser.parse_args(argv)
    args.kinds = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    args.size_list = sorted(int(s) for s in args.sizes.split(","))
    if any(s % textgen.CHUNK for s in args.size_list):
        parser.error(f"sizes must be multiples of {textgen.CHUNK}")
    return args


def _terminate(_signum, _frame):
    raise KeyboardInterrupt  # SIGTERM: stop the servers (finally blocks) like Ctrl-C does


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        cells = [cell for path in args.report for cell in json.loads(Path(path).read_text())["cells"]]
        print_table(cells)
        print()
        print_markdown([c for c in cells if c["desk"]])
        print()
        print_solo_markdown(cells)
        return 0
    os.environ["INTERACTION_SECRET_KEY"] = SECRET_KEY
    # The desk's code (bench.lib is imported already, from this tree): seeding uses its models and services.
    sys.path.insert(0, str(Path(args.desk_root).resolve()))
    seed(args)
    if args.seed_only:
        return 0
    # Only now: the seeding's forked generator processes would inherit the handler (and hang on SIGTERM).
    signal.signal(signal.SIGTERM, _terminate)
    return measure_all(args)


if __name__ == "__main__":
    sys.exit(main())
