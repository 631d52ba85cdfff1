"""The desk on a phone and in English (issue 18, items 2, 3, 8, 11 and the accessibility checks).

- Item 2: the staff inbox on a 390 px phone shows every field of a letter as a card (nothing off to
  the right), in both languages; letter numbers and "days left" never break (desktop too).
- Item 3: in the live room a moderator sees the name an entry will carry before sending it, and
  their sidebar does not start with the citizen's question form.
- Item 8: the English brand stays on one line on a phone.
- Item 11: signed in as staff on a phone, the navigation folds behind a menu button that the
  keyboard opens and Escape closes (aria-expanded follows).
- After a failed submit focus moves to an error summary linking each field; boxes to tick are
  44 px tall targets; approve and reject differ by more than colour.

After-screenshots of items 2 and 3 go to docs/screenshots/after/ (the before ones are in before/).
"""

from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails when servers are required)
    expect = None

from tests.browser.test_accessibility import ended_interview, live_interview  # noqa: F401 - fixtures

AFTER = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "after"


def _save(page, name):
    AFTER.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(AFTER / f"{name}.png"), full_page=True)


def _single_line(page, selector) -> None:
    """Every element matching *selector* is one line of text (its height is its line height)."""
    tall = page.eval_on_selector_all(selector, """els => els.filter(e => {
        const lh = parseFloat(getComputedStyle(e).lineHeight) || 1.7 * parseFloat(getComputedStyle(e).fontSize);
        return e.getClientRects().length > 1 || e.getBoundingClientRect().height > lh * 1.5;
    }).map(e => e.textContent.trim())""")
    assert not tall, f"wrapped: {tall}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_staff_inbox_is_cards_on_a_phone(page_for, lang):
    page = page_for("staff", "phone", lang=lang)
    page.goto("/mailbox/inbox")
    rows = page.locator("table.card-table tbody tr")
    assert rows.count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    for cell in rows.first.locator("td").all():
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{cell.inner_text()!r} is off the screen"
        label = cell.get_attribute("data-label")
        assert label and page.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle()) \
            == f'"{label}"', "each field shows its heading"
    _single_line(page, "table.card-table td.nowrap a, table.card-table td.nowrap")
    _save(page, f"inbox-phone-{lang}")
    rows.first.scroll_into_view_if_needed()
    page.screenshot(path=str(AFTER / f"inbox-phone-{lang}-cards.png"))  # one screen: the cards as read


def test_letter_numbers_do_not_break_on_the_desktop(page_for):
    page = page_for("staff", "desktop", lang="en")
    page.goto("/mailbox/inbox")
    _single_line(page, "table.card-table td.nowrap a")
    _save(page, "inbox-desktop-en")


def test_moderator_sees_the_name_an_entry_will_carry(page_for, live_interview):  # noqa: F811
    page = page_for("moderator", "phone")
    page.goto(live_interview)
    side = page.locator("aside.room-side > section").first
    assert side.get_attribute("id") != "ask", "a moderator's sidebar starts with the citizen's question form"
    speaker = page.locator("#answer-guest")
    preview = page.get_by_test_id("answer-speaker")
    chosen = speaker.locator("option:checked").inner_text()
    assert "我本人" not in speaker.inner_text()
    assert chosen == "王主持（省政府门户网站主持人）", "the host is the moderator's default voice"
    expect(preview).to_have_text(f"发布后署名：{chosen}")
    speaker.select_option(label="李老师（教育厅基础教育处处长）")
    expect(preview).to_have_text("发布后署名：李老师（教育厅基础教育处处长）")
    speaker.select_option(label=chosen)
    _save(page, "room-moderator-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    _save(page, "room-moderator-desktop")


def test_phone_header_folds_into_a_menu_button(page_for):
    page = page_for("staff", "phone")
    page.goto("/")
    header = page.locator("header.site-header")
    button = page.locator("button.menu-toggle")
    menu = page.locator("#site-menu")
    expect(button).to_be_visible()
    expect(menu).to_be_hidden()
    assert header.bounding_box()["height"] <= 140, "the header takes more than two rows"
    page.screenshot(path=str(AFTER / "header-staff-phone.png"))
    expect(button).to_have_attribute("aria-expanded", "false")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="来信办理")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    # On the desktop there is no button and the navigation is open.
    desktop = page_for("staff", "desktop")
    desktop.goto("/")
    expect(desktop.locator("button.menu-toggle")).to_be_hidden()
    expect(desktop.locator("#site-menu")).to_be_visible()


