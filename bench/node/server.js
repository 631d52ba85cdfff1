// Minimal socket.io broadcast server: the reference the desk is measured against (bench/interviews.py).
//
//   node server.js --port 7101 [--redis redis://127.0.0.1:6399 --channel bench-xyz]
//
// Namespace /interviews, like the desk. A client emits `join {"interview": id}` and is acknowledged
// {"ok": true}; it then receives `entry` events. The driver POSTs /broadcast with
// {"room", "event", "payload"}; the server emits the payload to the room (through
// @socket.io/redis-adapter when --redis is given, so two processes share rooms like the desk's)
// and answers {"ok": true} once the emit was handed over. The payload's `at` is set to the emit time
// (the desk's entries carry their commit time there), so latency is measured the same way for both. GET /health answers "ok".
"use strict";

const http = require("http");
const { performance } = require("perf_hooks");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg("port", "7101"));
const redisUrl = arg("redis", "");
const channel = arg("channel", "socket.io");
const MAX_BODY = 64 * 1024;

// Epoch ms (fractional) as the desk's ISO 8601: Asia/Shanghai offset, microseconds.
function shanghaiIso(ms) {
  const whole = Math.floor(ms);
  const micros = String(Math.floor((ms - whole) * 1000)).padStart(3, "0");
  return new Date(whole + 8 * 3600 * 1000).toISOString().replace("Z", `${micros}+08:00`);
}

const httpServer = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
    return;
  }
  if (req.method === "POST" && req.url === "/broadcast") {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch (err) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end('{"ok":false}');
        return;
      }
      const payload = body.payload && typeof body.payload === "object" ? body.payload : {};
      payload.at = shanghaiIso(performance.timeOrigin + performance.now()); // the emit time, like the desk's `at`
      io.of("/interviews").to(String(body.room)).emit(String(body.event || "entry"), payload);
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(httpServer, { transports: ["websocket", "polling"], serveClient: false });

io.of("/interviews").on("connection", (socket) => {
  socket.on("join", (data, ack) => {
    const ok = data && Number.isInteger(data.interview);
    if (ok) socket.join(`interview:${data.interview}`);
    if (typeof ack === "function") ack(ok ? { ok: true, interview: data.interview } : { ok: false });
  });
});

async function main() {
  if (redisUrl) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub, { key: channel }));
  }
  httpServer.listen({ port, host: "127.0.0.1", backlog: 4096 }, () => {
    process.stdout.write(`LISTENING ${port}\n`);
  });
}

process.on("SIGTERM", () => process.exit(0));
main().catch((err) => {
  process.stderr.write(`server failed: ${err && err.stack}\n`);
  process.exit(1);
});
