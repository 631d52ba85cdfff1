"""A live interview in four browsers at once, against ``python wsgi.py`` (gevent) and the demo data.

The moderator schedules the interview through the real form (guest: the 教育厅 staff account)
and starts it. An anonymous viewer on a phone is already watching; a citizen (phone) asks, the
moderator sees the question arrive live and approves it, the guest answers it. The viewer sees
neither the pending question nor anything else it should not, then the question and the answer
appear without the page reloading. Finally the moderator ends the interview and the 文字实录
shows the question and its answer as a pair.

Every wait is on the DOM (Playwright's ``expect`` with its timeout), never a sleep. The one
``time.sleep`` is the second test's deliberately slow server answer (a route handler).
"""

import json
import re
import time
import urllib.request
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails when servers are required)
    expect = None

pytestmark = pytest.mark.browser

LIVE_TIMEOUT = 15_000  # ms: one socket round trip is milliseconds; this only bounds a failure
CONNECTED = "已连接"


def _room_id(page) -> int:
    match = re.search(r"/interviews/(\d+)$", page.url.split("#")[0].split("?")[0])
    assert match, f"not an interview room: {page.url}"
    return int(match.group(1))


def _wait_connected(page) -> None:
    expect(page.get_by_test_id("connection-status")).to_contain_text(CONNECTED, timeout=LIVE_TIMEOUT)


def _viewers(page) -> int:
    return int(page.get_by_test_id("viewer-count").inner_text())


def _wait_viewers_at_least(page, n: int) -> None:
    page.wait_for_function(
        "n => parseInt(document.querySelector('[data-testid=viewer-count]').textContent, 10) >= n",
        arg=n, timeout=LIVE_TIMEOUT)


def _schedule_through_the_form(moderator, title: str, guest_email: str) -> int:
    moderator.goto("/interviews/")
    with moderator.expect_navigation():
        moderator.locator("main a[href$='/interviews/new']").first.click()
    form = moderator.locator("#interview-form")
    start = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=1)
    form.get_by_label("访谈标题").fill(title)
    form.get_by_label("访谈主题").fill("义务教育阶段课后服务")
    form.get_by_label("主办部门").select_option(label="教育厅")
    form.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("预计时长（分钟）").fill("45")
    form.get_by_label("访谈简介").fill("教育厅负责人在线解答课后服务的收费、时间和内容安排。")
    first, second = form.get_by_test_id("guest-row").nth(0), form.get_by_test_id("guest-row").nth(1)
    first.get_by_label("姓名").fill("李老师")
    first.get_by_label("职务").fill("教育厅基础教育处处长")
    first.get_by_label("账号邮箱（可选）").fill(guest_email)
    second.get_by_label("姓名").fill("王主持")
    second.get_by_label("职务").fill("省政府门户网站主持人")
    second.get_by_label("身份").select_option(label="主持人")
    with moderator.expect_navigation():
        form.locator("button[type=submit]").click()
    interview_id = _room_id(moderator)
    expect(moderator.locator(".flash-success")).to_contain_text("访谈已安排")
    expect(moderator.get_by_test_id("room-status")).to_have_text("预告")
    expect(moderator.locator("h1")).to_have_text(title)
    return interview_id


