"""Live interview broadcast benchmark: the desk against a minimal Node socket.io server, same scenario.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/interviews.py --quick                      # 200 viewers, 10 s: smoke run
    .venv/bin/python bench/interviews.py --sizes 500,2000,5000 --seconds 60

For each size and each target, viewers (socket.io-client over WebSocket only, spread over
``--clients`` Node processes, half of them on each server process) join one live interview; a
driver approves one pre-submitted question and posts one answer per second (half a second apart,
so two broadcasts a second) for ``--seconds``; then every receive time is collected.

Targets:
``desk``   two gunicorn processes of the real app (one gevent worker each, see bench/lib/gunicorn_desk.py),
           one fresh PostgreSQL database, rooms shared through Redis; the driver calls the REST API
           (``POST /api/v1/interviews/questions/<id>/approve`` on process 1,
           ``POST /api/v1/interviews/<id>/answers`` on process 2) with bearer tokens.
``node``   bench/node/server.js, two processes sharing rooms through @socket.io/redis-adapter: the
           reference the targets compare against. The driver POSTs the same entry payloads.
``node1``  the same server, one process, no Redis (the issue's one-process reference figure).

Latency of a delivery = viewer receive time − the server-side time the entry carries in ``at``: for the
desk the moment the transcript entry was made (just before its commit), for the reference the moment
it emitted (bench/node/server.js stamps it). Not the driver's acknowledgement: the desk answers the
HTTP request only after its process handed the broadcast over, often after viewers had it (negative
latencies). Also reported (p99snd): latency from the moment the driver sent the request, which adds the
desk's request and database work. Every process runs on this machine and reads the same clock;
the load average before and after each scenario is recorded (other jobs on the machine skew latency).

Server CPU = utime+stime of the server processes (gunicorn master+worker, or node) from the first
action until every viewer had everything (or the drain timeout), divided by the deliveries.
Memory = server RSS with every viewer joined minus RSS before, per viewer (before: after a warm-up in which two
viewers per process join another interview, get one question and its answer, and leave);
``KB/left`` the same once every viewer left (``--left-wait`` seconds later); with ``--again N``, N more crowds
as large then join, stay ``--idle`` seconds (as the first stayed idle before its broadcasts: a crowd the
server's monitor never saw whole would be measured, not a crowd that watched) and leave, one after the other,
and ``KB/again`` is the last one's RSS after it left minus the RSS before it came. As deployed
(deploy/gunicorn.conf.py), a desk worker that a crowd of 1,000 or more left with no socket open is replaced
by a fresh one (``replaced``: how many were by the time ``KB/left`` was read); ``--keep-workers`` keeps them,
to measure what the same process keeps.
Redis is a private ``redis-server`` started for the run (its CPU is reported separately) unless
``--redis-url`` is given. Results: a table per size on stdout, JSON in bench/results/.
"""

import argparse
import contextlib
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lib.texts import answer_text, question_text  # noqa: E402

NODE_DIR = ROOT / "bench" / "node"
RESULTS = ROOT / "bench" / "results"
VENV_BIN = ROOT / ".venv" / "bin"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
TARGETS = ("desk", "node", "node1", "desk-nodeflate")
#: The verdict's bounds against Node in the same run (issue 19): p99 and CPU a delivery at every size, and the time
#: to join every viewer at the sizes of :data:`JOIN_SIZES`.
P99_RATIO = CPU_RATIO = 1.0
JOIN_RATIO = 1.5
JOIN_SIZES = (5000, 10000)


# -- processes -----------------------------------------------------------------------------------------------------

