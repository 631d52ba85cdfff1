"""Benchmark of the leader mailbox at 10,000 → 1,000,000 letters, beside a bare Flask reference.

Run from the project root (wrk must be installed: ``apt-get install -y wrk``)::

    .venv/bin/python bench/mailbox.py                      # both databases, 10k, 100k, 1M letters
    .venv/bin/python bench/mailbox.py --quick              # smoke test: small sizes, short runs
    .venv/bin/python bench/mailbox.py --db postgres --sizes 10000,100000 --seconds 10

For each database and size it loads letters (generated, realistic Chinese text; see
``bench/lib/textgen.py``), starts the desk (``wsgi:app``) and the bare reference
(``bench/lib/bare_app.py``) under the same gunicorn settings on the same database, and measures
with wrk (warm-up, then ``--seconds``): the staff inbox (``/mailbox/inbox``, a clerk's session
cookie), the supervision board (``/mailbox/supervision``, an administrator's cookie), the public
list (``/mailbox/public``, anonymous), and letters submitted per second (anonymous
``POST /api/v1/letters``), beside the bare 20-row page and the bare one-row insert. Rows added by
the measurements are removed before the next size. Prints one table; saves JSON in bench/results/.

Targets: each page ≥ 0.8× the bare page's requests per second and its p95 flat from the smallest
to the largest size (≤ 1.25× the smallest size's p95, +1 ms for timer noise); submissions ≥ 0.7×
the bare insert.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lib import load, textgen, wrk  # noqa: E402
from bench.lib.servers import Server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEFAULT_PORT = 8731  # the desk; the bare app on the next port
USER_AGENT = "mailbox-bench"
PAGE_TARGET, SUBMIT_TARGET = 0.8, 0.7
FLAT_FACTOR, FLAT_SLACK_MS = 1.25, 1.0

PAGES = {
    # name: (path, who, marker in the page)
    "inbox": ("/mailbox/inbox", "staff", "来信办理"),
    "board": ("/mailbox/supervision", "admin", "电子监察"),
    "public": ("/mailbox/public", None, "来信选登"),
}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# -- sign-in and checks -----------------------------------------------------------------------------------

def sign_in(base: str, email: str) -> str:
    """Sign in through the real form (CSRF token and all); return the session cookie's value."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    page = session.get(base + "/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    response = session.post(base + "/login", data={"email": email, "password": load.PASSWORD, "next": "",
                                                   "csrf_token": token.group(1)}, timeout=30)
    if response.status_code != 200 or "session" not in session.cookies:
        raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")
    # One page view so the session holds its CSRF token (as a browser's would) and is not rewritten.
    session.get(base + "/mailbox/inbox", timeout=30)
    return session.cookies["session"]


def check_page(base: str, path: str, cookie: str | None, marker: str) -> None:
    import requests

    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    response = requests.get(base + path, headers=headers, timeout=60, allow_redirects=False)
    if response.status_code != 200 or marker not in response.text:
        raise RuntimeError(f"{path}: status {response.status_code}, marker {marker!r} "
                           f"{'found' if marker in response.text else 'missing'}")


def check_post(url: str, body: str, expected: int) -> dict:
    import requests

    response = requests.post(url, data=body.encode(), headers={"Content-Type": "application/json",
                                                               "User-Agent": USER_AGENT}, timeout=60)
    if response.status_code != expected:
        raise RuntimeError(f"POST {url}: {response.status_code} {response.text[:300]}")
    return response.json()


# -- one measurement ----------------------------------------------------------------------------------------