def test_live_interview_in_four_browsers(new_page, page_for, shot, demo_account):
    token = uuid.uuid4().hex[:6]
    title = f"课后服务怎么办 在线访谈 {token}"
    question_text = f"孩子放学早，学校课后服务能延长到几点？收费标准是什么？（{token}）"
    answer_text = f"课后服务一般延长到下午六点，按照成本分担原则收费，困难家庭免收。（{token}）"

    # -- the moderator schedules through the form; an anonymous viewer (phone) opens the preview ----------
    moderator = page_for("moderator", "desktop")
    interview_id = _schedule_through_the_form(moderator, title, demo_account("staff")["email"])
    room = f"/interviews/{interview_id}"

    viewer = new_page("phone")
    viewer.goto(room)
    expect(viewer.get_by_test_id("room-status")).to_have_text("预告")
    expect(viewer.get_by_test_id("ask-form")).to_have_count(0)  # anonymous: watch only
    expect(viewer.locator("#ask a[href*='/login']")).to_be_visible()
    _wait_connected(viewer)
    _wait_connected(moderator)

    # -- the moderator starts it: the waiting viewer's page switches to the live room by itself -----------
    with viewer.expect_navigation(timeout=LIVE_TIMEOUT):
        with moderator.expect_navigation():
            moderator.get_by_role("button", name="开始直播").click()
    expect(moderator.locator(".flash-success")).to_contain_text("访谈已开始直播")
    expect(moderator.get_by_test_id("room-status")).to_have_text("直播中")
    expect(viewer.get_by_test_id("room-status")).to_have_text("直播中")
    _wait_connected(viewer)
    _wait_connected(moderator)
    # From here on the viewer's page must never reload: a marker on its window would vanish.
    viewer.evaluate("window.__stillTheSamePage = true")

    citizen = page_for("citizen", "phone")
    citizen.goto(room)
    guest = page_for("staff", "desktop")
    guest.goto(room)
    _wait_connected(citizen)
    _wait_connected(guest)
    expect(guest.get_by_test_id("answer-form")).to_be_visible()  # linked to the guest line by e-mail
    expect(citizen.get_by_test_id("answer-form")).to_have_count(0)
    expect(citizen.get_by_test_id("pending-list")).to_have_count(0)
    # Four pages are in the room now; the viewer's count follows without a reload.
    _wait_viewers_at_least(viewer, 4)
    expect(viewer.get_by_test_id("viewer-count")).to_be_visible()

    # -- the citizen asks; only the moderator sees the question ------------------------------------------
    citizen.get_by_test_id("ask-body").fill(question_text)
    citizen.get_by_test_id("ask-submit").click()
    expect(citizen.get_by_test_id("ask-status")).to_have_text("问题已提交，经审核后显示。", timeout=LIVE_TIMEOUT)
    mine = citizen.get_by_test_id("my-questions").locator("li").filter(has_text=question_text)
    expect(mine.locator(".my-state")).to_have_text("待审核", timeout=LIVE_TIMEOUT)

    expect(moderator.get_by_test_id("pending-question")).to_have_count(1, timeout=LIVE_TIMEOUT)
    pending = moderator.get_by_test_id("pending-question").first
    expect(pending.get_by_test_id("approve-body")).to_have_value(question_text)
    expect(moderator.get_by_test_id("pending-count")).to_have_text("1")
    question_id = int(pending.get_attribute("data-question"))
    shot(moderator, "interview-moderator-pending-desktop")

    # The question reached the moderators' room; it must not have reached anyone else.
    for page in (viewer, guest):
        expect(page.get_by_test_id("entry")).to_have_count(0)
        expect(page.get_by_text(question_text)).to_have_count(0)
        expect(page.get_by_test_id("waiting-question")).to_have_count(0)
    expect(guest.locator(f"#answer-form select[name=question] option[value='{question_id}']")).to_have_count(0)

    # -- the moderator approves: the question appears for everyone, live -----------------------------------
    pending.get_by_test_id("approve-button").click()
    expect(moderator.get_by_test_id("pending-question")).to_have_count(0, timeout=LIVE_TIMEOUT)
    expect(moderator.get_by_test_id("pending-count")).to_have_text("0")

    question_entry = viewer.locator(f"[data-testid=entry][data-kind=question][data-question='{question_id}']")
    expect(question_entry).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(question_entry.locator(".entry-body")).to_have_text(question_text)
    expect(question_entry.locator(".entry-label")).to_have_text("网友提问")
    expect(question_entry.locator(".entry-author")).to_contain_text("网友")
    assert demo_account("citizen")["name"] not in question_entry.inner_text(), "the asker's full name is shown"
    question_seq = int(question_entry.get_attribute("data-seq"))
    expect(viewer.get_by_test_id("waiting-question").filter(has_text=question_text)).to_have_count(1)
    expect(mine.locator(".my-state")).to_have_text("已通过", timeout=LIVE_TIMEOUT)

    # A citizen seconds it (同问) and the moderator asks the guests to answer it next: both live for the viewer.
    citizen.get_by_test_id("waiting-question").filter(has_text=question_text).get_by_test_id("vote-button").click()
    viewer_waiting = viewer.get_by_test_id("waiting-question").filter(has_text=question_text)
    expect(viewer_waiting.get_by_test_id("upvotes")).to_have_text("1", timeout=LIVE_TIMEOUT)
    moderator.get_by_test_id("waiting-question").filter(has_text=question_text).get_by_test_id("pick-button").click()
    expect(viewer.get_by_test_id("next-question")).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(viewer.get_by_test_id("next-question")).to_contain_text(question_text)

    # Meanwhile another question is approved and answered first: the pick above stays on screen.
    other_question, other_answer = f"周末的兴趣班也算课后服务吗？（{token}）", f"不算，周末不安排课后服务。（{token}）"
    moderator.get_by_test_id("ask-body").fill(other_question)
    moderator.get_by_test_id("ask-submit").click()
    other_pending = moderator.get_by_test_id("pending-question")
    expect(other_pending).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(other_pending.get_by_test_id("approve-body")).to_have_value(other_question)
    other_id = int(other_pending.get_attribute("data-question"))
    other_pending.get_by_test_id("approve-button").click()
    _answer(guest, other_id, other_answer)
    expect(viewer.locator(f"[data-kind=answer][data-question='{other_id}']")).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(viewer.get_by_test_id("next-question")).to_be_visible()
    expect(viewer.get_by_test_id("next-question")).to_contain_text(question_text)

    # -- the guest answers the citizen's question -------------------------------------------------------------
    _answer(guest, question_id, answer_text)

    answer_entry = viewer.locator(f"[data-testid=entry][data-kind=answer][data-question='{question_id}']")
    expect(answer_entry).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(answer_entry.locator(".entry-body")).to_have_text(answer_text)
    expect(answer_entry.locator(".entry-label")).to_have_text("嘉宾回答")
    expect(answer_entry.locator(".entry-author")).to_contain_text("李老师")
    assert int(answer_entry.get_attribute("data-seq")) > question_seq
    seqs = [int(s) for s in viewer.eval_on_selector_all("[data-testid=entry]", "els => els.map(e => e.dataset.seq)")]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == 4, f"transcript entries out of order: {seqs}"
    expect(viewer.get_by_test_id("waiting-question")).to_have_count(0)
    expect(viewer.get_by_test_id("next-question")).to_be_hidden()
    expect(mine.locator(".my-state")).to_have_text("已答复", timeout=LIVE_TIMEOUT)
    for page in (citizen, moderator, guest):
        expect(page.locator("[data-testid=entry][data-kind=answer]").filter(has_text=answer_text)).to_have_count(1)

    assert viewer.evaluate("window.__stillTheSamePage === true"), "the viewer's page reloaded"
    assert _viewers(viewer) >= 4
    assert viewer.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "room scrolls sideways"
    shot(viewer, "interview-viewer-live-phone")
    shot(citizen, "interview-citizen-live-phone")
    shot(guest, "interview-guest-live-desktop")

    # -- the moderator ends it; the transcript (文字实录) shows the pair ---------------------------------------
    moderator.once("dialog", lambda dialog: dialog.accept())
    with moderator.expect_navigation():
        moderator.get_by_role("button", name="结束访谈并发布实录").click()
    assert moderator.url.split("?")[0].endswith(f"{room}/transcript"), moderator.url
    _check_transcript(moderator, title, question_text, answer_text)
    _check_transcript(moderator, title, other_question, other_answer)

    # The viewer's room turns into the ended page by itself and links to the transcript.
    link = viewer.locator("#transcript-link a")
    expect(link).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(viewer.get_by_test_id("room-status")).to_have_text("已结束")
    expect(viewer.get_by_test_id("ask-form")).to_have_count(0)
    with viewer.expect_navigation():
        link.click()
    _check_transcript(viewer, title, question_text, answer_text)
    assert viewer.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "transcript scrolls sideways"
    shot(viewer, "interview-transcript-phone")
    shot(moderator, "interview-transcript-desktop")


