"""Polls in a real browser: staff build and publish a poll, a citizen votes on a 360 px phone, results stay
sealed, the poll closes, charts and the report appear; a ``live`` poll's figures move without a reload.

The ballot and results pages are also checked with axe-core (no serious or critical violation).
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import DEMO_EMAILS, demo_password, sign_in

try:  # axe-core's helper (tests/browser/a11y.py) where the tree has it
    from tests.browser import a11y
except ImportError:
    a11y = None

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = (360, 740)


def _local(delta: timedelta) -> str:
    return (datetime.now(SHANGHAI) + delta).strftime("%Y-%m-%dT%H:%M")


def _accept_dialogs(page):
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _audit(browser, live_server, path, role=None, viewport=PHONE):
    if a11y is None:
        return
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, base_url=live_server,
                                  bypass_csp=True, locale="zh-CN")
    try:
        page = context.new_page()
        if role:
            sign_in(page, DEMO_EMAILS[role], demo_password())
        page.goto(path)
        found = a11y.blocking(a11y.violations(page))
        assert not found, a11y.describe(path, found)
    finally:
        context.close()


def test_staff_build_citizens_vote_results_sealed_then_charts_and_report(page_for, new_page, browser, live_server):
    staff = _accept_dialogs(page_for("staff"))
    staff.goto("/polls/manage")
    staff.get_by_test_id("new-poll").click()
    staff.fill("#title", "社区食堂开放时间征集")
    staff.fill("#description", "请选择您希望的开放时间。")
    staff.fill("#opens_at", _local(timedelta(hours=-1)))
    staff.fill("#closes_at", _local(timedelta(days=2)))
    staff.get_by_role("button", name="保存草稿并添加题目").click()
    form = staff.get_by_test_id("add-question")
    form.locator("#question-prompt").fill("您希望几点开门？")
    form.locator("#question-options").fill("6:30\n7:00\n7:30")
    form.get_by_role("button", name="添加题目").click()
    form = staff.get_by_test_id("add-question")
    form.locator("#question-kind").select_option("rating")
    form.locator("#question-prompt").fill("您对社区食堂的满意度")
    form.get_by_role("button", name="添加题目").click()
    expect(staff.get_by_test_id("question-list").locator("> li")).to_have_count(2)  # waits for the reloaded page
    staff.get_by_test_id("preview").click()
    expect(staff.locator("fieldset legend").first).to_have_text(re.compile(r"^1\. 您希望几点开门？"))
    expect(staff.get_by_role("button", name="提交答卷")).to_be_disabled()
    staff.get_by_role("link", name="返回编辑").click()
    staff.get_by_role("button", name="发布").first.click()
    staff.wait_for_url("**/polls/*")
    poll_url = staff.url.split("#")[0].removesuffix("/edit")
    poll_path = poll_url.removeprefix(live_server)

    citizen = page_for("citizen", viewport=PHONE)
    citizen.goto(poll_path)
    ballot = citizen.get_by_test_id("ballot")
    # Keyboard only: the radio buttons are reached with Tab and chosen with the arrow keys and Space.
    ballot.get_by_label("7:00").focus()
    citizen.keyboard.press("Space")
    ballot.locator("fieldset").nth(1).get_by_label("4").check()
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # no sideways scrolling
    ballot.get_by_role("button", name="提交答卷").click()
    voted = citizen.get_by_test_id("voted")
    assert "7:00" in voted.inner_text() and "4 分" in voted.inner_text()
    citizen.goto(poll_path + "/results")
    assert "调查结束后公布结果" in citizen.get_by_test_id("sealed").inner_text()
    _audit(browser, live_server, poll_path + "/results")

    staff.goto(poll_path)
    with staff.expect_navigation():  # the close has answered before the next page is asked for
        staff.get_by_role("button", name="提前结束").click()
    staff.goto(poll_path + "/results")
    assert "结果反馈待发布" in staff.get_by_test_id("report").inner_text()
    staff.get_by_test_id("report").get_by_role("link", name="发布结果反馈").click()
    staff.fill("#summary", "共收到答卷 1 份，多数希望 7:00 开门。")
    staff.fill("#adoption", "采纳：自下周起 7:00 开门。")
    with staff.expect_navigation():
        staff.get_by_role("button", name="发布").click()

    citizen.goto(poll_path + "/results")
    assert "采纳：自下周起 7:00 开门。" in citizen.get_by_test_id("report").inner_text()
    assert citizen.get_by_test_id("ballots").inner_text().endswith("1")
    citizen.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas')) !== undefined")
    assert citizen.locator("canvas").count() == 2
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    _audit(browser, live_server, poll_path + "/results")


def test_a_live_polls_chart_moves_without_a_reload(page_for, new_page, browser, live_server):
    watcher = new_page("desktop")
    watcher.goto("/polls/")
    watcher.get_by_role("link", name="中小学午休“躺睡”改造满意度调查").click()
    poll_path = watcher.url.removeprefix(live_server)
    _audit(browser, live_server, poll_path, role="moderator")
    watcher.goto(poll_path + "/results")
    before = int(watcher.get_by_test_id("ballots").locator("[data-ballots]").inner_text())
    watcher.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas')) !== undefined")
    chart_total = ("() => Chart.getChart(document.querySelector('canvas'))"
                   ".data.datasets[0].data.reduce((a, b) => a + b, 0)")
    start_total = watcher.evaluate(chart_total)

    voter = page_for("moderator", viewport=PHONE)
    voter.goto(poll_path)
    ballot = voter.get_by_test_id("ballot")
    ballot.locator("fieldset").nth(0).get_by_label("正在进行").check()
    ballot.locator("fieldset").nth(1).get_by_label("5").check()
    ballot.get_by_role("button", name="提交答卷").click()
    expect(voter.get_by_test_id("voted")).to_be_visible()  # waits for the page after the ballot (is_visible does not)

    watcher.wait_for_function(f"() => document.querySelector('[data-ballots]').textContent.trim() === '{before + 1}'",
                              timeout=10_000)
    assert watcher.evaluate(chart_total) == start_total + 1  # the chart moved, no reload
