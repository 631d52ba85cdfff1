// The live interview room: joins /interviews over Socket.IO and keeps the page current.
// Without JavaScript every action still works as a plain form POST; with it, the same actions
// go over the socket and the transcript grows live. User text is only ever set as textContent.
(function () {
  "use strict";
  var root = document.getElementById("interview-room");
  if (!root || typeof window.io !== "function") { return; }

  var interviewId = parseInt(root.getAttribute("data-interview"), 10);
  var lastSeq = parseInt(root.getAttribute("data-last-seq"), 10) || 0;
  var moderator = root.getAttribute("data-moderator") === "1";
  var transcript = document.getElementById("transcript");
  var statusLine = document.getElementById("connection-status");
  var viewerCount = document.getElementById("viewer-count");
  var pendingList = document.getElementById("pending-list");
  var waitingList = document.getElementById("waiting-list");
  var labels = {};
  var labelTemplate = document.getElementById("entry-labels");
  if (labelTemplate) {
    labelTemplate.content.querySelectorAll("[data-kind]").forEach(function (span) {
      labels[span.getAttribute("data-kind")] = span.textContent;
    });
  }

  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }
  function say(el, text) { if (el) { el.textContent = text; } }
  function clone(id) {
    var template = document.getElementById(id);
    return template ? template.content.firstElementChild.cloneNode(true) : null;
  }
  function timeOf(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return d.toLocaleTimeString("zh-CN", {hour12: false, timeZone: "Asia/Shanghai"});
  }
  function stateLabel(state) { return msg(state.replace("_", "-")) || state; }
  function errorText(ack) {
    if (!ack) { return msg("error"); }
    var detail = ack.message || (ack.fields ? Object.keys(ack.fields).map(function (k) { return ack.fields[k]; }).join(msg("separator")) : ack.error);
    return msg("error") + detail;
  }

  var socket = window.io("/interviews", {withCredentials: true});

  function join() {
    socket.emit("join", {interview: interviewId, since: lastSeq}, function (ack) {
      if (!ack || !ack.ok) { say(statusLine, errorText(ack)); return; }
      say(statusLine, msg("connected"));
      if (typeof ack.viewers === "number") { say(viewerCount, String(ack.viewers)); }
      showNext(ack.current_question);
    });
  }
  socket.on("connect", join);
  socket.on("disconnect", function () { say(statusLine, msg("disconnected")); });

  // -- transcript entries, strictly in seq order ------------------------------------------------
  socket.on("entry", function (entry) {
    if (!entry || entry.interview !== interviewId || entry.seq <= lastSeq) { return; }
    lastSeq = entry.seq;
    root.setAttribute("data-last-seq", String(lastSeq));
    var empty = document.getElementById("transcript-empty");
    if (empty) { empty.remove(); }
    var li = clone("entry-template");
    li.id = "entry-" + entry.seq;
    li.classList.add("entry-" + entry.kind);
    li.setAttribute("data-seq", String(entry.seq));
    li.setAttribute("data-kind", entry.kind);
    li.setAttribute("data-question", entry.question || "");
    say(li.querySelector(".entry-label"), labels[entry.kind] || entry.kind);
    say(li.querySelector(".entry-author"), (entry.kind === "question" ? (labels.citizen || "") : "") + (entry.author || ""));
    var time = li.querySelector("time");
    time.setAttribute("datetime", entry.at);
    say(time, timeOf(entry.at));
    say(li.querySelector(".entry-body"), entry.body);
    transcript.appendChild(li);
    if (entry.kind === "question" && entry.question) {
      removeItem(pendingList, entry.question);
      if (entry.state === "approved" || entry.state === undefined) { addWaiting(entry.question, entry.body, entry.upvotes || 0); }
    } else if (entry.kind === "answer" && entry.question) {
      removeItem(waitingList, entry.question);
      var option = document.querySelector("#answer-form select[name=question] option[value='" + entry.question + "']");
      if (option) { option.remove(); }
      if (entry.question === shownNext) { showNext(null); }  // another question answered: the pick stands
    }
  });

  socket.on("presence", function (data) {
    if (data && data.interview === interviewId) { say(viewerCount, String(data.viewers)); }
  });
  // The page is already on its way elsewhere (the moderator's own start/end form, a link): reloading
  // now would cancel that navigation, and with it the form's answer.
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });
  function reload() { if (!leaving) { window.location.reload(); } }
  socket.on("status", function (data) {
    if (!data || data.interview !== interviewId) { return; }
    // The server's link to the other processes (Redis) went or came back: missed entries follow "ok".
    if (data.connection) { say(statusLine, msg(data.connection === "ok" ? "connected" : "degraded")); return; }
    root.setAttribute("data-status", data.status);
    if (data.status === "ended") { say(statusLine, msg("ended")); window.setTimeout(reload, 1500); }
    if (data.status === "live") { say(document.getElementById("room-status"), msg("live")); reload(); }
  });
  socket.on("votes", function (data) {
    if (!data || data.interview !== interviewId) { return; }
    var item = findItem(waitingList, data.question);
    if (item) { say(item.querySelector(".upvotes"), String(data.upvotes)); }
  });
  socket.on("next", function (data) {
    if (data && data.interview === interviewId) { showNext(data.question); }
  });

  var shownNext = null;  // the question the guests were asked to answer next, while it is shown
  function showNext(questionId) {
    var box = document.getElementById("next-question");
    if (!box) { return; }
    var item = questionId ? findItem(waitingList, questionId) : null;
    shownNext = item ? questionId : null;
    if (!item) { box.hidden = true; return; }
    say(document.getElementById("next-question-body"), item.querySelector(".waiting-body").textContent);
    box.hidden = false;
  }

  // -- lists of questions ---------------------------------------------------------------------------
  function findItem(list, questionId) {
    return list ? list.querySelector("[data-question='" + questionId + "']") : null;
  }
  function removeItem(list, questionId) {
    var item = findItem(list, questionId);
    if (item) { item.remove(); }
    updatePendingCount();
  }
  function updatePendingCount() {
    var count = document.getElementById("pending-count");
    if (count && pendingList) { say(count, String(pendingList.children.length)); }
  }
  function addWaiting(questionId, body, upvotes) {
    if (!waitingList || findItem(waitingList, questionId)) { return; }
    var li = clone("waiting-template");
    li.id = "waiting-" + questionId;
    li.setAttribute("data-question", String(questionId));
    say(li.querySelector(".waiting-body"), body);
    say(li.querySelector(".upvotes"), String(upvotes));
    waitingList.appendChild(li);
    var select = document.querySelector("#answer-form select[name=question]");
    if (select) {
      var option = document.createElement("option");
      option.value = String(questionId);
      option.textContent = body.slice(0, 60);
      select.appendChild(option);
    }
  }

  socket.on("question", function (question) {
    if (!moderator || !pendingList || !question || question.interview !== interviewId) { return; }
    var existing = findItem(pendingList, question.id);
    if (question.state !== "pending") { if (existing) { existing.remove(); } updatePendingCount(); return; }
    if (existing) { return; }
    var li = clone("pending-template");
    li.id = "pending-" + question.id;
    li.setAttribute("data-question", String(question.id));
    say(li.querySelector(".pending-asker"), (labels.citizen || "") + (question.asker || ""));
    var time = li.querySelector("time");
    time.setAttribute("datetime", question.created_at);
    say(time, timeOf(question.created_at));
    var textarea = li.querySelector("textarea");
    textarea.value = question.body;
    textarea.id = "approve-body-" + question.id;
    li.querySelector(".approve-form label").setAttribute("for", textarea.id);
    var reason = li.querySelector("input[name=reason]");
    reason.id = "reject-reason-" + question.id;
    li.querySelector(".reject-form label").setAttribute("for", reason.id);
    pendingList.appendChild(li);
    updatePendingCount();
  });

  socket.on("my_question", function (question) {
    if (!question || question.interview !== interviewId) { return; }
    var list = document.getElementById("my-questions");
    if (!list) { return; }
    document.getElementById("my-questions-section").hidden = false;
    var item = findItem(list, question.id);
    if (!item) {
      item = document.createElement("li");
      item.id = "mine-" + question.id;
      item.setAttribute("data-question", String(question.id));
      ["badge my-state", "my-body", "my-reason"].forEach(function (cls) {
        var span = document.createElement("span");
        span.className = cls;
        item.appendChild(span);
        item.appendChild(document.createTextNode(" "));
      });
      list.insertBefore(item, list.firstChild);
    }
    var badge = item.querySelector(".my-state");
    badge.setAttribute("data-state", question.state);
    say(badge, stateLabel(question.state));
    say(item.querySelector(".my-body"), question.body);
    var why = question.reason ? msg("reason") + question.reason : "";
    var reasonEl = item.querySelector(".my-reason");
    say(reasonEl, why);
    (question.handed_to || []).forEach(function (target) {
      if (target && typeof target.url === "string" && target.url.charAt(0) === "/") {
        var a = document.createElement("a");
        a.href = target.url;
        a.textContent = target.number || target.url;
        reasonEl.appendChild(a);
      }
    });
  });

  // -- actions ----------------------------------------------------------------------------------------
  function emitAction(event, payload, statusEl, onOk) {
    socket.emit(event, payload, function (ack) {
      if (ack && ack.ok) { if (onOk) { onOk(ack); } } else { say(statusEl || statusLine, errorText(ack)); }
    });
  }

  var askForm = document.getElementById("ask-form");
  if (askForm) {
    askForm.addEventListener("submit", function (event) {
      if (!socket.connected) { return; }  // the plain POST still works
      event.preventDefault();
      var field = askForm.querySelector("textarea[name=body]");
      var status = document.getElementById("ask-status");
      emitAction("ask", {interview: interviewId, body: field.value}, status, function () {
        say(status, msg("sent"));
        field.value = "";
        field.dispatchEvent(new Event("input"));
      });
    });
  }

  var answerForm = document.getElementById("answer-form");
  if (answerForm) {
    // The name the entry will carry, shown before it is sent and following the 发言人 choice.
    var speakerSelect = answerForm.querySelector("select[name=guest]");
    var speakerPreview = document.getElementById("answer-speaker");
    if (speakerSelect && speakerPreview) {
      speakerSelect.addEventListener("change", function () {
        var chosen = speakerSelect.options[speakerSelect.selectedIndex];
        speakerPreview.textContent = speakerPreview.getAttribute("data-template").replace("{name}", chosen.text);
      });
    }
    answerForm.addEventListener("submit", function (event) {
      if (!socket.connected) { return; }
      event.preventDefault();
      var body = answerForm.querySelector("textarea[name=body]");
      var question = answerForm.querySelector("select[name=question]");
      var guest = answerForm.querySelector("select[name=guest]");
      var payload = {interview: interviewId, body: body.value};
      if (question && question.value) { payload.question = parseInt(question.value, 10); }
      if (guest && guest.value) { payload.guest = parseInt(guest.value, 10); }
      var status = document.getElementById("answer-status");
      emitAction("answer", payload, status, function () {
        body.value = "";
        body.dispatchEvent(new Event("input"));  // the character counter follows
        say(status, "");
      });
    });
  }

  function questionOf(el) {
    var item = el.closest("[data-question]");
    return item ? parseInt(item.getAttribute("data-question"), 10) : null;
  }
  root.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute("data-action");
    if (!action || !socket.connected) { return; }
    event.preventDefault();
    var questionId = questionOf(form);
    var payload = {question: questionId};
    if (action === "approve") { payload.body = form.querySelector("textarea[name=body]").value; }
    if (action === "reject") {
      var reason = form.querySelector("input[name=reason]").value.trim();
      if (reason) { payload.reason = reason; }
    }
    emitAction(action, payload, null, function () {
      if (action === "approve" || action === "reject") { removeItem(pendingList, questionId); }
      if (action === "upvote") { form.querySelector("button").disabled = true; }
    });
  });
  root.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || !socket.connected) { return; }
    var action = button.getAttribute("data-action");
    emitAction(action, {question: questionOf(button)}, null, function () {
      if (action === "upvote") { button.disabled = true; }
    });
  });
})();