def _api(base_url: str, path: str, payload: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base_url + path, data=json.dumps(payload).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def _slow_response(seconds: float):
    """A route handler that sends the request on at once but answers only *seconds* later (a busy server)."""

    def handle(route):
        response = route.fetch(max_redirects=0)
        time.sleep(seconds)  # the server has committed and broadcast; the page waits for its answer
        route.fulfill(response=response)

    return handle


def test_a_slow_start_or_end_is_not_cut_short_by_the_rooms_own_reload(page_for, live_server, demo_account):
    """Regression: the room reloads itself when the interview starts or ends. On the moderator's own
    page that reload aborted the start/end form POST still waiting for its answer (the socket event
    arrives before the HTTP response), and the confirmation message was lost."""
    moderator_email = demo_account("moderator")["email"]
    token = _api(live_server, "/api/v1/auth/token", {"email": moderator_email, "password": "demo-password-2026"})
    scheduled = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=2)).isoformat(timespec="minutes")
    created = _api(live_server, "/api/v1/interviews", {
        "title": f"慢网络下开始和结束 {uuid.uuid4().hex[:6]}", "scheduled_at": scheduled, "department": "edu",
        "guests": [{"name": "李老师", "title": "教育厅", "user": demo_account("staff")["email"]}]}, token["token"])
    room = f"/interviews/{created['id']}"

    moderator = page_for("moderator", "desktop")
    moderator.goto(room)
    _wait_connected(moderator)
    moderator.route(f"**{room}/start", _slow_response(2.5))
    with moderator.expect_navigation(timeout=LIVE_TIMEOUT) as navigation:
        moderator.get_by_role("button", name="开始直播").click()
    assert navigation.value.request.redirected_from is not None, "the start POST did not complete"
    assert navigation.value.request.redirected_from.method == "POST"
    expect(moderator.locator(".flash-success")).to_contain_text("访谈已开始直播")
    expect(moderator.get_by_test_id("room-status")).to_have_text("直播中")

    _wait_connected(moderator)
    moderator.route(f"**{room}/end", _slow_response(2.5))  # longer than the room's 1.5 s before reloading
    moderator.once("dialog", lambda dialog: dialog.accept())
    with moderator.expect_navigation(timeout=LIVE_TIMEOUT) as navigation:
        moderator.get_by_role("button", name="结束访谈并发布实录").click()
    assert navigation.value.request.redirected_from is not None, "the end POST did not complete"
    assert moderator.url.split("?")[0].endswith(f"{room}/transcript"), moderator.url
    expect(moderator.locator(".flash-success")).to_contain_text("访谈已结束")


