"""Each demo role signs in through the real page and sees its own navigation, on a phone and a desktop.

What each role should see is worked out from the app itself (the registered work links and
their permissions), so a feature that adds a link is checked without editing this file.
"""

import re

import pytest

from interaction.accounts.permissions import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.browser

ROLES = ["citizen", "staff", "moderator", "admin"]
VIEWPORTS = ["phone", "desktop"]


@pytest.fixture(scope="module")
def nav_by_role():
    """{role: (hrefs the role must see in the main navigation, hrefs it must not see)}."""
    from tests.helpers import make_test_app

    app = make_test_app("sqlite://")
    links = app.extensions.get("interaction.nav_links", [])
    with app.test_request_context("/"):
        from flask import url_for

        resolved = [(url_for(link.endpoint, _external=False), link.permission) for link in links]
    result = {}
    for role in ROLES:
        granted = ROLE_PERMISSIONS[Role(role)]
        visible = {href for href, perm in resolved if perm is None or (granted & perm) == perm}
        result[role] = (visible, {href for href, _perm in resolved} - visible)
    return result


def test_roles_differ_in_navigation(nav_by_role):
    assert nav_by_role["admin"][0] > nav_by_role["citizen"][0], "administrators should see work links citizens do not"


def _main_nav_hrefs(page) -> set[str]:
    return set(page.eval_on_selector_all("nav.main-nav a[href]", "links => links.map(a => a.getAttribute('href'))"))


def _open_menu(page) -> None:
    """On a phone the preferences and the navigation are folded behind the menu button (issue 18, item 11)."""
    button = page.locator("button.menu-toggle")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_role_signs_in_and_sees_its_navigation(page_for, shot, nav_by_role, demo_account, role, viewport):
    page = page_for(role, viewport)
    _open_menu(page)
    account = demo_account(role)
    header = page.locator("header.site-header")
    assert account["name"] in header.inner_text(), f"{role}: the account name is not shown after signing in"
    account_link = header.get_by_text(account["name"], exact=False).first
    assert account_link.is_visible(), f"{role}: the account name is not visible on the {viewport}"

    must_see, must_not_see = nav_by_role[role]
    hrefs = _main_nav_hrefs(page)
    assert must_see <= hrefs, f"{role} should see {sorted(must_see - hrefs)} in the main navigation"
    assert not (must_not_see & hrefs), f"{role} must not see {sorted(must_not_see & hrefs)}"
    for href in must_see:
        assert page.locator(f'nav.main-nav a[href="{href}"]').first.is_visible(), f"{href} hidden on the {viewport}"

    if viewport == "phone":
        assert _no_horizontal_scroll(page), f"{role}: the page scrolls sideways at 390 px"
    shot(page, f"role-{role}-{viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", ["/", "/login", "/register", "/no-such-page"])
def test_public_pages_fit_the_screen(new_page, shot, viewport, path):
    page = new_page(viewport)
    page.goto(path)
    assert _no_horizontal_scroll(page), f"{path} scrolls sideways on the {viewport}"
    name = path.strip("/").replace("/", "-") or "home"
    shot(page, f"public-{name}-{viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_tab_reaches_the_skip_link_first(new_page, viewport):
    page = new_page(viewport)
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert "skip-link" in focused[0] and focused[1] == "#main", f"first Tab stop is {focused}"
    box = page.locator(".skip-link").bounding_box()
    assert box and box["y"] >= 0 and box["x"] >= 0, "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", "the skip link must move focus to the main content"


def test_large_text_toggle_enlarges_and_persists(new_page, shot):
    page = new_page("phone")
    page.goto("/")
    before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert "large-text" not in (page.get_attribute("html", "class") or "")
    _open_menu(page)
    with page.expect_navigation():
        page.locator("nav.prefs form[action$='/preferences/large-text'] button").click()
    assert "large-text" in page.get_attribute("html", "class")
    after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert after >= before * 1.15, f"large text should be clearly larger ({before}px -> {after}px)"
    page.goto("/login")
    assert "large-text" in page.get_attribute("html", "class"), "the choice must persist across pages"
    assert _no_horizontal_scroll(page), "large text must still fit a 390 px screen"
    shot(page, "large-text-login-phone")
    _open_menu(page)
    with page.expect_navigation():
        page.locator("nav.prefs form[action$='/preferences/large-text'] button").click()
    assert "large-text" not in (page.get_attribute("html", "class") or "")


def test_language_switch_in_the_browser(new_page, shot):
    page = new_page("phone")
    page.goto("/login")
    _open_menu(page)
    with page.expect_navigation():
        page.locator("nav.prefs button[lang=en]").click()
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.endswith("/login"), "switching language stays on the same page"
    # The page's own text is test_i18n's business; the layout around it is checked here. What
    # administrators entered in the site settings (a 主办单位's name, filing numbers) is their data, in
    # their language: only the footer's own labels (before a colon) must be English.
    header = page.locator("header.site-header").inner_text().replace("中文", "")
    footer = page.locator("footer.site-footer").evaluate("""footer => {
        const copy = footer.cloneNode(true);
        copy.querySelectorAll(".site-facts li").forEach(item => {
            item.textContent = item.querySelector("a") && !item.textContent.includes(":")
                ? "" : item.textContent.split(":")[0];
        });
        return copy.textContent;
    }""")
    for region, text in (("header.site-header", header), ("footer.site-footer", footer)):
        assert not re.search(r"[\u4e00-\u9fff]", text), f"{region} in English still shows Chinese: {text!r}"
    shot(page, "english-login-phone")


@pytest.mark.parametrize("role", [None, "admin"])
def test_header_tap_targets_are_big_enough_on_a_phone(new_page, page_for, role):
    page = page_for(role, "phone") if role else new_page("phone")
    page.goto("/")
    _open_menu(page)
    small = page.eval_on_selector_all(
        "header a, header button",
        "els => els.filter(e => e.offsetParent !== null)"
        "          .map(e => [e.textContent.trim(), Math.round(e.getBoundingClientRect().height)])"
        "          .filter(([, h]) => h < 44)",
    )
    assert not small, f"header controls smaller than 44 px on a phone: {small}"
