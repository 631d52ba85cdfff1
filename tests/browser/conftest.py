"""Browser tests: the real app in a subprocess, driven by Playwright with Debian's Chromium.

Fixtures for every feature's browser tests:

- ``live_server``: base URL of ``python wsgi.py`` on a free port, with its own SQLite file,
  migrated (or created, while migrations/versions is empty) and loaded with ``flask seed-demo``.
- ``browser``: a headless Chromium (``/usr/bin/chromium``; Playwright's download does not work here).
- ``new_page(viewport="phone"|"desktop"|(w, h), lang=None)``: a fresh, signed-out page.
- ``page_for(role, viewport)``: a page signed in through the real sign-in page as the demo
  account of *role* (citizen, staff, moderator, admin).
- ``demo_account(role)``: that demo account's e-mail, name, role and department.
- ``shot(page, name)``: a full-page screenshot in tests/browser/artifacts/<name>.png.

Mark tests ``@pytest.mark.browser`` (every test in this folder is marked automatically).
Without Chromium or Playwright the tests skip, unless INTERACTION_TEST_REQUIRE_SERVERS=1.
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port, server_unavailable, stop_processes

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("INTERACTION_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
DEMO_EMAILS = {role: f"{role}@demo.gov.cn" for role in ("citizen", "staff", "moderator", "admin")}
STARTUP_SECONDS = 60


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def demo_password() -> str:
    from interaction import demo

    return demo.DEMO_PASSWORD


@pytest.fixture(scope="session")
def demo_account():
    """``demo_account(role)``: the demo account as interaction/demo.py defines it (email, name...)."""
    from interaction import demo

    def _account(role: str) -> dict:
        for email, account_role, department, name, _phone in demo.ACCOUNTS:
            if email == DEMO_EMAILS[role]:
                return {"email": email, "role": account_role, "department": department, "name": name}
        raise LookupError(f"no demo account {DEMO_EMAILS[role]} in interaction/demo.py")

    return _account



def _has_revisions() -> bool:
    return any((ROOT / "migrations" / "versions").glob("*.py"))


CREATE_ALL = (
    "from interaction import create_app\n"
    "from interaction.core.db import db\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    db.create_all()\n"
)


def _run(args, env, log):
    result = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=300)
    log.write(f"$ {' '.join(args)}\n{result.stdout}\n")
    if result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Serve the app as `make run` would, on a free port, and yield its base URL."""
    workdir = tmp_path_factory.mktemp("live")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERACTION_", "DATABASE_URL", "REDIS_URL"))}
    env.update({
        "DATABASE_URL": f"sqlite:///{workdir / 'browser.db'}",
        "INTERACTION_SECRET_KEY": "browser-test-secret",
        "INTERACTION_RATELIMIT": "0",  # many sign-ins from one address in a few seconds
        "PYTHONUNBUFFERED": "1",
    })
    python = sys.executable
    flask = [python, "-m", "flask", "--app", "wsgi"]
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        if _has_revisions():
            _run([*flask, "db", "upgrade"], env, log)
        else:  # until the lead generates the first revision
            _run([python, "-c", CREATE_ALL], env, log)
        _run([*flask, "seed-demo"], env, log)
    port = free_port()
    log = log_path.open("a")
    process = subprocess.Popen([python, "wsgi.py", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /healthz in {STARTUP_SECONDS}s:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        stop_processes(process)
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        server_unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        server_unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def _viewport(viewport) -> dict:
    if isinstance(viewport, str):
        return VIEWPORTS[viewport]
    width, height = viewport
    return {"width": width, "height": height}


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(viewport="phone", lang=None)``: a fresh browser context and page (no cookies)."""
    contexts = []

    def _new(viewport="desktop", lang=None):
        phone = viewport == "phone"
        context = browser.new_context(viewport=_viewport(viewport), base_url=live_server, locale="zh-CN",
                                      is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
        if lang:
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the real sign-in page, as a person would."""
    page.goto("/login")
    form = page.locator("main form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/login" not in page.url, f"sign-in as {email} failed: still on {page.url}"


@pytest.fixture
def page_for(new_page):
    """``page_for(role, viewport="desktop", lang=None)``: a page signed in as the demo *role*."""

    def _page_for(role, viewport="desktop", lang=None):
        page = new_page(viewport, lang=lang)
        sign_in(page, DEMO_EMAILS[role], demo_password())
        return page

    return _page_for


@pytest.fixture
def shot():
    """``shot(page, name)``: save a full-page screenshot as tests/browser/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(page, name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