class Procs:
    """Every process this run starts, each in its own session; stopped by id, group by group, at the end."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd, *, log_path: Path, env=None, cwd=ROOT, stdin=None, stdout=None) -> subprocess.Popen:
        log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=stdout or log, stderr=log,
                                start_new_session=True)
        proc._bench_log = log
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 10.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        proc._bench_log.close()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.procs)):
            self.stop(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo and len(pids) < 64:
        p = todo.pop()
        pids.append(p)
        todo.extend(children(p))
    return pids


def cpu_times(pids) -> tuple[float, float]:
    """(user, system) CPU seconds of *pids*."""
    user = system = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11]) / CLK_TCK
            system += int(fields[12]) / CLK_TCK
        except OSError:
            pass
    return user, system


def cpu_seconds(pids) -> float:
    return sum(cpu_times(pids))


def rss_kb(pids) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total


def wait_http(port: int, path: str, deadline_s: float, proc: subprocess.Popen) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not answer {path} within {deadline_s:.0f} s")


# -- the environment -----------------------------------------------------------------------------------------------

def ensure_node_modules() -> None:
    if (NODE_DIR / "node_modules" / "socket.io").is_dir() and (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        return
    cmd = ["npm", "ci"] if (NODE_DIR / "package-lock.json").exists() else ["npm", "install"]
    print(f"installing the Node reference's packages: {' '.join(cmd)} in bench/node", flush=True)
    subprocess.run([*cmd, "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=600)


def psql(*args, check=True):
    return subprocess.run([args[0], "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], *args[1:]],
                          check=check, capture_output=True, text=True, timeout=120)


class Redis:
    def __init__(self, procs: Procs, run_dir: Path, url: str | None):
        self.proc = None
        if url:
            self.url = url
            return
        if not shutil.which("redis-server"):
            raise SystemExit("no redis-server to start a private one: pass --redis-url redis://127.0.0.1:6379/0")
        port = free_port()
        self.proc = procs.start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--daemonize", "no"], log_path=run_dir / "redis.log")
        self.url = f"redis://127.0.0.1:{port}/0"
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def cpu(self) -> float:
        return cpu_seconds([self.proc.pid]) if self.proc else 0.0


# -- load clients --------------------------------------------------------------------------------------------------

class Clients:
    """``--clients`` Node processes running bench/node/client.js, talking over stdin/stdout lines."""

    def __init__(self, procs: Procs, run_dir: Path, name: str, urls, total: int, nprocs: int, interview: int,
                 max_seq: int, deflate: bool = True):
        self.procs, self.lines, self.list, self.outs = procs, queue.Queue(), [], []
        nprocs = max(1, min(nprocs, total))
        for i in range(nprocs):
            out = run_dir / f"{name}-client{i}.json"
            config = {"urls": urls, "first": i, "step": nprocs, "total": total, "namespace": "/interviews",
                      "interview": interview, "max_seq": max_seq, "out": str(out), "concurrency": 40,
                      "lifetime_s": 1800, "deflate": deflate}
            cfg = run_dir / f"{name}-client{i}.config.json"
            cfg.write_text(json.dumps(config))
            proc = procs.start(["node", "--max-old-space-size=2048", str(NODE_DIR / "client.js"), str(cfg)],
                               log_path=run_dir / f"{name}-client{i}.log", stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE)
            threading.Thread(target=self._read, args=(i, proc), daemon=True).start()
            self.list.append(proc)
            self.outs.append(out)

    def _read(self, i, proc):
        for raw in proc.stdout:
            self.lines.put((i, raw.decode(errors="replace").strip()))
        self.lines.put((i, "EOF"))

    def wait_all(self, word: str, timeout: float) -> dict[int, str]:
        got, end = {}, time.monotonic() + timeout
        while len(got) < len(self.list) and time.monotonic() < end:
            try:
                i, line = self.lines.get(timeout=max(0.01, min(1.0, end - time.monotonic())))
            except queue.Empty:
                continue
            if line.startswith(word) or line == "EOF":
                got.setdefault(i, line)
        return got

    def send(self, line: str) -> None:
        for proc in self.list:
            with contextlib.suppress(BrokenPipeError, OSError):
                proc.stdin.write(f"{line}\n".encode())
                proc.stdin.flush()

    def collect(self) -> list[dict]:
        self.send("DUMP")
        self.wait_all("DUMPED", 120)
        for proc in self.list:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
            self.procs.stop(proc)
        return [json.loads(out.read_text()) for out in self.outs if out.exists()]

    def stop(self) -> None:
        for proc in self.list:
            self.procs.stop(proc)


# -- servers -------------------------------------------------------------------------------------------------------

class DeskServers:
    def __init__(self, procs, run_dir, db_url, redis_url, workarounds, tag, heap_dir=None, allocator="jemalloc",
                 keep_workers=False):
        self.procs, self.ports, self.list = procs, [free_port(), free_port()], []
        env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "INTERACTION_SECRET_KEY": "bench-" + tag,
               "BENCH_WORKAROUNDS": ",".join(workarounds), "PYTHONUNBUFFERED": "1", "ALLOCATOR": allocator}
        if keep_workers:
            env["REPLACE_WORKER_AFTER"] = "0"
        if heap_dir is not None:
            env["BENCH_HEAP_DIR"] = str(heap_dir)
        # Every viewer comes from 127.0.0.1: the live room's limit of new connections per address
        # (INTERVIEWS_CONNECT_RATE, 20 a second after a burst of 200) would pace the joins measured here.
        env["INTERACTION_CONNECT_RATE"] = "0"
        env.pop("INTERACTION_DEBUG", None)
        for n, port in enumerate(self.ports):
            # The memory allocator as deploy/gunicorn.sh chooses it (deploy/allocator.sh; --allocator).
            self.list.append(procs.start(["bash", "-c", 'source deploy/allocator.sh && exec "$@"', "desk",
                                          str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "bench/lib/gunicorn_desk.py"),
                                          "-b", f"127.0.0.1:{port}", "wsgi:app"],
                                         log_path=run_dir / f"desk-{tag}-server{n}.log", env=env))

    def wait(self, path):
        for port, proc in zip(self.ports, self.list):
            wait_http(port, path, 90, proc)

    def pids(self):
        return [pid for proc in self.list for pid in tree(proc.pid)]

    def workers(self):
        return [pid for proc in self.list for pid in children(proc.pid)]

    def stop(self):
        for proc in self.list:
            self.procs.stop(proc)


class NodeServers(DeskServers):
    def __init__(self, procs, run_dir, redis_url, count, tag):
        self.procs, self.ports, self.list = procs, [free_port() for _ in range(count)], []
        for n, port in enumerate(self.ports):
            cmd = ["node", str(NODE_DIR / "server.js"), "--port", str(port)]
            if count > 1:
                cmd += ["--redis", redis_url, "--channel", f"bench-{tag}"]
            self.list.append(procs.start(cmd, log_path=run_dir / f"node-{tag}-server{n}.log"))


# -- the driver ----------------------------------------------------------------------------------------------------

class Http:
    def __init__(self, port):
        self.port, self.conn = port, None

    def post(self, path, body, headers):
        data = json.dumps(body, ensure_ascii=False).encode()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json", **headers})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = None
                # Only a kept-alive connection the server had closed meanwhile is retried (nothing was done).
                stale = isinstance(exc, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError)
                if attempt == 2 or not stale:
                    raise
        raise AssertionError("unreachable")


def at_now() -> str:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds")


def drive(target: str, seconds: int, ports, seed: dict | None, interview: int) -> list[dict]:
    """Two actions a second, half a second apart; returns per seq {seq, ok, send, ack, status}."""
    https = [Http(p) for p in ports]
    actions = []
    t0 = time.time() + 0.2
    for k in range(seconds):
        for half in (0, 1):
            seq = 2 * k + 1 + half
            wait = t0 + k + 0.5 * half - time.time()
            if wait > 0:
                time.sleep(wait)
            conn = https[half % len(https)]
            send = time.time()
            record = {"seq": seq, "send": send * 1000}
            try:
                if target.startswith("desk"):
                    qid = seed["questions"][k]
                    if half == 0:
                        status, raw = conn.post(f"/api/v1/interviews/questions/{qid}/approve", {},
                                                {"Authorization": f"Bearer {seed['moderator_token']}"})
                        ok = status == 200
                    else:
                        status, raw = conn.post(f"/api/v1/interviews/{interview}/answers",
                                                {"question": qid, "body": answer_text(k)},
                                                {"Authorization": f"Bearer {seed['guest_token']}"})
                        ok = status == 201 and json.loads(raw).get("seq") == seq
                else:
                    payload = {"interview": interview, "seq": seq, "kind": "answer" if half else "question",
                               "body": answer_text(k) if half else question_text(k), "at": at_now(),
                               "author": "李明（市发展改革委主任）" if half else "网*1", "question": k + 1}
                    if not half:
                        payload.update(upvotes=0, state="approved")
                    status, raw = conn.post("/broadcast", {"room": f"interview:{interview}", "event": "entry",
                                                           "payload": payload}, {})
                    ok = status == 200
                record.update(ok=ok, status=status, ack=time.time() * 1000)
                if not ok:
                    record["error"] = raw[:300].decode(errors="replace")
            except (OSError, http.client.HTTPException) as exc:
                record.update(ok=False, status=None, ack=time.time() * 1000, error=repr(exc))
            actions.append(record)
    return actions


# -- one scenario --------------------------------------------------------------------------------------------------

def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[i]


def iso_ms(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp() * 1000


def analyse(viewers: int, actions: list[dict], dumps: list[dict]) -> dict:
    """Latency of a delivery: receive time − the entry's ``at`` (the server's commit or emit time).

    Also from the driver's send and from its acknowledgement (a request's response may come after
    the deliveries: the desk answers once its process has handed the broadcast over).
    """
    at = {}
    for dump in dumps:
        for seq, value in dump.get("at", {}).items():
            at.setdefault(int(seq), iso_ms(value))
    ok_seqs = [a["seq"] for a in actions if a["ok"] and a["seq"] in at]
    by_seq = {a["seq"]: a for a in actions}
    lat, lat_send, lat_ack = [], [], []
    last = {s: None for s in ok_seqs}
    delivered = 0
    for dump in dumps:
        for times in dump["times"]:
            if times is None:
                continue
            for seq in ok_seqs:
                t = times[seq - 1]
                if not t:
                    continue
                delivered += 1
                a = by_seq[seq]
                lat.append(t - at[seq])
                lat_send.append(t - a["send"])
                lat_ack.append(t - a["ack"])
                if last[seq] is None or t > last[seq]:
                    last[seq] = t
    last_at = sorted(last[s] - at[s] for s in ok_seqs if last[s] is not None)
    lat.sort()
    lat_send.sort()
    lat_ack.sort()
    expected = viewers * len(actions)
    return {
        "viewers": viewers, "joined": sum(d["joined"] for d in dumps), "join_failed": sum(d["failed"] for d in dumps),
        "broadcasts": len(actions), "broadcasts_failed": len(actions) - len(ok_seqs),
        "commit_to_ack_ms_p50": percentile(sorted(by_seq[s]["ack"] - at[s] for s in ok_seqs), 50),
        "send_to_commit_ms_p50": percentile(sorted(at[s] - by_seq[s]["send"] for s in ok_seqs), 50),
        "expected": expected, "delivered": delivered, "lost": expected - delivered,
        "duplicates": sum(d["dup"] for d in dumps), "out_of_order": sum(d["out_of_order"] for d in dumps),
        "disconnects": sum(d["disconnects"] for d in dumps),
        "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99), "max_ms": lat[-1] if lat else None,
        "min_ms": lat[0] if lat else None,
        "ack_p50_ms": percentile(lat_ack, 50), "ack_p99_ms": percentile(lat_ack, 99),
        "send_p50_ms": percentile(lat_send, 50), "send_p99_ms": percentile(lat_send, 99),
        "send_max_ms": lat_send[-1] if lat_send else None,
        "last_p50_ms": percentile(last_at, 50), "last_max_ms": last_at[-1] if last_at else None,
        "action_ms_p50": percentile(sorted(a["ack"] - a["send"] for a in actions), 50),
        "action_ms_max": max((a["ack"] - a["send"] for a in actions), default=None),
        "frame_bytes": max((d["frame_bytes"] for d in dumps), default=0),
        "ws_extensions": sorted({d.get("ws_extensions") or "" for d in dumps}),
        "client_errors": [e for d in dumps for e in d["errors"]][:10],
        "action_errors": [a.get("error") for a in actions if not a["ok"]][:5],
        "connect_s": max((d["connect_ms"] for d in dumps), default=0) / 1000,
        **join_figures(dumps),
        # per action: seq, ms from send to the entry's `at`, ms from send to the acknowledgement
        "actions": [[a["seq"], round(at[a["seq"]] - a["send"], 1) if a["seq"] in at else None,
                     round(a["ack"] - a["send"], 1)] for a in actions],
    }


def join_figures(dumps) -> dict:
    """How long joining took: all viewers (the slowest client process), joins a second, one join's p50/p99.

    One join = from the viewer's connection attempt to the acknowledgement of its ``join`` (the
    handshake, the socket.io connect and the join, as a browser waits for them); ``connect`` alone =
    to the socket.io connect. Each client process keeps ``concurrency`` joins in flight.
    """
    joins = [j for d in dumps for j in d.get("joins", [])]
    connect = sorted(j[0] for j in joins)
    join = sorted(j[1] for j in joins)
    total_s = max((d["connect_ms"] for d in dumps), default=0) / 1000
    return {"join_all_s": total_s, "joins_per_s": len(join) / total_s if total_s else None,
            "join_p50_ms": percentile(join, 50), "join_p99_ms": percentile(join, 99),
            "join_connect_p50_ms": percentile(connect, 50), "join_connect_p99_ms": percentile(connect, 99)}


def run_scenario(target, viewers, args, ctx) -> dict:
    procs, run_dir, redis = ctx["procs"], ctx["run_dir"], ctx["redis"]
    tag = f"{target}-{viewers}"
    wait_quiet(args.wait_quiet)
    load_before = loadavg()
    print(f"\n== {target}: {viewers} viewers, {args.seconds} s (load average {load_before:.1f})", flush=True)
    seed, servers, clients = None, None, None
    try:
        if target.startswith("desk"):
            seed = seed_desk(ctx, tag, args.seconds)
            interview = seed["interview"]
            warm_seed = seed_desk(ctx, tag, 1)  # another interview, for the warm-up's question and answer
            warm_interview = warm_seed["interview"]
            patches = seed["workarounds"] + (["nodeflate"] if target == "desk-nodeflate" else [])
            heap_dir = None
            if args.heap:
                heap_dir = run_dir / f"heap-{tag}"
                heap_dir.mkdir(exist_ok=True)
            servers = DeskServers(procs, run_dir, ctx["db_url"], redis.url, patches, tag, heap_dir, args.allocator,
                                  keep_workers=args.keep_workers or args.heap)  # --heap compares a worker with itself
            servers.wait(f"/api/v1/interviews/{interview}")
        else:
            interview, warm_seed, warm_interview = 1, None, 2
            servers = NodeServers(procs, run_dir, redis.url, 2 if target == "node" else 1, tag)
            servers.wait("/health")
        urls = [f"http://127.0.0.1:{p}" for p in servers.ports]
        max_seq = 2 * args.seconds
        # Warm-up: two viewers per process join another interview, get one approved question and its answer,
        # and leave: what a server that ran before does once (lazy imports, first compiles and allocations of
        # a join and of a broadcast) is not counted in the crowd's memory (KB/conn, KB/left) or time.
        warm = Clients(procs, run_dir, f"{tag}-warmup", urls, 2 * len(urls), 1, warm_interview, 2)
        if not warm.wait_all("READY", 60):
            raise RuntimeError("warm-up viewers did not get ready")
        failed = [a for a in drive(target, 1, servers.ports, warm_seed, warm_interview) if not a["ok"]]
        if failed:
            raise RuntimeError(f"the warm-up's question and answer failed: {failed}")
        warm.send("EXPECT 2")
        warm.wait_all("COMPLETE", 30)
        warm.collect()
        time.sleep(2)
        pids = servers.pids()
        rss_before = rss_kb(pids)
        workers_before = servers.workers()
        heap = HeapProbe(servers, run_dir / f"heap-{tag}") if args.heap and target.startswith("desk") else None
        if heap:
            heap.snapshot()
        join_spies = start_py_spy(args, target, servers, run_dir, tag + "-join") \
            if args.py_spy and args.py_spy_phase == "join" else []
        join_cpu_before = cpu_times(pids)
        clients = Clients(procs, run_dir, tag, urls, viewers, args.clients, interview, max_seq,
                          deflate=args.client_deflate == "on")
        ready = clients.wait_all("READY", 120 + viewers * 0.05)
        if len(ready) < len(clients.list):
            raise RuntimeError(f"only {len(ready)} of {len(clients.list)} client processes got ready")
        # CPU of the joins, the servers' and the viewers' (both share the machine's cores): steadier
        # than the time to join everyone, which moves with whatever else the machine does.
        join_cpu = [after - before for after, before in zip(cpu_times(pids), join_cpu_before)]  # user, system
        join_client_cpu = cpu_seconds([proc.pid for proc in clients.list])
        stop_py_spy(procs, join_spies)
        joined = sum(int(line.split()[1]) for line in ready.values() if line.startswith("READY"))
        print(f"   {joined}/{viewers} viewers joined; settling", flush=True)
        time.sleep(3)
        pids = servers.pids()
        rss_after = rss_kb(pids)
        if heap:
            heap.snapshot()
            print(heap.report(joined), flush=True)
        idle_spies = start_py_spy(args, target, servers, run_dir, tag + "-idle") \
            if args.py_spy and args.py_spy_phase == "idle" else []
        idle_before = cpu_seconds(pids)
        time.sleep(args.idle)  # viewers joined, nothing said: what the servers spend on keeping them
        idle_per_s = (cpu_seconds(pids) - idle_before) / args.idle if args.idle else 0.0
        stop_py_spy(procs, idle_spies)
        spies = start_py_spy(args, target, servers, run_dir, tag) \
            if args.py_spy and args.py_spy_phase == "broadcast" else []
        split_before = cpu_times(pids)
        cpu_before, redis_before, t_start = sum(split_before), redis.cpu(), time.monotonic()
        actions = drive(target, args.seconds, servers.ports, seed, interview)
        drive_s = time.monotonic() - t_start
        clients.send(f"EXPECT {max_seq}")
        complete = clients.wait_all("COMPLETE", args.drain)
        split_after = cpu_times(pids)
        cpu_used, redis_used = sum(split_after) - cpu_before, redis.cpu() - redis_before
        cpu_user, cpu_system = (after - before for after, before in zip(split_after, split_before))
        window = time.monotonic() - t_start
        rss_end = rss_kb(pids)
        stop_py_spy(procs, spies)
        dumps = clients.collect()  # every viewer disconnects (the interview ends)
        clients = None
        time.sleep(args.left_wait)  # the sockets closed; the client monitor's passes (every 5 s) released memory
        rss_left = rss_kb(servers.pids())
        replaced = len(set(servers.workers()) - set(workers_before))
        if heap:
            heap.snapshot()
            print("   after every viewer left, against joined (negative: freed)", flush=True)
            print(heap.report(joined, top=8), flush=True)
        rss_crowds = [rss_left]
        for crowd in range(2, 2 + args.again):  # more crowds as large join and leave: is the memory reused?
            again = Clients(procs, run_dir, f"{tag}-again{crowd}", urls, viewers, args.clients, interview, max_seq,
                            deflate=args.client_deflate == "on")
            again.wait_all("READY", 120 + viewers * 0.05)
            time.sleep(args.idle)
            again.collect()
            time.sleep(args.left_wait)
            rss_crowds.append(rss_kb(servers.pids()))
            print(f"   crowd {crowd} left: RSS {rss_crowds[-1] - rss_crowds[-2]:+d} KB since crowd {crowd - 1} left",
                  flush=True)
            if heap:
                heap.snapshot()
                print(f"   after crowd {crowd} left, against after crowd {crowd - 1} left", flush=True)
                print(heap.report(joined, top=8), flush=True)
        result = analyse(viewers, actions, dumps)
        result.update(target=target, allocator=args.allocator if target.startswith("desk") else None,
                      seconds=args.seconds, window_s=window, drive_s=drive_s,
                      actions_per_s=len(actions) / drive_s, drained=len(complete) == len(dumps),
                      cpu_s=cpu_used, cpu_user_s=cpu_user, cpu_system_s=cpu_system, redis_cpu_s=redis_used,
                      rss_before_kb=rss_before, rss_after_kb=rss_after, workers_replaced=replaced,
                      server_processes=len(servers.list), client_processes=args.clients,
                      workarounds=seed["workarounds"] if seed else [], load_before=load_before, load_after=loadavg())
        deliveries = max(1, result["delivered"])
        result["cpu_us_per_delivery"] = cpu_used / deliveries * 1e6
        result["idle_cpu_per_s"] = idle_per_s
        result["cpu_us_per_delivery_minus_idle"] = max(0.0, cpu_used - idle_per_s * window) / deliveries * 1e6
        result["redis_us_per_broadcast"] = redis_used / max(1, result["broadcasts"]) * 1e6
        result["kb_per_connection"] = (rss_after - rss_before) / max(1, result["joined"])
        result["kb_per_connection_end"] = (rss_end - rss_before) / max(1, result["joined"])  # after the broadcasts
        result["rss_left_kb"] = rss_left  # every viewer gone
        result["kb_per_connection_left"] = (rss_left - rss_before) / max(1, result["joined"])
        if len(rss_crowds) > 1:  # the last crowd's: against the memory before it came (after the one before left)
            result["rss_crowds_left_kb"] = rss_crowds
            result["kb_per_connection_again"] = (rss_crowds[-1] - rss_crowds[-2]) / max(1, result["joined"])
        result["server_errors"] = count_errors(run_dir, tag)
        result["join_cpu_us"] = sum(join_cpu) / max(1, result["joined"]) * 1e6
        result["join_cpu_system_us"] = join_cpu[1] / max(1, result["joined"]) * 1e6
        result["join_client_cpu_us"] = join_client_cpu / max(1, result["joined"]) * 1e6
        print(f"   delivered {result['delivered']}/{result['expected']}, p99 {fmt(result['p99_ms'])} ms, "
              f"{result['cpu_us_per_delivery']:.1f} µs/delivery", flush=True)
        return result
    finally:
        if clients is not None:
            clients.stop()
        if servers is not None:
            servers.stop()


class HeapProbe:
    """``--heap``: tracemalloc snapshots of the desk's workers (bench/lib/gunicorn_desk.py), compared per viewer."""

    def __init__(self, servers, directory: Path):
        self.workers, self.directory, self.taken = servers.workers(), directory, 0

    def snapshot(self) -> None:
        self.taken += 1
        for pid in self.workers:
            os.kill(pid, signal.SIGUSR2)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if all((self.directory / f"{pid}-{self.taken}.done").exists() for pid in self.workers):
                return
            time.sleep(0.5)
        raise RuntimeError("heap snapshots did not arrive")

    def report(self, joined: int, top: int = 25) -> str:
        """What the last snapshot holds more than the one before, per joined viewer: by line, then by traceback."""
        import tracemalloc

        by_line, by_trace, total = {}, {}, 0
        for pid in self.workers:
            before = tracemalloc.Snapshot.load(str(self.directory / f"{pid}-{self.taken - 1}.snap"))
            after = tracemalloc.Snapshot.load(str(self.directory / f"{pid}-{self.taken}.snap"))
            for stat in after.compare_to(before, "lineno"):
                key = str(stat.traceback[0])
                by_line[key] = by_line.get(key, 0) + stat.size_diff
                total += stat.size_diff
            for stat in after.compare_to(before, "traceback"):
                # tracemalloc orders a traceback's frames oldest first: the 8 most recent, the allocation's line first
                key = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback[-8:]))
                by_trace[key] = by_trace.get(key, 0) + stat.size_diff
        per = max(1, joined)
        lines = [f"   heap (tracemalloc) per viewer: {total / per / 1024:.1f} KB in all; by line:"]
        for key, size in sorted(by_line.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"   {size / per:9.0f} B  {key}")
        lines.append("   by traceback (innermost first):")
        for key, size in sorted(by_trace.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"   {size / per:9.0f} B  {key}")
        text = "\n".join(lines)
        (self.directory / "report.txt").write_text(text + "\n")
        return text


def loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_quiet(limit_s: float) -> None:
    """Wait (at most *limit_s*) for the 1-minute load average to fall under the number of CPUs + 1."""
    end, threshold = time.monotonic() + limit_s, (os.cpu_count() or 1) + 1
    while time.monotonic() < end and loadavg() > threshold:
        time.sleep(5)


def start_py_spy(args, target, servers, run_dir, tag) -> list[subprocess.Popen]:
    """Sample the desk's workers during the broadcasts (collapsed stacks, one file per worker)."""
    if not target.startswith("desk"):
        return []
    spies = []
    for n, proc in enumerate(servers.list):
        for pid in children(proc.pid):
            out = run_dir / f"{tag}-worker{n}-{pid}.pyspy.txt"
            spies.append(servers.procs.start([args.py_spy, "record", "-p", str(pid), "-f", "raw", "-o", str(out),
                                              "-r", "200", "--nonblocking", "-d", str(args.seconds + 60)],
                                             log_path=run_dir / f"{tag}-py-spy.log"))
    time.sleep(1)
    return spies


def stop_py_spy(procs, spies) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.wait(30)
        procs.stop(spy)


def count_errors(run_dir: Path, tag: str) -> int:
    n = 0
    for log in run_dir.glob(f"*{tag}-server*.log"):
        text = log.read_text(errors="replace")
        n += text.count("Traceback") + text.count("ERROR")
    return n


