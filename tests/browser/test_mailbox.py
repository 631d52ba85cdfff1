"""The leader mailbox end to end, through the real pages, against ``python wsgi.py`` and the demo data.

A citizen on a phone (not signed in) writes to 教育厅's mailbox, with their name and phone number
in the letter too, and agrees to publication; the confirmation page gives the number and the
query code. The 教育厅 clerk (desktop) accepts, assigns to their own department and replies. The
citizen comes back later (cookies gone), tracks the letter by number and code, sees the timeline
and the reply, and rates it. The moderator approves the publication case in the shared queue,
and the public list and page show the letter with the name and phone masked: the raw ones appear
nowhere in the HTML.

Every wait is on the DOM or a navigation (Playwright), never a sleep.
"""

import random
import re
import uuid

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails when servers are required)
    expect = None

pytestmark = pytest.mark.browser

MAILBOX = "教育厅厅长信箱"
SURNAMES = "赵钱孙周吴郑冯陈褚卫蒋沈韩杨"
GIVEN = "一鸣子涵浩然思远嘉怡雨桐俊杰"


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _fits(page, what: str) -> None:
    assert _no_horizontal_scroll(page), f"{what} scrolls sideways on a 390 px phone"


def _submit(page, form_or_button) -> None:
    with page.expect_navigation():
        form_or_button.click()


def _writer() -> tuple[str, str]:
    """A name and mobile number that appear nowhere in the demo data."""
    rng = random.SystemRandom()
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    phone = "139" + "".join(rng.choice("0123456789") for _ in range(8))
    return name, phone