def _answer(guest, question_id: int, text: str) -> None:
    """The guest answers an approved question through the room's answer form (sent over the socket)."""
    form = guest.get_by_test_id("answer-form")
    expect(form.locator(f"select[name=question] option[value='{question_id}']")).to_have_count(1, timeout=LIVE_TIMEOUT)
    form.locator("select[name=question]").select_option(str(question_id))
    form.locator("textarea[name=body]").fill(text)
    form.get_by_test_id("answer-submit").click()
    expect(form.locator("textarea[name=body]")).to_have_value("", timeout=LIVE_TIMEOUT)
    expect(form.locator("#answer-body-counter")).to_have_text(re.compile(r"^0\D"))  # the counter follows
    expect(form.locator(f"select[name=question] option[value='{question_id}']")).to_have_count(0)


def _check_transcript(page, title: str, question_text: str, answer_text: str) -> None:
    article = page.get_by_test_id("transcript-page")
    expect(article.locator("h1")).to_contain_text(title)
    expect(article.locator("h1")).to_contain_text("文字实录")
    pair = article.locator(".qa-pair").filter(has_text=question_text)
    expect(pair).to_have_count(1)
    expect(pair.locator(".entry-question .entry-body")).to_have_text(question_text)
    expect(pair.locator(".entry-answer .entry-body")).to_have_text(answer_text)
    kinds = pair.locator("[data-testid=entry]").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["question", "answer"], f"the pair should read question, then answer: {kinds}"