def seed_desk(ctx, tag, seconds) -> dict:
    ctx["seeds"] = ctx.get("seeds", 0) + 1
    env = {**os.environ, "DATABASE_URL": ctx["db_url"], "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)
    cmd = [str(VENV_BIN / "python"), str(ROOT / "bench/lib/seed_desk.py"), "--questions", str(seconds),
           "--tag", f"{ctx['stamp'][-6:]}n{ctx['seeds']}"]  # short: department codes have 32 characters
    if not ctx["tables"]:
        cmd.append("--create")
    for attempt in range(3):  # PostgreSQL may be out of connections for a moment (other jobs share it)
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode == 0 or "--create" in cmd:
            break
        time.sleep(10 * (attempt + 1))
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "Error" in line] or done.stderr.splitlines()
        raise RuntimeError(f"seeding failed: {errors[-1:]}")
    ctx["tables"] = True
    seed = json.loads(done.stdout.strip().splitlines()[-1])
    if seed["workarounds"]:
        print(f"   NOTE: the desk needed bench workarounds: {seed['workarounds']} (see bench/lib/workarounds.py)",
              flush=True)
    return seed


# -- report --------------------------------------------------------------------------------------------------------

def fmt(value, digits=0):
    return "-" if value is None else f"{value:.{digits}f}"


