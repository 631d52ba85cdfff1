"""集中查询 end to end, against ``python wsgi.py`` and the demo data: the header's box on a phone finds the
published demo letter, the words are marked, the result opens the letter; a query with no match says so.

Every wait is on the DOM or a navigation (Playwright), never a sleep.
"""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails when servers are required)
    expect = None

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_header_box_finds_the_published_letter(new_page, shot, viewport):
    page = new_page(viewport)
    page.goto("/")
    box = page.get_by_role("search").first
    box.get_by_label("集中查询").fill("转学")
    with page.expect_navigation():
        box.get_by_role("button", name="查询").click()
    assert "/search?q=" in page.url
    results = page.locator("ol.search-results > li")
    expect(results.first).to_contain_text("孩子转学需要准备哪些材料")
    expect(results.first.locator("mark").first).to_have_text("转学")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
    shot(page, f"search-results-{viewport}")
    with page.expect_navigation():
        results.first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("孩子转学需要准备哪些材料")

    page.goto("/search?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1%E8%A1%A5%E5%8A%9E")  # 社保卡补办: nothing published
    expect(page.locator("#search-message")).to_contain_text("没有找到")
    page.goto("/search?q=" + "医" * 300)
    expect(page.locator("#search-message")).to_contain_text("不能超过 200 个字")
