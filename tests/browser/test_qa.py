"""Public Q&A end to end, through the real pages, against ``python wsgi.py`` and the demo data.

A citizen on a phone types a question's title; the similar answered demo question appears below the
field as they type (static/js/qa.js fetching /questions/similar), and they ask anyway. "My
questions" says it awaits review. The moderator approves it in the shared queue; the 教育厅 clerk
finds it in the department's queue and answers it. The public finds it by searching the board,
and another citizen (registered through the API) presses 同问 once; a second press is refused
with a clear message.

Every wait is on the DOM or a navigation (Playwright), never a sleep.
"""

import json
import urllib.request
import uuid

import pytest

from tests.browser.conftest import sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails when servers are required)
    expect = None

pytestmark = pytest.mark.browser

SIMILAR_DEMO = "外省转入的孩子怎样办理小学入学？"  # an answered demo question (interaction/qa/demo.py)


def _submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def _fits(page, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        f"{what} scrolls sideways on a phone"


def _register(base_url: str, email: str, password: str) -> None:
    body = json.dumps({"email": email, "password": password, "name": "刘同问", "phone": "13600001234"}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/auth/register", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_a_question_from_asking_to_me_too(page_for, new_page, live_server, shot):
    token = uuid.uuid4().hex[:8]
    title = f"外省转入的孩子办理小学入学要带哪些证件（{token}）"
    answer = f"您好！请携带户口簿、居住证和出生证明，到所在区教育局报名。（{token}）"

    # -- the citizen types a title, sees a similar answered question, asks anyway (phone) ----------------
    citizen = page_for("citizen", "phone")
    citizen.goto("/questions/ask")
    form = citizen.locator("main form")
    form.get_by_label("提问部门").select_option("edu")
    form.get_by_label("问题标题").press_sequentially("外省转入的孩子怎样办理小学入学", delay=20)
    similar = citizen.locator("#similar-questions")
    expect(similar.get_by_role("link", name=SIMILAR_DEMO)).to_be_visible()
    _fits(citizen, "the ask page with similar questions")
    shot(citizen, "qa-ask-similar-phone")
    form.get_by_label("问题标题").fill(title)
    form.get_by_label("问题内容").fill(f"孩子九月上小学，想确认需要带哪些证件。编号{token}")
    _submit(citizen, form.get_by_role("button", name="提交提问"))
    expect(citizen.locator(".flash-success")).to_contain_text("审核通过后送达部门")
    mine = citizen.locator("article.qa-mine").filter(has_text=token)
    expect(mine).to_contain_text("待审核")

    # -- the moderator approves it (desktop) ------------------------------------------------------------
    moderator = page_for("moderator", "desktop")
    moderator.goto("/moderation/?kind=qa.question")
    case = moderator.locator("li.case").filter(has_text=token)
    expect(case).to_have_count(1)
    _submit(moderator, case.locator("button[name=verdict][value=approve]"))
    expect(moderator.locator(".flash-success")).to_contain_text("已通过")

    # -- the 教育厅 clerk answers it from the department's queue (desktop) -------------------------------
    staff = page_for("staff", "desktop")
    staff.goto("/questions/work")
    row = staff.locator("tr").filter(has_text=token)
    expect(row).to_contain_text("0 个工作日")
    _submit(staff, row.get_by_role("link"))
    staff.get_by_label("答复内容").fill(answer)
    _submit(staff, staff.get_by_role("button", name="提交答复"))
    expect(staff.locator(".flash-success")).to_contain_text("答复已公开")
    shot(staff, "qa-answer-desktop")

    # -- the public finds it by search (phone, signed out) ------------------------------------------------
    public = new_page("phone")
    public.goto("/questions")
    search = public.locator("form[role=search]")
    search.get_by_label("关键词").fill("证件 入学")
    _submit(public, search.get_by_role("button", name="搜索"))
    item = public.locator("ol.qa-list li").filter(has_text=token)
    expect(item).to_have_count(1)
    _fits(public, "the search results")
    _submit(public, item.get_by_role("link"))
    expect(public.locator("h1")).to_have_text(title)
    expect(public.locator("section.mailbox-reply")).to_contain_text(answer)

    # -- another citizen presses 同问, once ---------------------------------------------------------------
    email, password = f"metoo-{token}@example.com", "a-long-password-2026"
    _register(live_server, email, password)
    other = new_page("phone")
    sign_in(other, email, password)
    other.goto(public.url)
    _submit(other, other.get_by_role("button", name="同问（0）"))
    expect(other.locator(".flash-success")).to_contain_text("已同问")
    expect(other.locator("main")).to_contain_text("您已同问。")
    shot(other, "qa-me-too-phone")
    # a second press (say, from a page opened before the first) is refused with a clear message
    csrf = other.locator("meta[name=csrf-token]").get_attribute("content")
    second = other.context.request.post(public.url + "/me-too", form={"csrf_token": csrf})
    assert second.ok and "您已经同问过这个问题。" in second.text()
    other.reload()
    expect(other.locator("main")).to_contain_text("同问")
    expect(other.locator("dl.letter-facts")).to_contain_text("1")