def measure(url: str, lua: str, server: Server, *, seconds: float, warmup: float, connections: int,
            headers: dict | None = None, rows=None) -> dict:
    """Warm up, then run wrk; the figures plus the server's CPU milliseconds per request.

    With *rows* (a function giving the highest letter id) the rate is what the server stored during
    the run: slow requests queued before the run and served in it count, those cut off at its end do
    not, which is fair when one request takes longer than the run could show.
    """
    headers = dict(headers or {}, **{"User-Agent": USER_AGENT})
    if warmup:
        wrk.run(url, seconds=warmup, connections=connections, lua=lua, headers=headers)
    meter = server.cpu_meter()
    meter.begin()
    first = rows() if rows else None
    started = time.perf_counter()
    result = wrk.run(url, seconds=seconds, connections=connections, lua=lua, headers=headers)
    elapsed = time.perf_counter() - started
    stored = rows() - first if rows else None
    cpu = meter.end()
    if result.errors:
        log(f"    !! {result.errors} errors of {result.requests} requests on {url}: {result.raw}")
    figures = result.as_dict()
    if rows:
        figures.update(wrk_rps=figures["rps"], rps=round(stored / elapsed, 2), stored=stored)
    done = stored if rows else result.requests
    figures["cpu_ms"] = round(cpu * 1000 / done, 3) if done else None
    if not result.requests:  # no response inside the run: latency unknown, at least the run's length
        figures.update(p50_ms=None, p95_ms=None, p99_ms=None)
    return figures


def bench_size(kind: str, url: str, size: int, loader: load.Loader, args, cookies: dict) -> dict:
    """Measure every page and the submissions at one size; returns the raw figures."""
    marks = loader.high_water()
    logs = RESULTS / "logs"
    desk = Server(args.desk_app, args.port, url, logs / f"desk-{kind}.log", worker_class=args.worker_class,
                  threads=args.threads, application_name="bench-desk")
    bare = Server("bench.lib.bare_app:app", args.port + 1, url, logs / f"bare-{kind}.log",
                  worker_class=args.worker_class, threads=args.threads, application_name="bench-bare")
    figures: dict = {}
    opts = {"seconds": args.seconds, "warmup": args.warmup, "connections": args.connections}
    payloads = textgen.submission_payloads(loader.mailbox_codes)
    submit_bodies = [json.dumps(p, ensure_ascii=False) for p in payloads]
    _departments, mailboxes, _hash, _codes = load.lookups(loader.app)
    mailbox_ids = list(mailboxes.values())
    bare_bodies = [json.dumps(dict(p, mailbox_id=mailbox_ids[i % len(mailbox_ids)][0],
                                   department_id=mailbox_ids[i % len(mailbox_ids)][1]), ensure_ascii=False)
                   for i, p in enumerate(payloads)]
    try:
        desk.start()
        bare.start()
        if not cookies:
            cookies["staff"] = sign_in(desk.base, load.STAFF_EMAIL)
            cookies["admin"] = sign_in(desk.base, load.ADMIN_EMAIL)
        for path, who, marker in PAGES.values():
            check_page(desk.base, path, cookies.get(who) if who else None, marker)
        check_page(bare.base, "/letters", None, "来信列表")
        check_post(desk.base + "/api/v1/letters", submit_bodies[0], 201)
        check_post(bare.base + "/letters", bare_bodies[0], 201)

        get = wrk.script(200)
        json_headers = {"Content-Type": "application/json"}
        bare_page = ("bare_page", bare, "/letters", get, None)
        bare_insert = ("bare_insert", bare, "/letters", wrk.script(201, "POST", bare_bodies, json_headers), None)
        max_id = lambda: int(loader.scalar("SELECT coalesce(max(id), 0) FROM letters"))  # noqa: E731
        # Every desk run sits between two bare runs (the machine may be shared: drift cancels out).
        runs = [bare_page]
        for name, (path, who, _m) in PAGES.items():
            cookie = cookies.get(who) if who else None
            runs += [(name, desk, path, get, {"Cookie": f"session={cookie}"} if cookie else None), bare_page]
        runs += [bare_insert, ("submit", desk, "/api/v1/letters",
                               wrk.script(201, "POST", submit_bodies, json_headers), None), bare_insert]
        for name, server, path, lua, headers in runs:
            desk.drain()
            bare.drain()
            result = measure(server.base + path, lua, server, headers=headers,
                             rows=max_id if name in ("bare_insert", "submit") else None, **opts)
            result["loadavg_1m"] = round(os.getloadavg()[0], 2)
            figures.setdefault(name, []).append(result)
            log(f"    {kind:8} {size:>9,} {name:12} {result['rps']:8.1f} rps  p50 {result['p50_ms']} ms  "
                f"p95 {result['p95_ms']} ms  cpu {result['cpu_ms']} ms/req  load {result['loadavg_1m']}")
    finally:
        desk.stop()
        bare.stop()
        removed = loader.remove_above(marks)
        log(f"  removed {removed:,} letters added by the measurements")
    return figures