COLUMNS = [("target", 14, lambda r: r["target"]), ("viewers", 7, lambda r: str(r["viewers"])),
           ("expected", 8, lambda r: str(r["expected"])), ("delivered", 9, lambda r: str(r["delivered"])),
           ("lost", 6, lambda r: str(r["lost"])), ("p50", 6, lambda r: fmt(r["p50_ms"])),
           ("p99", 6, lambda r: fmt(r["p99_ms"])), ("max", 6, lambda r: fmt(r["max_ms"])),
           ("last50", 6, lambda r: fmt(r["last_p50_ms"])), ("lastmax", 7, lambda r: fmt(r["last_max_ms"])),
           ("p99snd", 6, lambda r: fmt(r["send_p99_ms"])), ("µs/dlv", 6, lambda r: fmt(r["cpu_us_per_delivery"], 1)),
           ("idle%", 5, lambda r: fmt(r.get("idle_cpu_per_s", 0) * 100)),
           ("KB/conn", 7, lambda r: fmt(r["kb_per_connection"], 1)),
           ("KB/end", 6, lambda r: fmt(r.get("kb_per_connection_end"), 1)),
           ("KB/left", 7, lambda r: fmt(r.get("kb_per_connection_left"), 1)),
           ("KB/again", 8, lambda r: fmt(r.get("kb_per_connection_again"), 1)),
           ("replaced", 8, lambda r: str(r.get("workers_replaced", "-"))),
           ("frameB", 6, lambda r: str(r["frame_bytes"])),
           ("join_s", 6, lambda r: fmt(r.get("join_all_s"), 1)), ("join/s", 6, lambda r: fmt(r.get("joins_per_s"))),
           ("j_p99", 6, lambda r: fmt(r.get("join_p99_ms"))),
           ("µs/join", 7, lambda r: fmt(r.get("join_cpu_us"))),
           ("sys", 5, lambda r: fmt(r.get("join_cpu_system_us"))),
           ("client µs/join", 14, lambda r: fmt(r.get("join_client_cpu_us")))]


