"""Tests of the HTML sanitizer (interaction.core.sanitize)."""

from html.parser import HTMLParser

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from interaction.core.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_RE, clean_html, plain_text_html

REL = 'rel="nofollow noopener"'


class TagCollector(HTMLParser):
    """Collect (tag, attributes) of every start tag, the way a browser would read them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_only_safe_markup(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES):
    for tag, attrs in TagCollector(html).tags:
        assert tag in tags, html
        allowed = set(attributes.get(tag, ())) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed, html
        if tag == "a":
            assert attrs["rel"] == "nofollow noopener", html
            href = attrs["href"]
            assert href.lower().startswith(("http://", "https://", "mailto:")) or (
                href.startswith("/") and not href.startswith("//")
            ), html


# --- clean_html -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>你好<script>alert(1)</script></p>", "<p>你好alert(1)</p>"),
        ('<p onclick="steal()" style="color:red">文字</p>', "<p>文字</p>"),
        ('<img src="x" onerror="alert(1)">', ""),
        ('<a href="javascript:alert(1)">点我</a>', "点我"),
        ('<a href="JaVaScRiPt:alert(1)">点我</a>', "点我"),
        ('<a href="java&#x09;script:alert(1)">点我</a>', "点我"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">点我</a>', "点我"),
        ('<a href="vbscript:msgbox(1)">点我</a>', "点我"),
        ('<a href="//evil.example">点我</a>', "点我"),
        ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
        ('<svg><a href="javascript:alert(1)">x</a></svg>', "x"),
        ("<iframe src='https://evil.example'></iframe>文字", "文字"),
        ("<!-- 注释 --><h3>标题</h3>", "<h3>标题</h3>"),
        ("<h1>大标题</h1>", "大标题"),
        ('<p title="x">带标题</p>', "<p>带标题</p>"),
    ],
)
def test_clean_html_removes_what_is_not_allowed(dirty, clean):
    assert clean_html(dirty) == clean


def test_clean_html_keeps_the_allowed_markup_and_chinese_text():
    rich = (
        "<h3>办理结果</h3><p>经核实，<strong>情况属实</strong>，<em>已整改</em>。<br>特此答复。</p>"
        "<ul><li>一</li></ul><ol><li>二</li></ol><blockquote>引用</blockquote><h4>附</h4>"
    )
    assert clean_html(rich) == rich


def test_clean_html_keeps_simple_tables():
    table = (
        '<table><caption>表</caption><thead><tr><th colspan="2">项</th></tr></thead>'
        '<tbody><tr><td rowspan="1">甲</td><td>乙</td></tr></tbody></table>'
    )
    assert clean_html(table) == table


@pytest.mark.parametrize(
    "href",
    [
        "https://www.gov.cn/zhengce/",
        "http://example.gov.cn/a?b=1&amp;c=2",
        "mailto:xinfang@example.gov.cn",
        "/qa/12",
    ],
)
def test_clean_html_gives_links_rel_nofollow_noopener(href):
    assert clean_html(f'<a href="{href}" title="说明" target="_blank" rel="opener">链接</a>') == (
        f'<a href="{href}" title="说明" {REL}>链接</a>'
    )


def test_clean_html_links_bare_urls():
    assert clean_html("<p>详见https://www.gov.cn/a。</p>") == (
        f'<p>详见<a href="https://www.gov.cn/a" {REL}>https://www.gov.cn/a</a>。</p>'
    )


@pytest.mark.parametrize("empty", [None, ""])
def test_clean_html_of_nothing_is_empty(empty):
    assert clean_html(empty) == ""


# --- plain_text_html ------------------------------------------------------------------------------------


def test_plain_text_is_escaped():
    assert plain_text_html('<script>alert("x")</script> & <b>粗</b>') == (
        '<p>&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;粗&lt;/b&gt;</p>'
    )


def test_plain_text_newlines_become_line_breaks_and_blank_lines_paragraphs():
    text = "领导您好：\r\n小区路灯坏了。\n\n  \n望尽快修复。\r此致\n"
    assert plain_text_html(text) == "<p>领导您好：<br>\n小区路灯坏了。</p><p>望尽快修复。<br>\n此致</p>"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "详见https://www.gov.cn/a?b=1&c=2。谢谢",
            f'<p>详见<a href="https://www.gov.cn/a?b=1&amp;c=2" {REL}>https://www.gov.cn/a?b=1&amp;c=2</a>。谢谢</p>',
        ),
        (
            "(见 http://example.cn/x).",
            f'<p>(见 <a href="http://example.cn/x" {REL}>http://example.cn/x</a>).</p>',
        ),
        ("HTTPS://EXAMPLE.CN", f'<p><a href="HTTPS://EXAMPLE.CN" {REL}>HTTPS://EXAMPLE.CN</a></p>'),
        ("www.example.cn 与 example.cn", "<p>www.example.cn 与 example.cn</p>"),
        ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
        ("邮件 a@example.cn", "<p>邮件 a@example.cn</p>"),
    ],
)
def test_plain_text_links_http_urls_only(text, html):
    assert plain_text_html(text) == html


def test_plain_text_markup_that_looks_like_a_link_stays_text():
    html = plain_text_html('<a href="javascript:alert(1)" onclick="x()">点</a>')
    assert TagCollector(html).tags == [("p", {})]


@pytest.mark.parametrize("empty", [None, "", "  \n\r\n "])
def test_plain_text_of_nothing_is_empty(empty):
    assert plain_text_html(empty) == ""


# --- properties -----------------------------------------------------------------------------------------

markup_pieces = st.lists(
    st.sampled_from(
        [
            "<",
            ">",
            "/",
            "=",
            '"',
            "'",
            "&",
            "#",
            ";",
            "\n",
            " ",
            "script",
            "img",
            "a",
            "p",
            "href",
            "src",
            "onerror",
            "onclick",
            "javascript:",
            "http://x.cn",
            "https://",
            "alert(1)",
            "style",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "&#x6a;",
            "&lt;",
            "svg",
            "math",
            "iframe",
            "中文",
            "，",
            "。",
            "table",
            "td",
            "title",
            "mailto:",
            "\x00",
            "\t",
        ]
    ),
    max_size=40,
).map("".join)


@given(st.one_of(markup_pieces, st.text(max_size=200)))
def test_plain_text_html_never_lets_markup_through(text):
    html = plain_text_html(text)
    assert_only_safe_markup(html, tags={"p", "br", "a"}, attributes={"a": ["href"]})


@given(st.one_of(markup_pieces, st.text(max_size=200)))
def test_clean_html_output_is_within_the_allow_list(text):
    html = clean_html(text)
    assert_only_safe_markup(html)
    assert clean_html(html) == html


printable = st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters="<>&")


@given(st.text(alphabet=printable, max_size=100))
def test_plain_text_keeps_every_printable_character(text):
    html = plain_text_html(text)
    for char in text:
        if not char.isspace():
            assert char in html


# plain_text_html escapes and links by itself; the oracle is what cleaning its escaped text with
# bleach's linkifier (the way it was once written) gives.
def _cleaned_by_bleach(text: str) -> str:
    import html as html_module
    from functools import partial

    import bleach
    from bleach.linkifier import LinkifyFilter

    from interaction.core.sanitize import _PARAGRAPH_BREAK, _set_rel

    cleaner = bleach.Cleaner(tags={"p", "br"}, attributes={}, strip=True,
                             filters=[partial(LinkifyFilter, callbacks=[_set_rel], url_re=URL_RE, parse_email=False)])
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    return cleaner.clean("".join(
        "<p>" + "<br>\n".join(html_module.escape(line, quote=False) for line in paragraph.split("\n")) + "</p>"
        for paragraph in _PARAGRAPH_BREAK.split(text)))


_PLAIN_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["<", ">", '"', "'", "=", "/", "!", "-", ";", "#", "\n", "\r", "\t", " ", "\u3000", "\n\n",
                         "\u00a0", "\u200b", "\ufeff", "http://x.cn/a?b=1", "https://www.gov.cn/", "见https://a.cn。",
                         "(http://example.cn/x).", "HTTPS://EXAMPLE.CN", "www.example.cn", "a@example.cn",
                         "领导您好", "小区路灯坏了", "，", "。"]),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=5),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_PLAIN_TEXT)
def test_plain_text_html_is_what_cleaning_with_bleach_gives(text):
    # "&" is left out: bleach reads an escaped "&amp;lt;" back as "&lt;" (see the test below).
    assume("&" not in text)
    assert plain_text_html(text) == _cleaned_by_bleach(text)


def test_plain_text_shows_typed_entities_as_typed_with_or_without_links():
    assert plain_text_html("&amp; &#60; &lt;") == "<p>&amp;amp; &amp;#60; &amp;lt;</p>"
    assert plain_text_html("详见https://a.cn/?x=1&y=2 &lt;") == (
        f'<p>详见<a href="https://a.cn/?x=1&amp;y=2" {REL}>https://a.cn/?x=1&amp;y=2</a> &amp;lt;</p>')


@pytest.mark.parametrize(("text", "html"), [("a\x00b", "<p>a\ufffdb</p>"), ("x\x1by\x7f", "<p>x\ufffdy\ufffd</p>"),
                                            ("a\ufffeb\U0001ffff", "<p>a\ufffdb\ufffd</p>"), ("a\tb", "<p>a\tb</p>")])
def test_plain_text_replaces_characters_html_does_not_keep(text, html):
    assert plain_text_html(text) == html
