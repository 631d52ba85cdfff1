"""The search page, the header's box, the reindex command and the administrators' dictionary page."""

import pytest
from sqlalchemy import delete, select

from interaction.core import search
from interaction.core.db import db
from interaction.core.search_index import SearchDocument, SearchTerm
from tests.factories import make_user


def test_results_with_marks_and_escaped_text(client, published):
    html = client.get("/search", query_string={"q": "医保"}).get_data(as_text=True)
    assert "找到 2 条" in html
    assert "我的<mark>医保</mark>卡丢了" in html and "&lt;b&gt;急&lt;/b&gt;" in html
    assert 'href="/mailbox/public/2605-AAAAA"' in html and 'href="/questions/12"' in html
    assert "医疗保障在线访谈" not in html


def test_type_filter_on_the_page(client, published):
    html = client.get("/search", query_string={"q": "医", "type": "transcript"}).get_data(as_text=True)
    assert "医疗保障在线访谈" in html and "公积金贷款额度" not in html


@pytest.mark.parametrize("params, message", [
    ({"q": ""}, "请输入要查询的内容。"), ({"q": "   "}, "请输入要查询的内容。"),
    ({"q": "医" * 201}, "查询内容不能超过 200 个字"), ({"q": "社保"}, "没有找到与“社保”相关的公开内容"),
    ({"q": "医", "type": "poll"}, "不是有效的选择"),
])
def test_clear_messages_never_an_error(client, published, params, message):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_every_page_has_the_search_box(client):
    html = client.get("/").get_data(as_text=True)
    assert 'role="search"' in html and 'action="/search"' in html


def test_reindex_rebuilds_from_the_sources(app, runner, published):
    search.register_source("test-only", lambda: iter([search.Document("test-only", "1", "测试", "重建索引的内容",
                                                                     "/t/1", published[0].published_at)]))
    try:
        result = runner.invoke(args=["search", "reindex"])
        assert result.exit_code == 0, result.output
        assert "indexing" in result.output
        keys = set(db.session.scalars(select(SearchDocument.key)))
        assert "1" in keys and "2605-AAAAA" not in keys  # only what a source lists: the fixture's were put directly
        assert [hit.key for hit in search.search("重建索引").items] == ["1"]
    finally:
        search.register_source("test-only", lambda: iter(()))  # the registry is the process's: leave it empty


def test_reindex_if_empty_fills_only_an_empty_index(app, runner, published):
    """make run's step: a database upgraded from before the search gets its index once, then never again."""
    result = runner.invoke(args=["search", "reindex", "--if-empty"])
    assert result.exit_code == 0 and "nothing to do" in result.output  # the fixture's documents are there
    db.session.execute(delete(SearchDocument))
    db.session.commit()
    search.register_source("test-only", lambda: iter([search.Document("test-only", "1", "测试", "空索引的内容",
                                                                     "/t/1", published[0].published_at)]))
    try:
        result = runner.invoke(args=["search", "reindex", "--if-empty"])
        assert result.exit_code == 0 and "indexing" in result.output, result.output
        assert [hit.key for hit in search.search("空索引").items] == ["1"]
    finally:
        search.register_source("test-only", lambda: iter(()))


def test_administrators_edit_the_dictionary(client, login, post_form):
    login(make_user("admin"))
    page = client.get("/admin/search/terms").get_data(as_text=True)
    assert "一网通办" in page and "公积金" in page
    response = post_form("/admin/search/terms", {"word": "智慧停车"})
    assert response.status_code == 302
    assert db.session.scalar(select(SearchTerm.word)) == "智慧停车"
    assert "智慧停车" in search.current_dictionary().words
    assert "已经有" in post_form("/admin/search/terms", {"word": "医保"}).get_data(as_text=True)
    post_form("/admin/search/terms/remove", {"word": "医保"})
    assert "医保" not in search.current_dictionary().words
    post_form("/admin/search/terms", {"word": "医保"})  # restored
    assert "医保" in search.current_dictionary().words
    post_form("/admin/search/terms/remove", {"word": "智慧停车"})
    assert db.session.scalar(select(SearchTerm.word)) is None


@pytest.mark.parametrize("role", [None, "citizen", "staff", "moderator"])
def test_only_administrators_see_the_dictionary(client, login, role):
    if role:
        login(make_user(role))
    assert client.get("/admin/search/terms").status_code in (302, 401, 403)