def table(rows) -> str:
    lines = ["  ".join(name.rjust(width) for name, width, _ in COLUMNS)]
    for row in rows:
        lines.append("  ".join(get(row).rjust(width) for _name, width, get in COLUMNS))
    return "\n".join(lines)


def verdict(desk, node) -> dict:
    checks = {"all_delivered": desk["lost"] == 0 and desk["broadcasts_failed"] == 0}
    if node:
        p99_ratio = desk["p99_ms"] / node["p99_ms"] if desk["p99_ms"] is not None and node["p99_ms"] else None
        cpu_ratio = desk["cpu_us_per_delivery"] / node["cpu_us_per_delivery"] if node["cpu_us_per_delivery"] else None
        checks.update(p99_ratio=p99_ratio, cpu_ratio=cpu_ratio,
                      p99_within=p99_ratio is not None and p99_ratio <= P99_RATIO,
                      cpu_within=cpu_ratio is not None and cpu_ratio <= CPU_RATIO)
        if desk.get("join_all_s") and node.get("join_all_s"):
            checks["join_ratio"] = desk["join_all_s"] / node["join_all_s"]
            if desk["viewers"] in JOIN_SIZES:
                checks["join_within"] = checks["join_ratio"] <= JOIN_RATIO
    checks["pass"] = all(v for k, v in checks.items() if isinstance(v, bool))
    return checks


