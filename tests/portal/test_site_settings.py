"""Issue 18 item 6: the portal's conventions — footer and 留言须知 from site settings, what public letters show,
the home page's channels."""

import pytest
from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.keycheck import Setting
from interaction.core.settings import save_site_settings, site_settings
from interaction.mailbox import services
from interaction.moderation.models import ModerationCase
from interaction.moderation.services import decide_case
from tests.factories import make_department, make_letter, make_mailbox, make_user

SETTINGS = {"host": "湖南省人民政府办公厅", "contact": "长沙市韶山北路1号 0731-82218000", "hotline": "12345",
            "icp": "湘ICP备05000001号", "police_filing": "湘公网安备 43010502000001号",
            "writing_notice": "请文明用语，如实反映问题。\n涉及诉讼、仲裁的事项请通过法定途径解决。"}


def html(response):
    return response.get_data(as_text=True)


@pytest.fixture
def admin(app):
    user = make_user("admin", email="admin@example.com")
    db.session.commit()
    return user


def test_defaults_then_saved_settings_in_every_footer(app, client, admin, login, post_form):
    assert site_settings()["hotline"] == "12345" and site_settings()["host"] == ""
    home = html(client.get("/"))
    assert "政务服务便民热线" in home and 'href="tel:12345"' in home and "主办单位" not in home
    login(admin)
    form = html(client.get("/admin/site"))
    assert 'name="writing_notice"' in form and 'value="12345"' in form
    response = post_form("/admin/site", SETTINGS)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/site"
    assert db.session.get(Setting, "site.host").value == "湖南省人民政府办公厅"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "site.settings"))
    assert entry is not None and entry.actor_id == admin.id
    for page in ("/", "/mailbox/", "/questions/"):
        footer = html(client.get(page)).split('<footer', 1)[1]
        assert "主办单位：湖南省人民政府办公厅" in footer
        assert 'href="https://beian.miit.gov.cn/"' in footer and "湘ICP备05000001号" in footer
        assert "湘公网安备 43010502000001号" in footer and "0731-82218000" in footer
    write = html(client.get("/mailbox/write"))
    assert '<h2 id="writing-notice-title">留言须知</h2>' in write
    assert "<p>请文明用语，如实反映问题。</p>" in write and "<p>涉及诉讼、仲裁的事项请通过法定途径解决。</p>" in write
    assert write.index("留言须知") < write.index("<form method=\"post\" action=\"/mailbox/write\"")
    client.set_cookie("lang", "en")
    english = html(client.get("/"))
    assert "Sponsor: 湖南省人民政府办公厅" in english and "Government service hotline" in english


def test_only_administrators_set_them(app, client, login, post_form):
    staff = make_user("staff", make_department(), email="clerk@example.com")
    db.session.commit()
    assert client.get("/admin/site").status_code in (302, 401)
    login(staff)
    assert client.get("/admin/site").status_code == 403
    assert post_form("/admin/site", SETTINGS).status_code == 403
    assert db.session.get(Setting, "site.host") is None


def test_service_stores_only_known_keys_and_trims(app, admin):
    with app.test_request_context():
        values = save_site_settings({"host": "  办公厅  ", "unknown": "x", "icp": "a" * 500}, actor=admin)
        db.session.commit()
    assert values["host"] == "办公厅" and len(values["icp"]) == 200
    assert db.session.get(Setting, "site.unknown") is None
    assert site_settings()["host"] == "办公厅"


def test_public_letters_show_received_replied_department_and_satisfaction(app, client, clock):
    with app.test_request_context():
        department = make_department(code="office", name="省政府办公厅")
        staff, moderator = make_user("staff", department), make_user("moderator", email="mod@example.com")
        letter, _code = make_letter(make_mailbox(department), public_consent=True, subject="小区噪音问题")
        services.accept_letter(letter, actor=staff)
        services.assign_letter(letter, department, actor=staff)
        clock.advance(days=3)
        services.reply_letter(letter, "已责成施工单位整改。", actor=staff)
        case = db.session.scalar(select(ModerationCase).where(ModerationCase.kind == "mailbox.letter"))
        decide_case(case, "approve", actor=moderator)
        services.rate_letter(letter, 5, actor=None)
        db.session.commit()
    listing = html(client.get("/mailbox/public"))
    assert "来信日期：2026-11-02" in listing and "答复日期：2026-11-05" in listing
    assert "答复部门：省政府办公厅" in listing and "满意度：满意" in listing
    page = html(client.get(f"/mailbox/public/{letter.number}"))
    assert "<dt>来信日期</dt><dd>2026-11-02</dd>" in page and "<dt>满意度</dt><dd>满意</dd>" in page
    item = client.get("/api/v1/public/letters").get_json()["items"][0]
    assert item["satisfaction"] == "satisfied" and item["rating_score"] == 5
    assert item["department"] == "省政府办公厅" and item["received_at"].startswith("2026-11-02")


def test_home_page_offers_the_channels_in_service(app, client):
    from interaction.core.web import Channel

    home = html(client.get("/"))
    for title, url in (("领导信箱", "/mailbox/"), ("公众问答", "/questions/"), ("在线访谈", "/interviews/"),
                       ("民意调查", "/polls/")):
        assert f'<a href="{url}">{title}</a>' in home, title
        assert client.get(url).status_code == 200
    assert "即将开通" not in home
    app.extensions["interaction.channels"].append(Channel("web.index", "网上调查", "稍后上线", in_service=False))
    home = html(client.get("/"))
    assert "网上调查 <span class=\"badge\">即将开通</span>" in home
