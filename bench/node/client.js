// One load-generating process of bench/interviews.py: many socket.io viewers, each on its own WebSocket.
//
//   node client.js <config.json>
//
// config: {"urls": [...], "first": 0, "step": 4, "total": 5000, "namespace": "/interviews",
//          "interview": 1, "max_seq": 120, "out": "/tmp/x.json", "concurrency": 50, "lifetime_s": 900}
// Viewer g (g = first, first+step, ... < total) connects to urls[g % urls.length] over WebSocket only,
// emits `join {"interview"}` and records the receive time (epoch ms, sub-ms) of every `entry` by seq.
// stdout: "READY <joined> <failed>" once every viewer is joined or failed; "COMPLETE" once every
// joined viewer holds entries 1..n after stdin said "EXPECT <n>". The dump has every viewer's receive
// times and, per seq, the `at` the entry carried (server-side time: the desk's commit, the reference's emit). stdin "DUMP" writes the results to
// config.out and exits. The process ends by itself after lifetime_s whatever happens.
"use strict";

const fs = require("fs");
const readline = require("readline");
const { performance } = require("perf_hooks");
const { io } = require("socket.io-client");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const now = () => performance.timeOrigin + performance.now();
const maxSeq = config.max_seq;
const indices = [];
for (let g = config.first; g < config.total; g += config.step) indices.push(g);

const viewers = indices.map((g) => ({ g, socket: null, joined: false, failed: false, down: false,
  times: new Float64Array(maxSeq + 1), got: 0, t0: 0, connectMs: 0, joinMs: 0 }));
const stats = { joined: 0, failed: 0, disconnects: 0, dup: 0, out_of_order: 0, beyond: 0, frame_bytes: 0,
  errors: [], connect_ms: 0, ws_extensions: null };
const frameBySeq = {}; // bytes of each entry frame (engine.io payload, before any WebSocket compression)
const atBySeq = {}; // the server-side time each entry carries (`at`), kept once per seq
let expect = 0;
let completeSent = false;
let readySent = false;
let next = 0;
let inFlight = 0;
const started = now();

function note(err) {
  if (stats.errors.length < 10) stats.errors.push(String(err));
}

function settle(v, ok, err) {
  if (v.joined || v.failed) return;
  inFlight -= 1;
  if (ok) { v.joined = true; stats.joined += 1; v.joinMs = now() - v.t0; } else { v.failed = true; stats.failed += 1; note(err); }
  pump();
}

function checkComplete() {
  if (!expect || completeSent) return;
  for (const v of viewers) if (v.joined && !v.down && v.got < expect) return;
  completeSent = true;
  process.stdout.write("COMPLETE\n");
}

function start(v) {
  inFlight += 1;
  v.t0 = now();
  const url = config.urls[v.g % config.urls.length] + config.namespace;
  // Like a browser, the client offers permessage-deflate unless the config says "deflate": false.
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 30000,
    perMessageDeflate: config.deflate === false ? false : { threshold: 1024 } });
  v.socket = socket;
  if (v.g === config.first) {
    socket.io.on("open", () => {
      const transport = socket.io.engine.transport;
      if (transport && transport.ws) stats.ws_extensions = String(transport.ws.extensions || "");
      socket.io.engine.on("packet", (p) => {
        if (p.type === "message" && typeof p.data === "string" && p.data.includes('"entry"')) {
          const m = /"seq":(\d+)/.exec(p.data);
          if (m) frameBySeq[m[1]] = Buffer.byteLength(p.data, "utf8") + 1; // + the engine.io packet type
        }
      });
    });
  }
  const timer = setTimeout(() => settle(v, false, "join timeout"), 60000);
  socket.on("connect", () => {
    v.connectMs = now() - v.t0;
    socket.emit("join", { interview: config.interview }, (ack) => {
      clearTimeout(timer);
      settle(v, ack && ack.ok, `join refused ${JSON.stringify(ack)}`);
    });
  });
  socket.on("connect_error", (err) => { clearTimeout(timer); settle(v, false, `connect_error ${err.message}`); });
  socket.on("disconnect", (reason) => {
    if (v.joined && !v.down) { v.down = true; stats.disconnects += 1; note(`disconnect ${reason}`); }
    clearTimeout(timer);
    settle(v, false, `disconnect before join ${reason}`);
  });
  socket.on("entry", (entry) => {
    const t = now();
    const seq = entry && entry.seq;
    if (!Number.isInteger(seq) || seq < 1 || seq > maxSeq) { stats.beyond += 1; return; }
    if (v.times[seq]) { stats.dup += 1; return; }
    for (let s = seq + 1; s <= maxSeq && s <= seq + 3; s++) if (v.times[s]) { stats.out_of_order += 1; break; }
    v.times[seq] = t;
    v.got += 1;
    if (!(seq in atBySeq) && typeof entry.at === "string") atBySeq[seq] = entry.at;
    if (expect && v.got >= expect) checkComplete();
  });
}

function pump() {
  while (inFlight < config.concurrency && next < viewers.length) start(viewers[next++]);
  if (!readySent && next >= viewers.length && inFlight === 0) {
    readySent = true;
    stats.connect_ms = now() - started;
    process.stdout.write(`READY ${stats.joined} ${stats.failed}\n`);
  }
}

function dump() {
  const sizes = Object.values(frameBySeq);
  stats.frame_bytes = sizes.length ? Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) : 0;
  // Per joined viewer: ms from the start of its connection to the socket.io connect, and to the join's ack.
  const joins = viewers.filter((v) => v.joined).map((v) => [Math.round(v.connectMs * 10) / 10,
    Math.round(v.joinMs * 10) / 10]);
  const out = { first: config.first, viewers: viewers.length, ...stats, at: atBySeq, joins,
    times: viewers.map((v) => (v.joined ? Array.from(v.times.subarray(1), (t) => Math.round(t * 100) / 100) : null)) };
  fs.writeFileSync(config.out, JSON.stringify(out));
  for (const v of viewers) if (v.socket) v.socket.disconnect();
  process.stdout.write("DUMPED\n");
  setTimeout(() => process.exit(0), 200);
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, value] = line.trim().split(/\s+/);
  if (cmd === "EXPECT") { expect = Number(value); checkComplete(); }
  else if (cmd === "DUMP") dump();
});
process.stdin.on("end", () => dump());
setTimeout(() => { note("lifetime over"); dump(); }, (config.lifetime_s || 900) * 1000);
pump();