def test_letter_from_writing_to_publication(new_page, page_for, shot):
    token = uuid.uuid4().hex[:6].upper()
    name, phone = _writer()
    masked_name, masked_phone = name[0] + "*" * (len(name) - 1), phone[:3] + "****" + phone[-4:]
    subject = f"小学课后服务能否延长到六点（{token}）"
    body = (f"我叫{name}，家住长沙市岳麓区，孩子在附近公办小学读三年级。学校课后服务五点半结束，"
            f"我们双职工六点多才能下班接孩子。请问课后服务能否延长到六点？联系电话{phone}。{name}")
    reply = f"您好！全省义务教育学校课后服务结束时间一般不早于当地正常下班时间，请与学校联系弹性离校安排。（{token}）"

    # -- the citizen writes (phone, not signed in) ------------------------------------------------------
    citizen = new_page("phone")
    citizen.goto("/mailbox/")
    _fits(citizen, "the mailbox home")
    _submit(citizen, citizen.locator("main").get_by_role("link", name=MAILBOX))
    form = citizen.locator("form.mailbox-form")
    expect(form.get_by_label("信箱")).to_have_value("edu-head")
    form.get_by_label("来信类别").select_option(label="咨询")
    form.get_by_label("标题").fill(subject)
    form.get_by_label("来信内容").fill(body)
    expect(citizen.locator("#body-counter")).to_be_visible()
    expect(citizen.locator("#body-counter")).to_have_text(f"{len(body)} / 5000")
    form.get_by_role("textbox", name="姓名", exact=True).fill(name)
    form.get_by_role("textbox", name="联系电话", exact=True).fill(phone)
    form.get_by_label("我同意在答复后公开这封信", exact=False).check()
    _fits(citizen, "the write page")
    shot(citizen, "mailbox-write-phone")
    _submit(citizen, form.get_by_role("button", name="提交"))

    expect(citizen.locator("h1")).to_have_text("您的来信已提交")
    number = citizen.locator("#letter-number").inner_text().strip()
    code = citizen.locator("#query-code").inner_text().strip()
    assert re.fullmatch(r"\d{4}-[2-9A-HJKMNP-Z]{5}", number), f"unexpected letter number {number!r}"
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code), f"unexpected query code {code!r}"
    _fits(citizen, "the confirmation page")
    shot(citizen, "mailbox-submitted-phone")

    # -- the 教育厅 clerk accepts, assigns to their own department and replies (desktop) -------------------
    staff = page_for("staff", "desktop")
    staff.goto("/mailbox/inbox")
    _submit(staff, staff.locator("main").get_by_role("link", name=number))
    expect(staff.locator("h1")).to_have_text(subject)
    personal = staff.locator("section.personal-data")
    expect(personal).to_contain_text(name)
    expect(personal).to_contain_text(phone)
    expect(staff.locator(".letter-meta .badge").first).to_have_text("待受理")
    shot(staff, "mailbox-staff-new-desktop")

    _submit(staff, staff.locator(".mailbox-actions-panel").get_by_role("button", name="受理", exact=True))
    expect(staff.locator(".flash-success")).to_contain_text("受理")
    expect(staff.locator(".letter-meta .badge").first).to_have_text("已受理")

    assign = staff.locator("form[action$='/assign']")
    expect(assign.get_by_label("承办部门")).to_have_value("edu")  # the own department is preselected
    _submit(staff, assign.get_by_role("button", name="交办"))
    expect(staff.locator(".flash-success")).to_contain_text("交办")
    expect(staff.locator(".letter-meta .badge").first).to_have_text("办理中")

    answer = staff.locator("form[action$='/reply']")
    answer.get_by_label("答复内容").fill(reply)
    _submit(staff, answer.get_by_role("button", name="答复"))
    expect(staff.locator(".flash-success")).to_contain_text("答复")
    expect(staff.locator(".letter-meta .badge").first).to_have_text("已答复")
    expect(staff.locator("section.mailbox-reply")).to_contain_text(reply)
    shot(staff, "mailbox-staff-letter-desktop")

    # -- the citizen comes back later: tracks by number and query code, reads the reply, rates ---------
    citizen.context.clear_cookies()
    citizen.goto("/mailbox/")
    _submit(citizen, citizen.locator("main").get_by_role("link", name="查询办理进度"))
    track = citizen.locator("main form").filter(has=citizen.get_by_label("查询码"))
    track.get_by_label("信件编号").fill(number.lower())  # as people type it
    track.get_by_label("查询码").fill(code)
    _fits(citizen, "the tracking form")
    _submit(citizen, track.get_by_role("button", name="查询"))
    assert citizen.url.endswith(f"/mailbox/letters/{number}"), citizen.url
    expect(citizen.locator("h1")).to_have_text(subject)
    timeline = citizen.locator("ol.mailbox-timeline")
    for step in ("来信已收到", "已受理", "已交办", "已答复"):
        expect(timeline).to_contain_text(step)
    expect(timeline).not_to_contain_text("经办人")  # no staff personal data for the writer
    expect(citizen.locator("section.mailbox-reply")).to_contain_text(reply)
    _fits(citizen, "the tracking page")
    shot(citizen, "mailbox-tracking-phone")

    rating = citizen.locator("form[action$='/rating']")
    for dimension, score in (("解决程度", "5"), ("办理态度", "5"), ("办理速度", "4")):
        rating.locator("fieldset").filter(has_text=dimension).locator(f"input[value='{score}']").check()
    expect(citizen.locator(".rating-overall")).to_have_text("总体评价：5")
    rating.get_by_label("评价意见（选填）").fill("答复及时，解释清楚，谢谢。")
    _submit(citizen, rating.get_by_role("button", name="提交评价"))
    expect(citizen.locator(".flash-success")).to_contain_text("感谢您的评价")
    expect(citizen.locator("main")).to_contain_text("总体 5 分")
    expect(timeline).to_contain_text("已评价")
    _fits(citizen, "the rated letter")
    shot(citizen, "mailbox-rated-phone")

    # -- the moderator approves the publication case (desktop) -------------------------------------
    moderator = page_for("moderator", "desktop")
    moderator.goto("/moderation/?kind=mailbox.letter")
    case = moderator.locator("li.case").filter(has_text=token)
    expect(case).to_have_count(1)
    expect(case).not_to_contain_text(name)  # the moderator already sees the masked version
    expect(case).not_to_contain_text(phone)
    expect(case).to_contain_text(masked_phone)
    _submit(moderator, case.get_by_role("button", name="通过", exact=True))
    expect(moderator.locator(".flash-success")).to_contain_text("已通过")

    # -- the public (the same phone) sees it, masked ----------------------------------------------------
    citizen.context.clear_cookies()
    citizen.goto("/mailbox/public")
    item = citizen.locator("ol.mailbox-public-list li").filter(has_text=token)
    expect(item).to_have_count(1)
    listing = citizen.content()
    assert name not in listing and phone not in listing, "the public list shows the raw name or phone"
    assert masked_name in listing, "the list's snippet should show the masked name"
    _fits(citizen, "the public list")
    _submit(citizen, item.get_by_role("link"))
    assert citizen.url.endswith(f"/mailbox/public/{number}"), citizen.url
    expect(citizen.locator("h1")).to_have_text(subject)
    html = citizen.content()
    assert name not in html, "the public page shows the writer's name"
    assert phone not in html, "the public page shows the writer's phone number"
    assert masked_name in html and masked_phone in html, "the masked name and phone should be shown"
    assert reply in html
    _fits(citizen, "the public letter")
    shot(citizen, "mailbox-public-phone")


@pytest.mark.parametrize(("role", "path", "heading"), [
    ("staff", "/mailbox/inbox", "来信办理"),
    ("admin", "/mailbox/supervision", "电子监察"),
    ("admin", "/mailbox/supervision/overdue", None),
    (None, "/mailbox/public", "来信选登"),
])
def test_letter_lists_fit_a_phone(new_page, page_for, shot, role, path, heading):
    page = page_for(role, "phone") if role else new_page("phone")
    response = page.goto(path)
    assert response.status == 200
    if heading:
        expect(page.locator("h1")).to_contain_text(heading)
    _fits(page, path)
    shot(page, "mailbox-list-" + path.strip("/").replace("/", "-") + "-phone")