def test_english_brand_stays_on_one_line_on_a_phone(page_for):
    page = page_for("staff", "phone", lang="en")
    page.goto("/")
    _single_line(page, "a.brand")
    brand, button = page.locator("a.brand").bounding_box(), page.locator("button.menu-toggle").bounding_box()
    assert button["y"] < brand["y"] + brand["height"], "the menu button went to a row of its own"
    assert page.locator("header.site-header").bounding_box()["height"] <= 140
    expect(page.locator("button.menu-toggle")).to_have_accessible_name("Menu")
    _save(page, "header-staff-phone-en")


def test_failed_submit_focuses_an_error_summary(page_for):
    page = page_for("citizen", "phone")
    page.goto("/mailbox/write")
    form = page.locator("main form").filter(has=page.locator("textarea")).first
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    links = summary.locator("a")
    assert links.count() == page.locator("main p.error[id$='-error']").count() >= 1
    target = links.first.get_attribute("href")[1:]
    links.first.click()
    assert page.evaluate("document.activeElement.id") == target


def test_touch_targets_and_verdict_buttons(page_for):
    page = page_for("moderator", "phone")
    page.goto("/moderation/")
    small = page.eval_on_selector_all(
        "main a, main button, main input:not([type=hidden]), main select, main label.check",
        """els => els.filter(e => e.offsetParent !== null && !e.closest('p, li, td, dd') && !e.closest('label.check')
            || e.matches('label.check')).map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)""")
    assert not small, f"targets under 44 px: {small}"
    approve, reject = page.locator("button.approve").first, page.locator("button.reject").first
    if approve.count() and reject.count():
        colours = [page.evaluate("b => getComputedStyle(b).backgroundColor", b.element_handle())
                   for b in (approve, reject)]
        assert colours[0] != colours[1]
        assert page.evaluate("b => getComputedStyle(b, '::before').content", approve.element_handle()) != \
            page.evaluate("b => getComputedStyle(b, '::before').content", reject.element_handle())


def test_interview_guests_are_rows(page_for):
    """Guests are entered as rows with a label per field; 增加一行 adds a numbered row from the keyboard."""
    page = page_for("moderator", "phone")
    page.goto("/interviews/new")
    rows = page.get_by_test_id("guest-row")
    expect(rows).to_have_count(4)
    rows.nth(3).get_by_label("姓名").fill("赵嘉宾")
    add = page.get_by_role("button", name="增加一行")
    add.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(5)
    fifth = rows.nth(4)
    expect(fifth.locator("legend")).to_have_text("第 5 位")
    expect(fifth.get_by_label("姓名")).to_be_focused()
    expect(fifth.get_by_label("姓名")).to_have_value("")
    assert fifth.get_by_label("姓名").get_attribute("name") == "guests-4-name"
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_handed_over_question_has_no_dead_link(new_page, page_for, ended_interview):  # noqa: F811
    """Item 1: the public sees where the question went and its state; the asker also gets the link."""
    for viewer in (new_page("phone"), page_for("citizen", "phone")):  # anonymous; a citizen who did not ask
        viewer.goto(ended_interview)
        handed = viewer.locator("#handed-over").get_by_test_id("handed-to")
        expect(handed).to_contain_text("已作为来信转交教育厅办理，当前状态：待受理")
        expect(handed.locator("a")).to_have_count(0)
    asker = page_for("admin", "phone")  # the fixture's asker
    asker.goto(ended_interview)
    link = asker.locator("#handed-over").get_by_test_id("handed-to").locator("a")
    expect(link).to_have_count(1)
    with asker.expect_navigation():
        link.click()
    assert "/mailbox/" in asker.url and "/letters/" in asker.url
    expect(asker.locator("main h1")).to_be_visible()

