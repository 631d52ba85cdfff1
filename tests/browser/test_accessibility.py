"""axe-core on every page, in both languages and on both screens, and the README's screenshots.

Every page a person can open (each as the role that opens it, pages with ids found through their
lists' links) is visited once per language × viewport (390 px phone, 1366 px desktop), plus the
live room of an interview while it is live, and audited with axe-core (a11y.py): no serious or
critical violation anywhere. One browser for the session; one context per role and combination.

While the Chinese pages are open anyway, the main ones are saved as docs/screenshots/<name>-<viewport>.png:
the README shows them, and this run keeps them current.
"""

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser import a11y
from tests.browser.conftest import DEMO_EMAILS, demo_password, sign_in

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
COMBOS = [(lang, viewport) for lang in ("zh_CN", "en") for viewport in ("phone", "desktop")]
LIVE = "__live_room__"
ENDED = "__transcript__"  # an ended interview's 文字实录, with a question handed over to the department


class Link:
    """A page reached through the first link on *listed*'s page whose path matches *pattern*.

    *optional*: the demo data may have no such record (a draft poll, a citizen's own letter); it is
    then reported, not failed.
    """

    def __init__(self, listed: str, pattern: str, optional: bool = False):
        self.listed, self.pattern, self.optional = listed, re.compile(pattern), optional

    def __repr__(self):
        return f"<first {self.pattern.pattern} on {self.listed}>"


# role -> pages, in order (a Link's list page comes before it). Screenshot names for the README.
PAGES = {
    None: [
        ("/", "home"), ("/login", None), ("/register", None), ("/mailbox/", "mailbox"), ("/mailbox/track", None),
        ("/mailbox/public", "mailbox-public"), (Link("/mailbox/public", r"^/mailbox/public/[^/?]+$"), "letter-public"),
        ("/interviews/", "interviews"), (LIVE, "interview-live"), (ENDED, "interview-transcript"),
        ("/questions/", "questions"), (Link("/questions/", r"^/questions/\d+$"), "question"),
        ("/questions/faq", None), (Link("/questions/faq", r"^/questions/faq/[^/?]+$"), None),
        ("/polls/", "polls"), (Link("/polls/", r"^/polls/\d+$"), "poll"),
        (Link("/polls/", r"^/polls/\d+/results$"), None),
        ("/search?q=%E6%95%99%E8%82%B2", "search"), ("/oversight/public", None), ("/no-such-page", None),
    ],
    "citizen": [
        ("/account", None), ("/account/password", None), ("/mailbox/write", "letter-write"), ("/mailbox/mine", None),
        (Link("/mailbox/mine", r"^/mailbox/letters/[^/?]+$", optional=True), None),
        ("/interviews/mine", None), ("/questions/mine", None), ("/questions/ask", None), ("/moderation/mine", None),
        (LIVE, None), (ENDED, None),
    ],
    "staff": [
        ("/mailbox/inbox", "staff-inbox"), (Link("/mailbox/inbox", r"^/mailbox/staff/letters/[^/?]+$"), "staff-letter"),
        ("/mailbox/register", None), ("/interviews/handovers", None), ("/questions/work", None),
        (Link("/questions/work", r"^/questions/\d+/answer$", optional=True), None),
        ("/polls/manage", None), ("/polls/new", None),
        (Link("/polls/manage", r"^/polls/\d+/edit$", optional=True), None),
        (Link("/polls/manage", r"^/polls/\d+/report$", optional=True), None),
        (LIVE, None),
    ],
    "moderator": [
        ("/moderation/", "moderation"), (Link("/moderation/", r"^/moderation/cases/\d+$"), None),
        ("/moderation/words", None), ("/interviews/new", None), (LIVE, "interview-moderator"),
    ],
    "admin": [
        ("/admin/", None), ("/admin/users", None), (Link("/admin/users", r"^/admin/users/\d+$"), None),
        ("/admin/users/new", None), ("/admin/departments", None),
        (Link("/admin/departments", r"^/admin/departments/\d+/edit$"), None), ("/admin/departments/new", None),
        ("/admin/audit", None), ("/admin/calendar/", None), (Link("/admin/calendar/", r"^/admin/calendar/\d+$"), None),
        ("/admin/search/terms", None), ("/mailbox/admin/mailboxes", None),
        (Link("/mailbox/admin/mailboxes", r"^/mailbox/admin/mailboxes/\d+/edit$"), None),
        ("/mailbox/admin/mailboxes/new", None), ("/questions/admin/settings", None),
        ("/mailbox/supervision", "supervision"), ("/mailbox/supervision/overdue", None),
        ("/oversight/performance", None), ("/oversight/compliance", None), ("/admin/site", None),
    ],
}


@pytest.fixture(scope="module")
def live_interview(browser, live_server):
    """A live interview (scheduled and started through the API as the demo moderator): its room's path."""
    context = browser.new_context(base_url=live_server)
    try:
        api = context.request
        token = api.post("/api/v1/auth/token", data={"email": DEMO_EMAILS["moderator"],
                                                     "password": demo_password()}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        start = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=1)
        created = api.post("/api/v1/interviews", headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, data={
            "title": "课后服务怎么办 在线访谈", "department": "edu", "scheduled_at": start.isoformat(),
            "description": "教育厅负责人在线解答课后服务的收费、时间和内容安排。",
            "guests": [{"name": "李老师", "title": "教育厅基础教育处处长", "user": DEMO_EMAILS["staff"]},
                       {"name": "王主持", "title": "省政府门户网站主持人", "role": "host"}]})
        assert created.status == 201, created.text()
        interview_id = created.json()["id"]
        started = api.post(f"/api/v1/interviews/{interview_id}/start", headers=headers)
        assert started.ok, started.text()
        yield f"/interviews/{interview_id}"
    finally:
        context.close()