# -- the table ----------------------------------------------------------------------------------------------

def _mean(*values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def build_rows(results: list[dict]) -> list[dict]:
    rows = []
    by_db: dict[str, list[dict]] = {}
    for result in results:
        by_db.setdefault(result["db"], []).append(result)
    for kind, entries in by_db.items():
        entries.sort(key=lambda r: r["size"])
        smallest = entries[0]["figures"]
        for entry in entries:
            f = entry["figures"]
            for i, page in enumerate(PAGES):
                desk = f[page][0]
                bare_page = _mean(f["bare_page"][i]["rps"], f["bare_page"][i + 1]["rps"])
                bare_cpu = _mean(f["bare_page"][i]["cpu_ms"], f["bare_page"][i + 1]["cpu_ms"])
                ratio = desk["rps"] / bare_page
                base_p95 = smallest[page][0]["p95_ms"]
                flat = desk["p95_ms"] is not None and base_p95 is not None and \
                    desk["p95_ms"] <= base_p95 * FLAT_FACTOR + FLAT_SLACK_MS
                rows.append({"page": page, "size": entry["size"], "db": kind, "rps": desk["rps"],
                             "p50": desk["p50_ms"], "p95": desk["p95_ms"], "bare_rps": bare_page,
                             "ratio": ratio,
                             "p95_vs_smallest": desk["p95_ms"] / base_p95 if base_p95 and desk["p95_ms"] else None,
                             "cpu_ms": desk["cpu_ms"], "bare_cpu_ms": bare_cpu,
                             "cpu_ratio": bare_cpu / desk["cpu_ms"] if desk["cpu_ms"] and bare_cpu else None,
                             "target": f"≥{PAGE_TARGET}×, p95≤{FLAT_FACTOR}×",
                             "pass": ratio >= PAGE_TARGET and flat, "errors": desk["errors"]})
            desk = f["submit"][0]
            bare_insert = _mean(*(r["rps"] for r in f["bare_insert"]))
            bare_cpu = _mean(*(r["cpu_ms"] for r in f["bare_insert"]))
            ratio = desk["rps"] / bare_insert
            rows.append({"page": "submit", "size": entry["size"], "db": kind, "rps": desk["rps"],
                         "p50": desk["p50_ms"], "p95": desk["p95_ms"], "bare_rps": bare_insert,
                         "ratio": ratio, "p95_vs_smallest": None, "target": f"≥{SUBMIT_TARGET}×",
                         "cpu_ms": desk["cpu_ms"], "bare_cpu_ms": bare_cpu,
                         "cpu_ratio": bare_cpu / desk["cpu_ms"] if desk["cpu_ms"] and bare_cpu else None,
                         "pass": ratio >= SUBMIT_TARGET, "errors": desk["errors"]})
    return rows


def _num(value, width: int) -> str:
    return f"{value:{width}.2f}" if value is not None else " " * (width - 1) + "—"


def print_table(rows: list[dict]) -> None:
    header = (f"{'page':7} {'size':>9} {'db':8} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'bare rps':>9} "
              f"{'ratio':>6} {'p95/min':>7} {'cpu ms':>7} {'bare cpu':>8} {'cpu ratio':>9} {'target':>16}  result")
    print(header)
    print("-" * len(header))
    for r in sorted(rows, key=lambda r: (list(PAGES).index(r["page"]) if r["page"] in PAGES else 9, r["db"],
                                         r["size"])):
        flat = "" if r["p95_vs_smallest"] is None else f"{r['p95_vs_smallest']:.2f}"
        err = f"  ({r['errors']} errors)" if r["errors"] else ""
        print(f"{r['page']:7} {r['size']:>9,} {r['db']:8} {r['rps']:8.1f} {_num(r['p50'], 8)} {_num(r['p95'], 8)} "
              f"{r['bare_rps']:9.1f} {r['ratio']:6.2f} {flat:>7} {_num(r['cpu_ms'], 7)} {_num(r['bare_cpu_ms'], 8)} "
              f"{_num(r['cpu_ratio'], 9)} {r['target']:>16}  "
              f"{'PASS' if r['pass'] else 'FAIL'}{err}")


# -- main ---------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="letters, ascending, multiples of 1000")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measurement")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up before each measurement")
    parser.add_argument("--connections", type=int, default=4,
                        help="wrk connections; 2 sync workers serve 2 at a time, more only add queueing")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--desk-app", default="wsgi:app", help="the desk's WSGI app (default: the real one)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1,000 and 5,000 letters, 2 s runs")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the benchmark databases from an earlier run and only add letters")
    parser.add_argument("--pg-database", default="interaction_bench")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the desk's port; the bare app uses the next")
    parser.add_argument("--sqlite-path", default="/tmp/interaction-bench/mailbox.db")
    parser.add_argument("--sqlite-from-pg", default=None, metavar="DATABASE",
                        help="fill SQLite by copying the same generated letters from this PostgreSQL database "
                             "of an earlier run (faster than generating them again)")
    parser.add_argument("--report", nargs="+", metavar="JSON", help="only print the table of earlier results")
    parser.add_argument("--out", default=None, help="results file (default bench/results/mailbox-<time>.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.seconds, args.warmup = "1000,5000", 3, 2
    args.size_list = sorted(int(s) for s in args.sizes.split(","))
    if any(s % textgen.CHUNK for s in args.size_list):
        parser.error(f"sizes must be multiples of {textgen.CHUNK}")
    return args


def _terminate(_signum, _frame):
    raise KeyboardInterrupt  # SIGTERM: stop the servers (finally blocks) like Ctrl-C does


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args = parse_args(argv)
    if args.report:
        merged = {}  # a later file's (database, size) replaces an earlier one's
        for path in args.report:
            for result in json.loads(Path(path).read_text())["results"]:
                merged[(result["db"], result["size"])] = result
        print_table(build_rows(list(merged.values())))
        return 0
    kinds = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    out = Path(args.out) if args.out else RESULTS / f"mailbox-{datetime.now():%Y%m%d-%H%M%S}.json"
    report = {"started": now.isoformat(), "cpus": os.cpu_count(),
              "args": {k: v for k, v in vars(args).items() if k != "size_list"},
              "server": f"gunicorn --workers 2 --worker-class {args.worker_class}", "results": [], "data": []}
    for kind in kinds:
        target = args.pg_database if kind == "postgres" else args.sqlite_path
        url = load.sqlalchemy_url(kind, target)
        fresh = not (args.reuse and load.database_exists(kind, target))
        if fresh:
            log(f"{kind}: new database {target}")
            load.recreate_database(kind, target)
        app = load.make_app(url)
        if fresh:
            load.create_schema_and_seed(app)
        loader = load.Loader(kind, target, app, now, log=log, copy_from_pg=args.sqlite_from_pg)
        cookies: dict = {}
        for size in args.size_list:
            if loader.count() > size:
                log(f"{kind}: the database holds more than {size:,} letters (--reuse): size skipped")
                continue
            load_seconds = loader.load(size)
            data = load.describe(loader)
            data.update(db=kind, size=size, load_seconds=round(load_seconds, 1))
            report["data"].append(data)
            log(f"{kind} {size:,} letters: {data}")
            figures = bench_size(kind, url, size, loader, args, cookies)
            report["results"].append({"db": kind, "size": size, "figures": figures})
            report["rows"] = build_rows(report["results"])
            load.dump_json(out, report)
        app = None
    rows = build_rows(report["results"])
    report["rows"] = rows
    report["seconds"] = round(time.perf_counter() - started)
    load.dump_json(out, report)
    print()
    print(f"gunicorn --workers 2 --worker-class {args.worker_class}; wrk -t1 -c{args.connections}, "
          f"{args.warmup:g} s warm-up + {args.seconds:g} s; bare = mean of the two bare runs bracketing each desk run")
    print("ratio = desk rps / bare rps (verdict); cpu ms = CPU of the workers and their PostgreSQL backends per "
          "request; cpu ratio = bare cpu / desk cpu (steady on a shared machine)")
    print_table(rows)
    print(f"\nresults: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
