"""Publication: after the reply, with consent, the masked letter goes through moderation to the public pages."""

from sqlalchemy import select

from interaction.core.db import db
from interaction.mailbox.models import Letter
from interaction.moderation.models import ModerationCase


def handled_letter(client, headers, world, payload):
    data = client.post("/api/v1/letters", json=payload).get_json()
    admin = headers(world.admin)
    for body in ({"action": "accept"}, {"action": "assign", "department": "edu"},
                 {"action": "reply", "body": "王小明您好，已处理。联系电话 0731-84567890。"}):
        assert client.post(f"/api/v1/letters/{data['number']}/actions", json=body, headers=admin).status_code == 200
    return data


def decide(client, headers, world, verdict="approve"):
    case = db.session.scalar(select(ModerationCase).filter_by(kind="mailbox.letter"))
    response = client.post(f"/api/v1/moderation/cases/{case.id}/decision",
                           json={"verdict": verdict, "reason": "含不宜公开内容"}, headers=headers(world.moderator))
    assert response.status_code == 200, response.get_json()
    return case


def test_moderator_sees_the_masked_version(client, world, headers, letter_payload):
    handled_letter(client, headers, world, letter_payload)
    cases = client.get("/api/v1/moderation/cases", query_string={"kind": "mailbox.letter"},
                       headers=headers(world.moderator)).get_json()["items"]
    assert len(cases) == 1
    target = cases[0]["target"]
    assert target["title"] == "小区噪音问题"
    assert "王小明" not in target["text"] and "王**" in target["text"]
    assert "13812345678" not in target["text"] and "138****5678" in target["text"]
    assert "84567890" not in target["text"]


def test_nothing_public_before_approval_then_masked_everywhere(client, world, headers, letter_payload):
    letter_payload["subject"] = "王小明反映小区噪音问题"
    data = handled_letter(client, headers, world, letter_payload)
    assert client.get("/api/v1/public/letters").get_json()["total"] == 0
    assert client.get(f"/mailbox/public/{data['number']}").status_code == 404
    decide(client, headers, world)
    listing = client.get("/api/v1/public/letters").get_json()
    assert listing["total"] == 1
    item = listing["items"][0]
    assert item["subject"] == "王**反映小区噪音问题"
    assert item["reply_department"] == "教育厅" and item["category"] == "complaint"
    assert item["received_at"] and item["replied_at"] and item["accepted_at"]
    text = str(item)
    assert "王小明" not in text and "13812345678" not in text and "wang@example.com" not in text
    for url in ("/mailbox/public", f"/mailbox/public/{data['number']}", "/mailbox/public?q=噪音", "/mailbox/"):
        page = client.get(url).get_data(as_text=True)
        assert "王**反映小区噪音问题" in page, url
        assert "王小明" not in page and "13812345678" not in page and "84567890" not in page, url
    detail = client.get(f"/mailbox/public/{data['number']}").get_data(as_text=True)
    assert "<title>王**反映小区噪音问题" in detail
    for label in ("受理日期", "答复日期", "答复部门", "答复内容"):
        assert label in detail


def test_search_finds_masked_text_only(client, world, headers, letter_payload):
    handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    assert client.get("/api/v1/public/letters", query_string={"q": "工地"}).get_json()["total"] == 1
    assert client.get("/api/v1/public/letters", query_string={"q": "工地 噪音"}).get_json()["total"] == 1
    assert client.get("/api/v1/public/letters", query_string={"q": "王小明"}).get_json()["total"] == 0
    assert client.get("/api/v1/public/letters", query_string={"q": "13812345678"}).get_json()["total"] == 0
    assert client.get("/api/v1/public/letters", query_string={"q": "100%"}).get_json()["total"] == 0
    snippet_page = client.get("/mailbox/public", query_string={"q": "工地"}).get_data(as_text=True)
    assert "工地" in snippet_page and "13812345678" not in snippet_page


def test_rejected_publication_stays_private(client, world, headers, letter_payload):
    handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world, verdict="reject")
    assert client.get("/api/v1/public/letters").get_json()["total"] == 0
    letter = db.session.scalar(select(Letter))
    assert letter.is_published is False and letter.publication_state == "rejected"


def test_no_consent_no_moderation_case(client, world, headers, letter_payload):
    letter_payload["public_consent"] = False
    handled_letter(client, headers, world, letter_payload)
    assert db.session.scalar(select(ModerationCase).filter_by(kind="mailbox.letter")) is None


def test_public_pages_open_no_session_for_anonymous_visitors(app, client, world, headers, letter_payload):
    """What anyone may read costs no session: no CSRF token, no Set-Cookie (the search is a GET form)."""
    data = handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    visitor = app.test_client()
    for url in ("/mailbox/", "/mailbox/public", "/mailbox/public?q=噪音", f"/mailbox/public/{data['number']}"):
        response = visitor.get(url)
        assert response.status_code == 200, url
        assert not response.headers.getlist("Set-Cookie"), url
        assert "csrf" not in response.get_data(as_text=True), url


def test_the_public_list_follows_every_publication_change(app, client, world, headers, letter_payload):
    """Anonymous renderings are memoized (core.pages.render_page): never one that is out of date."""
    visitor = app.test_client()
    assert "小区噪音问题" not in visitor.get("/mailbox/public").get_data(as_text=True)
    data = handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    assert "小区噪音问题" in visitor.get("/mailbox/public").get_data(as_text=True), "published: shown"

    letter = db.session.scalar(select(Letter).filter_by(number=data["number"]))
    letter.published_subject = "小区**问题"  # masked further
    db.session.commit()
    page = visitor.get("/mailbox/public").get_data(as_text=True)
    assert "小区**问题" in page and "小区噪音问题" not in page

    world.edu.name = "省教育厅"  # the replying department's name is on the list
    db.session.commit()
    assert "省教育厅" in visitor.get("/mailbox/public").get_data(as_text=True)

    letter.is_published = False  # withdrawn (a rehandled letter waits for moderation again)
    db.session.commit()
    assert "小区**问题" not in visitor.get("/mailbox/public").get_data(as_text=True), "withdrawn: gone"


def test_the_public_list_is_rendered_per_language_text_size_query_and_visitor(app, client, world, headers,
                                                                              letter_payload, login):
    handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    visitor = app.test_client()
    chinese = visitor.get("/mailbox/public").get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese and "large-text" not in chinese.split(">", 2)[1]
    visitor.set_cookie("lang", "en")
    assert 'lang="en"' in visitor.get("/mailbox/public").get_data(as_text=True)
    visitor.set_cookie("large_text", "1")
    assert 'class="large-text"' in visitor.get("/mailbox/public").get_data(as_text=True)
    assert "小区噪音问题" not in visitor.get("/mailbox/public?q=不存在的词").get_data(as_text=True)
    found = visitor.get("/mailbox/public?q=噪音").get_data(as_text=True)
    assert "小区噪音问题" in found and 'name="next" value="/mailbox/public?q=噪音"' in found

    login(world.citizen)  # a signed-in visitor gets their own page, and it goes to nobody else
    assert "李四" in client.get("/mailbox/public").get_data(as_text=True)
    stranger = app.test_client()
    page = stranger.get("/mailbox/public").get_data(as_text=True)
    assert "李四" not in page and "csrf" not in page
