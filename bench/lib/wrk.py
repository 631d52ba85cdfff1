"""Run wrk with a Lua script that counts unexpected statuses and prints p50/p95/p99 as JSON."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = r"""
local expected = %(expected)d
local bodies = { %(bodies)s }
local n = #bodies
local i = 0
bad = 0
local threads = {}
%(method)s
function setup(thread) table.insert(threads, thread) end
if n > 0 then
  request = function()
    i = i %% n + 1
    return wrk.format(nil, nil, nil, bodies[i])
  end
end
function response(status, headers, body)
  if status ~= expected then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "mean": %%.1f, ' ..
    '"max": %%d, "unexpected_status": %%d, "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, ' ..
    '"status": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max, b, e.connect, e.read, e.write, e.timeout, e.status))
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    raw: dict

    def as_dict(self) -> dict:
        return {"rps": round(self.rps, 1), "p50_ms": round(self.p50_ms, 2), "p95_ms": round(self.p95_ms, 2),
                "p99_ms": round(self.p99_ms, 2), "requests": self.requests, "errors": self.errors}


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def script(expected: int, method: str = "GET", bodies: list[str] | None = None, headers: dict | None = None) -> str:
    lines = [f'wrk.method = "{method}"']
    for key, value in (headers or {}).items():
        lines.append(f'wrk.headers["{key}"] = {_lua_string(value)}')
    return LUA % {"expected": expected, "bodies": ", ".join(_lua_string(b) for b in (bodies or [])),
                  "method": "\n".join(lines)}


def run(url: str, *, seconds: float, connections: int, lua: str, headers: dict | None = None,
        threads: int = 1) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua)
        path = handle.name
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, int(round(seconds)))}s",
           "--timeout", "30s", "-s", path]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    cmd.append(url)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    finally:
        Path(path).unlink(missing_ok=True)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    data = json.loads(line[len("WRKJSON "):])
    rps = data["requests"] / (data["duration_us"] / 1e6)
    errors = data["unexpected_status"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    return Result(rps, data["p50"] / 1000, data["p95"] / 1000, data["p99"] / 1000, data["requests"], errors, data)


LIST_LUA = r"""
local expected = %(expected)d
local specs = { %(specs)s }
local reqs = {}
local i = 0
bad = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  for _, s in ipairs(specs) do table.insert(reqs, wrk.format("GET", s[1], s[2])) end
end
request = function()
  i = i %% #reqs + 1
  return reqs[i]
end
""" + LUA[LUA.index("function response"):]


def script_paths(expected: int, requests: list[tuple[str, dict]]) -> str:
    """A script that sends GET requests in turn: (path, headers) each, e.g. different sessions' cookies."""
    specs = []
    for path, headers in requests:
        pairs = ", ".join(f'[ {_lua_string(k)} ] = {_lua_string(v)}' for k, v in headers.items())
        specs.append(f"{{ {_lua_string(path)}, {{ {pairs} }} }}")
    return LIST_LUA % {"expected": expected, "specs": ",\n".join(specs)}