def report(size, rows) -> dict:
    print(f"\n### {size} viewers (latency in ms from the entry's `at`: the desk's commit, the reference's emit; "
          "last50/lastmax: when the last viewer got a broadcast; p99snd: from the driver's request)")
    print(table(rows))
    by = {r["target"]: r for r in rows}
    out = {}
    if "desk" in by:
        desk, node = by["desk"], by.get("node")
        out = verdict(desk, node)
        parts = [f"delivered 100%: {'PASS' if out['all_delivered'] else 'FAIL'} (lost {desk['lost']})"]
        if node:
            parts.append(f"p99 ×{fmt(out['p99_ratio'], 2)} of node (≤ {P99_RATIO}): "
                         f"{'PASS' if out['p99_within'] else 'FAIL'}")
            parts.append(f"CPU/delivery ×{fmt(out['cpu_ratio'], 2)} of node (≤ {CPU_RATIO}): "
                         f"{'PASS' if out['cpu_within'] else 'FAIL'}")
            if desk.get("join_all_s") and node.get("join_all_s") and node.get("join_cpu_us"):
                judged = f": {'PASS' if out['join_within'] else 'FAIL'}" if "join_within" in out else ""
                parts.append(f"joining ×{out['join_ratio']:.2f} of node's time "
                             f"(≤ {JOIN_RATIO} at {' and '.join(f'{n:,}' for n in JOIN_SIZES)} viewers){judged}, "
                             f"×{desk['join_cpu_us'] / node['join_cpu_us']:.2f} of its CPU")
        print("   " + "; ".join(parts) + f"  => {'PASS' if out['pass'] else 'FAIL'}")
        if "desk-nodeflate" in by and node:
            exp = verdict(by["desk-nodeflate"], node)
            lost = by["desk-nodeflate"]["lost"]
            print(f"   experiment desk-nodeflate: lost {lost}, p99 ×{fmt(exp['p99_ratio'], 2)}, "
                  f"CPU/delivery ×{fmt(exp['cpu_ratio'], 2)} of node")
        for row in rows:
            notes = []
            if row["disconnects"] or row["join_failed"]:
                notes.append(f"{row['disconnects']} disconnects, {row['join_failed']} joins failed")
            if row["duplicates"] or row["out_of_order"]:
                notes.append(f"{row['duplicates']} duplicates, {row['out_of_order']} out of order")
            if row["server_errors"]:
                notes.append(f"{row['server_errors']} errors in the server log")
            if row["load_before"] > (os.cpu_count() or 1) + 1:
                notes.append(f"machine busy (load average {row['load_before']:.1f} → {row['load_after']:.1f}): "
                             "latencies include waiting for a CPU")
            if row.get("actions_per_s", 2) < 1.9:
                notes.append(f"the driver managed {row['actions_per_s']:.2f} actions/s, not 2 (each waits for the "
                             f"previous one's response; median {row['action_ms_p50']:.0f} ms)")
            if row["broadcasts_failed"]:
                notes.append(f"{row['broadcasts_failed']} actions failed: {row['action_errors'][:2]}")
            if notes:
                print(f"   {row['target']}: " + "; ".join(notes))
    return out