def _api_token(api, role) -> dict:
    signed_in = api.post("/api/v1/auth/token", data={"email": DEMO_EMAILS[role], "password": demo_password()})
    return {"Authorization": f"Bearer {signed_in.json()['token']}"}


def _post(api, path, headers, data=None):
    response = api.post(path, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, data=data or {})
    assert response.ok, f"{path}: {response.status} {response.text()}"
    return response.json()


#: live server → the ended interview's transcript: made once per session, though two modules use the fixture
#: (one person may ask once in 30 seconds).
_ENDED: dict[str, str] = {}


@pytest.fixture(scope="module")
def ended_interview(browser, live_server):
    """An ended interview (through the API): a question answered live, another handed over as a letter."""
    if live_server in _ENDED:
        yield _ENDED[live_server]
        return
    context = browser.new_context(base_url=live_server)
    try:
        api = context.request
        # Asked by staff and the administrator: the citizen and the moderator ask in other browser tests,
        # and one person may ask once in 30 seconds.
        moderator, staff, admin = (_api_token(api, role) for role in ("moderator", "staff", "admin"))
        start = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=1)
        interview_id = _post(api, "/api/v1/interviews", moderator, {
            "title": "午休“躺睡”怎么安排 在线访谈", "department": "edu", "scheduled_at": start.isoformat(),
            "guests": [{"name": "王主持", "title": "省政府门户网站主持人", "role": "host"}]})["id"]
        _post(api, f"/api/v1/interviews/{interview_id}/start", moderator)
        asked = f"/api/v1/interviews/{interview_id}/questions"
        answered = _post(api, asked, staff, {"body": "午休床位什么时候到位？"})
        _post(api, f"/api/v1/interviews/questions/{answered['id']}/approve", moderator)
        _post(api, f"/api/v1/interviews/{interview_id}/answers", moderator,
              {"body": "下学期开学前全部到位。", "question": answered["id"]})
        waiting = _post(api, asked, admin, {"body": "午休要另外收费吗？"})
        _post(api, f"/api/v1/interviews/questions/{waiting['id']}/approve", moderator)
        _post(api, f"/api/v1/interviews/{interview_id}/end", moderator)
        _ENDED[live_server] = f"/interviews/{interview_id}/transcript"
    finally:
        context.close()
    yield _ENDED[live_server]


def _context(browser, live_server, lang, viewport):
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=live_server, locale="zh-CN",
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1,
                                  bypass_csp=True)  # axe is added as a script tag (a11y.py)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    context.set_default_timeout(15_000)
    return context


def _resolve(target, hrefs: dict, live_room: str, transcript: str):
    if target == LIVE:
        return live_room
    if target == ENDED:
        return transcript
    if isinstance(target, Link):
        for href in hrefs.get(target.listed, ()):
            if target.pattern.match(href):
                return href
        return None
    return target


@pytest.mark.parametrize(("lang", "viewport"), COMBOS, ids=[f"{lang}-{vp}" for lang, vp in COMBOS])
def test_axe_on_every_page(browser, live_server, live_interview, ended_interview, lang, viewport):
    failures, audited, missing, optional, moderate = [], 0, [], [], {}
    for role, pages in PAGES.items():
        context = _context(browser, live_server, lang, viewport)
        try:
            page = context.new_page()
            if role:
                sign_in(page, DEMO_EMAILS[role], demo_password())
            hrefs: dict[str, list[str]] = {}
            for target, name in pages:
                path = _resolve(target, hrefs, live_interview, ended_interview)
                if path is None:
                    (optional if target.optional else missing).append(f"{role or 'anonymous'}: {target!r}")
                    continue
                page.goto(path)
                if target == LIVE:
                    page.wait_for_function("document.querySelector('[data-testid=connection-status]')"
                                           ".textContent.trim() !== ''")
                hrefs[path] = page.eval_on_selector_all(
                    "main a[href]", "els => els.map(a => a.getAttribute('href'))")
                found = a11y.violations(page)
                audited += 1
                for v in found:
                    if v["impact"] not in a11y.BLOCKING:
                        moderate[f"{v['id']} ({v['impact']})"] = moderate.get(f"{v['id']} ({v['impact']})", 0) + 1
                if a11y.blocking(found):
                    failures.append(a11y.describe(f"{role or 'anonymous'} {path}", a11y.blocking(found)))
                if name and lang == "zh_CN":
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport}.png"), full_page=True)
        finally:
            context.close()
    print(f"\naxe {lang} {viewport}: {audited} pages, {sum(f.count(': [') for f in failures)} serious/critical "
          f"violations (rule × page); minor/moderate (pages): {moderate}; no such record in the demo data: {optional}")
    print("\n".join(failures))
    assert not failures, "\n" + "\n".join(failures)
    assert not missing, f"pages whose link was not found: {missing}"
