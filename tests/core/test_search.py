"""core.search on a small real-looking corpus, on whichever database the run uses (SQLite or PostgreSQL).

The expected orders are written out, so that the same test passing on both databases shows that they
give the same top results for the same corpus.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from interaction.core import search, search_index, search_text
from interaction.core.db import db
from interaction.core.search_index import SearchDocument, SearchTerm
from interaction.core.search_text import normalize

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

CORPUS = [
    # key, title, body
    ("1", "社保卡丢了怎么补办", "我的社保卡上周在公交车上丢失，请问到哪里补办社保卡，需要带什么材料？"),
    ("2", "社会保险缴费基数的问题", "单位按最低基数给我们缴纳社会保险，这样合法吗？养老保险以后会受影响吗？"),
    ("3", "长沙市医保局的咨询电话", "想咨询长沙市城乡居民医保的报销比例，医保局的电话一直打不通。"),
    ("4", "家具质量投诉", "在商场买的一张长沙发用了两个月就坏了，商家拒绝退换，希望有关部门处理。"),
    ("5", "公积金贷款额度", "住房公积金贷款额度怎么计算？我和爱人都缴存了公积金，能贷多少？"),
    ("6", "一网通办无法登录", "一网通办App登录时一直提示验证码错误，拨打12345热线也没有解决。"),
    ("7", "醫療保險異地就醫", "退休後在外省居住，異地就醫怎麼備案？醫療保險能直接結算嗎？"),
    ("8", "公租房申请条件", "外地户籍在本市工作三年，有居住证，可以申请公租房吗？房租怎么算？"),
    ("9", "低保申请进度", "家里老人申请低保已经两个月了，社区说在审核，请问什么时候有结果？"),
    ("10", "营业执照办理", "个体工商户办理营业执照需要哪些材料？可以在网上办理吗？"),
    ("11", "小区加装电梯补贴", "老旧小区加装电梯有没有政府补贴？需要全体业主同意吗？"),
    ("12", "医院挂号难", "市第一医院专家号很难挂，医保卡能不能在自助机上直接挂号？"),
]


def put_corpus(types=("letter",)):
    for n, (key, title, body) in enumerate(CORPUS):
        type_ = types[n % len(types)]
        search.put(search.Document(type_, key, title, body, f"/{type_}s/{key}", T0 + timedelta(days=n),
                                   department_id=1 + n % 2))
    db.session.commit()


def keys(q, **kwargs):
    return [hit.key for hit in search.search(q, **kwargs).items]


def like_keys(q):
    """What ``LIKE '%q%'`` over the normalised title and body finds (the recall reference)."""
    q = normalize(q)
    return {key for key, title, body in CORPUS if q in normalize(title + "\n" + body)}


@pytest.fixture
def corpus(app):
    put_corpus()


def test_social_insurance_is_not_shebao(corpus):
    """Documented: matching is literal, no synonyms: 社保 finds 社保卡, not 社会保险."""
    assert keys("社保") == ["1"]
    assert keys("社会保险") == ["2"]


def test_changsha_is_not_a_sofa(corpus):
    """Documented: 长沙 does not find 长沙发 (the shipped dictionary splits it 长/沙发); it finds 长沙市."""
    assert keys("长沙") == ["3"]
    assert keys("沙发") == ["4"]
    assert keys("长沙发") == ["4"]


@pytest.mark.parametrize("q", ["医", "房", "保", "办", "医保", "社保", "公积金", "营业执照", "居住证", "挂号"])
def test_short_queries_find_what_like_finds(corpus, q):
    assert set(keys(q)) == like_keys(q)


def test_ranking_title_first_then_recency(corpus):
    # 医保 in the title of 3; in the bodies of 12 (newer) and 3; 12's title has no 医保
    assert keys("医保") == ["3", "12"]
    # 公积金 in 5's title and body: the only one
    assert keys("公积金贷款") == ["5"]
    # equal relevance: the newest first
    search.put(search.Document("letter", "a", "同样的标题", "同样的内容：垃圾分类", "/a", T0))
    search.put(search.Document("letter", "b", "同样的标题", "同样的内容：垃圾分类", "/b", T0 + timedelta(days=1)))
    db.session.commit()
    assert keys("垃圾分类") == ["b", "a"]


def test_snippet_marks_matches_and_escapes_the_rest(app):
    search.put(search.Document("letter", "x", "标题", "前" * 100 + "<script>1</script>医保卡和医保局。" + "后" * 200,
                               "/x", T0))
    db.session.commit()
    html = str(search.search("医保").items[0].snippet_html)
    assert "<mark>医保</mark>卡和<mark>医保</mark>局" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.startswith("…前")
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert html.endswith("…") and len(html) < 200


def test_full_width_traditional_and_mixed(corpus):
    assert keys("１２３４５") == ["6"]
    assert keys("ＡＰＰ") == ["6"]
    assert keys("app 12345 热线") == ["6"]
    assert keys("医疗保险") == ["7"]  # written in traditional characters
    assert keys("醫保") == keys("医保")


@pytest.mark.parametrize("q", ['"医保"', "医保*", "NEAR(医保 社保)", "title:医保", "-医保", "^医保", "(医保)",
                               "医保 AND 社保", "医保 OR 社保", "医保' OR '1'='1", "医保; DROP TABLE x; --",
                               "%医保%", "_", "\\", "''", '"', "*", ":", "AND", "医" * 500, "医保 " * 200])
def test_odd_input_is_text(corpus, q):
    results = search.search(q)
    assert results.total == len(results.items) or results.total > len(results.items)
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == len(CORPUS)


def test_fts_syntax_is_only_separators(corpus):
    assert keys('"医保"') == keys("医保*") == keys("(医保)") == keys("医保")
    assert keys("医保 OR 社保") == []  # three words AND-ed: or, 医保, 社保


@pytest.mark.parametrize("q", ["", "   ", "\u3000\t\n", None, "，。！？"])
def test_empty_query_gives_nothing(corpus, q):
    results = search.search(q)
    assert results.items == [] and results.total == 0


def test_filters_and_pages(app):
    put_corpus(types=("letter", "question", "transcript"))
    assert {hit.type for hit in search.search("保", types=["question"]).items} == {"question"}
    assert keys("保", department_id=2) == [key for key in keys("保") if (int(key) - 1) % 2 == 1]
    first, second = search.search("保", per_page=2), search.search("保", per_page=2, page=2)
    assert first.total == second.total == len(like_keys("保"))
    assert not {h.key for h in first.items} & {h.key for h in second.items}
    assert search.search("保", page=10**9).items == []


def test_only_put_documents_are_found_and_remove_takes_them_out(corpus):
    assert keys("补办") == ["1"]
    search.remove("letter", "1")
    search.remove("letter", "no-such")
    db.session.commit()
    assert keys("补办") == []
    assert keys("社保卡") == []


def test_put_replaces_and_a_rollback_leaves_the_index_as_it_was(corpus):
    search.put(search.Document("letter", "1", "改过的标题", "内容改为不动产登记", "/letters/1", T0))
    db.session.rollback()
    assert keys("补办") == ["1"] and keys("不动产登记") == []
    later = T0 + timedelta(days=90)
    search.put(search.Document("letter", "1", "改过的标题", "内容改为不动产登记", "/letters/1", later))
    db.session.commit()
    assert keys("补办") == [] and keys("不动产登记") == ["1"]
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == len(CORPUS)


def test_similar_finds_the_closest_questions(app):
    put_corpus(types=("question",))
    hits = search.similar("请问社保卡丢失后怎么补办？")
    assert [hit.key for hit in hits][:1] == ["1"]
    assert search.similar("") == [] and search.similar("请问") == []
    assert search.similar("社保卡", types=("letter",)) == []


def test_an_administrators_term_changes_the_cut(app):
    """A term saved in the database reaches the segmenter (at once in this process: dictionary_changed)."""
    def words():
        return list(search.current_segmenter().cut("我们关注智慧停车难题", HMM=False))

    assert "智慧停车" not in words()
    db.session.add(SearchTerm(word="智慧停车"))
    db.session.commit()
    search.dictionary_changed()
    try:
        assert "智慧停车" in words()
    finally:
        db.session.execute(SearchTerm.__table__.delete())
        db.session.commit()
        search.dictionary_changed()
    assert "智慧停车" not in words()


def test_a_two_character_word_is_marked_only_where_no_word_breaks_it(app):
    tokens = search_text.document_tokens("湖南省长沙市医保局；我家的长沙发坏了", search.current_segmenter())
    assert {"长沙", search_text.WORD + "长沙", search_text.WORD + "医保", "沙发", search_text.WORD + "沙发"} <= tokens
    alone = search_text.document_tokens("我家的长沙发坏了", search.current_segmenter())
    assert "长沙" in alone and search_text.WORD + "长沙" not in alone


def test_the_same_results_through_the_recent_window_and_the_index(corpus, monkeypatch):
    """PostgreSQL walks the newest rows first, then the index for the older ones: the same results."""
    expected = {q: keys(q) for q in ("医", "保", "医保", "补办", "公积金贷款", "渡口")}
    for window, budget in ((3, 6), (2, 3), (3, 100)):
        monkeypatch.setattr(search_index, "RECENT_WINDOW", window)
        monkeypatch.setattr(search_index, "WALK_BUDGET", budget)
        assert {q: keys(q) for q in expected} == expected
    assert [hit.key for hit in search.search("保", per_page=2).items] == expected["保"][:2]