# -- main ----------------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description="Live interview broadcast benchmark (desk vs Node socket.io).")
    parser.add_argument("--sizes", default="500,2000,5000", help="viewer counts, comma-separated")
    parser.add_argument("--seconds", type=int, default=60, help="seconds of one approval + one answer per second")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 viewers, 10 s")
    parser.add_argument("--targets", default="desk,node,node1",
                        help="of desk,node,node1,desk-nodeflate (node is the reference)")
    parser.add_argument("--clients", type=int, default=4, help="load-generating Node processes")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measurement before driving")
    parser.add_argument("--drain", type=float, default=20.0, help="seconds to wait for the last deliveries")
    parser.add_argument("--left-wait", type=float, default=12.0,
                        help="seconds after every viewer left before KB/left is read (two monitor passes)")
    parser.add_argument("--again", type=int, default=0, metavar="N",
                        help="then N more crowds as large join, stay --idle seconds and leave, one after the other "
                             "(KB/again: the last one's RSS after it left minus RSS before it came, per viewer)")
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of a private redis-server")
    parser.add_argument("--client-deflate", choices=("on", "off"), default="on",
                        help="viewers offer permessage-deflate like browsers (on) or not (off)")
    parser.add_argument("--wait-quiet", type=float, default=0, help="wait up to this many seconds before each "
                        "scenario for the machine's load average to drop (other jobs skew latency)")
    parser.add_argument("--py-spy", default=None, help="path of a py-spy binary: profile the desk's workers")
    parser.add_argument("--py-spy-phase", choices=("broadcast", "join", "idle"), default="broadcast",
                        help="what --py-spy samples: the broadcasts, the viewers joining, or the idle room")
    parser.add_argument("--allocator", choices=("jemalloc", "pymalloc"), default="jemalloc",
                        help="the desk's memory allocator (deploy/allocator.sh): jemalloc as deployed where it is "
                             "installed, or Python's own")
    parser.add_argument("--keep-workers", action="store_true",
                        help="the desk's workers are not replaced when a crowd has left them (REPLACE_WORKER_AFTER=0): "
                             "KB/left is then what the same processes keep")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--heap", action="store_true", help="tracemalloc in the desk's workers: what each viewer "
                        "holds, by line and traceback (slows the desk: not for timing runs)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.seconds = "200", 10
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    targets = [t for t in args.targets.split(",") if t]
    if not sizes or any(not 1 <= s <= 20_000 for s in sizes) or not 1 <= args.seconds <= 600:
        parser.error("sizes must be 1..20000 and --seconds 1..600")
    if unknown := set(targets) - set(TARGETS):
        parser.error(f"unknown targets {sorted(unknown)}")
    if not 1 <= args.clients <= 16:
        parser.error("--clients must be 1..16")

    ensure_node_modules()
    stamp = time.strftime("%Y%m%d_%H%M%S")
    run_dir = RESULTS / f"interviews-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    procs = Procs()
    db_name = f"interaction_bench_{stamp}"
    ctx = {"procs": procs, "run_dir": run_dir, "stamp": stamp, "tables": False,
           "db_url": f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"}
    results, verdicts = [], {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    try:
        if any(t.startswith("desk") for t in targets):
            psql("createdb", db_name)
        ctx["redis"] = Redis(procs, run_dir, args.redis_url)
        print(f"bench run {stamp}: sizes {sizes}, {args.seconds} s, targets {targets}, Redis {ctx['redis'].url}, "
              f"logs in {run_dir.relative_to(ROOT)}", flush=True)
        for size in sizes:
            rows = []
            for target in targets:
                try:
                    rows.append(run_scenario(target, size, args, ctx))
                except Exception as exc:  # noqa: BLE001 - one failed scenario must not lose the others
                    print(f"   {target} at {size} FAILED: {exc}", flush=True)
            results.extend(rows)
            if rows:
                verdicts[size] = report(size, rows)
            (RESULTS / f"interviews-{stamp}.json").write_text(json.dumps(
                {"stamp": stamp, "sizes": sizes, "seconds": args.seconds, "results": results,
                 "verdicts": verdicts, "machine": {"cpus": os.cpu_count()}}, ensure_ascii=False, indent=1))
    finally:
        procs.stop_all()
        if any(t.startswith("desk") for t in targets) and not args.keep_db:
            psql("dropdb", "--if-exists", db_name, check=False)
    print(f"\nresults: bench/results/interviews-{stamp}.json")
    overall = bool(verdicts) and all(v.get("pass") for v in verdicts.values())
    if verdicts:
        print("overall:", "PASS" if overall else "FAIL")
    return 0 if overall else 1


if __name__ == "__main__":
    sys.exit(main())
