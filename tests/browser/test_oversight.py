"""Oversight in a real browser: an administrator opens the performance page, changes the period, opens a
formula with the keyboard and downloads the XLSX; the page on a 360 px phone has no sideways scrolling; axe-core.
"""

import io
from datetime import date

from openpyxl import load_workbook

from tests.browser.conftest import DEMO_EMAILS, demo_password, sign_in

try:
    from tests.browser import a11y
except ImportError:
    a11y = None


def test_administrator_changes_the_period_and_downloads_xlsx(page_for):
    page = page_for("admin")
    page.goto("/oversight/performance")
    assert page.get_by_role("heading", name="部门绩效评估").is_visible()
    year = date.today().year
    page.select_option("#period", "month")
    page.fill("#year", str(year))
    page.select_option("#month", "1")
    page.get_by_role("form", name="统计期间").get_by_role("button", name="查询").click()
    page.wait_for_url("**/oversight/performance?*period=month*")
    assert page.get_by_text(f"统计期间：{year}-01-01 至 {year}-01-31").is_visible()

    summary = page.locator("details.formula summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.formula").first.evaluate("d => d.open")
    assert page.locator("details.formula p").first.is_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel（XLSX）").click()
    download = download_info.value
    assert download.suggested_filename == f"performance-{year}-01-01-{year}-01-31.xlsx"
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    assert book.sheetnames == ["部门绩效", "指标定义"]
    assert book["部门绩效"]["A2"].value == "部门"
    assert page.locator("#export-status").inner_text() == "导出文件已生成。"


def test_performance_page_on_a_phone(page_for, browser, live_server):
    page = page_for("admin", viewport=(360, 740))
    page.goto("/oversight/performance")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    if a11y is None:
        return
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server, bypass_csp=True,
                                  locale="zh-CN")
    try:
        audited = context.new_page()
        sign_in(audited, DEMO_EMAILS["admin"], demo_password())
        for path in ("/oversight/performance", "/oversight/compliance", "/oversight/public"):
            audited.goto(path)
            found = a11y.blocking(a11y.violations(audited))
            assert not found, a11y.describe(path, found)
    finally:
        context.close()
