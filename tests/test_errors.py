"""Errors have one shape: JSON for /api/v1, a friendly page for people; bad input is never a 500.

API.md, Conventions: 400 malformed, 404 unknown, 405 wrong method, 413 too large, with the body
``{"error": {"code": "snake_case", "message": "human text", "fields"?}}``.
"""

import json
import re

import pytest

from tests.helpers import csrf_token

TOKEN_URL = "/api/v1/auth/token"  # a public POST endpoint (accounts)
LIST_URL = "/api/v1/mailboxes"  # a public GET-only endpoint (mailbox)
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def assert_error_shape(response, status: int, code: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json", f"{status} answered as {response.mimetype}, not JSON"
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", error["code"]), error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert set(error) <= {"code", "message", "fields"}, error
    if code:
        assert error["code"] == code, error
    return error


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe\x00garbage"])
def test_api_malformed_json_is_400(client, body):
    response = client.post(TOKEN_URL, data=body, content_type="application/json")
    assert_error_shape(response, 400, "bad_request")


def test_api_form_encoded_body_is_400_not_500(client):
    response = client.post(TOKEN_URL, data={"email": "a@example.com", "password": "x"})
    assert response.status_code in (400, 415)
    assert_error_shape(response, response.status_code)


def test_api_unknown_route_is_404_json(client):
    error = assert_error_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "fields" not in error


def test_api_unknown_route_is_404_json_for_any_method(client):
    assert_error_shape(client.post("/api/v1/no-such-thing", json={}), 404, "not_found")


def test_api_wrong_method_is_405_json_with_allow_header(client):
    response = client.put(LIST_URL, json={})
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("Allow", ""), "a 405 must say which methods are allowed"


def test_api_body_over_one_mebibyte_is_413_json(client, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    big = json.dumps({"email": "a@example.com", "password": "x" * (1024 * 1024)})
    response = client.post(TOKEN_URL, data=big, content_type="application/json")
    assert_error_shape(response, 413, "too_large")


def test_api_body_just_under_the_limit_is_not_413(client):
    body = json.dumps({"email": "a@example.com", "password": "x" * (1024 * 1024 - 100)})
    assert len(body) < 1024 * 1024
    response = client.post(TOKEN_URL, data=body, content_type="application/json")
    assert response.status_code != 413
    assert response.status_code < 500


@pytest.mark.parametrize("payload", [
    {"email": {"nested": "object"}, "password": "x"},
    {"email": ["a", ["b"]], "password": "x"},
    {"email": 12345, "password": 678},
    {"email": "a@example.com", "password": None},
    {"email": "x" * 10_000, "password": "y" * 10_000},
    {"email": "\u0000\ud7ff\ufffd", "password": "\u202e"},
    {"unexpected": True},
    {},
])
def test_api_bad_fields_are_never_a_server_error(client, payload):
    response = client.post(TOKEN_URL, json=payload)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert_error_shape(response, response.status_code)


PAGINATED_URLS = ["/api/v1/public/letters", "/api/v1/interviews"]  # public lists in the contract's shape


@pytest.mark.parametrize("url", [LIST_URL, *PAGINATED_URLS])
@pytest.mark.parametrize("query", ["page=abc", "per_page=-5", "page=99999999999999999999", "page=%00",
                                   "per_page=99999999999999999999", "page=1e3", "page=\u0661"])
def test_api_bad_query_strings_are_never_a_server_error(client, url, query):
    response = client.get(f"{url}?{query}")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("url", PAGINATED_URLS)
@pytest.mark.parametrize("query", ["page=%201", "page=1_0", "page=%D9%A1", "per_page=%2B5", "page=1%20", "page="])
def test_api_page_numbers_are_digits_not_what_int_would_take(client, url, query):
    """A page number is ASCII digits: " 1", "1_0", "١" (Arabic one), "+5" are 422, not read as numbers."""
    response = client.get(f"{url}?{query}")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert_error_shape(response, 422)


def test_api_deeply_nested_json_is_refused_cleanly(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(TOKEN_URL, data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_error_shape(response, response.status_code)


# Pages: a friendly HTML error page, Chinese by default, English with the language cookie.

def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_unknown_page_is_a_friendly_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "找不到您要的内容" in html
    assert "404" in html
    assert 'href="/"' in html, "the error page leads back to the home page"
    assert "Traceback" not in html and "Werkzeug" not in html


def test_unknown_page_is_english_with_the_language_cookie(client):
    client.set_cookie("lang", "en")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'lang="en"' in html
    assert "could not find" in html
    main = html.split("<main", 1)[1].split("</main>", 1)[0]  # the error page itself; test_i18n checks the rest
    assert not CJK.search(_visible_text("<main" + main)), _visible_text("<main" + main)


def test_wrong_method_on_a_page_is_a_friendly_405(client):
    response = client.post("/", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "不支持该请求方法" in response.get_data(as_text=True)


def test_oversized_form_post_is_a_friendly_413(client):
    token = csrf_token(client)
    response = client.post("/preferences/language", data={"csrf_token": token, "lang": "en", "pad": "x" * 1_100_000})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "提交的内容过大" in response.get_data(as_text=True)


def test_bad_form_input_on_a_page_is_400_not_500(post_form):
    response = post_form("/preferences/language", {"lang": "klingon"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "请求格式有误" in response.get_data(as_text=True)


def test_nul_characters_are_refused_everywhere(client, post_form):
    assert_error_shape(client.post(TOKEN_URL, json={"email": "a\u0000@example.com", "password": "x"}), 400)
    assert_error_shape(client.post(TOKEN_URL, json={"nested": [{"a": "\u0000"}]}), 400)
    for encoding in ("utf-16", "utf-32"):  # Python's JSON reads these too: their NUL escape is not one byte string
        body = '{"email": "a\\u0000@example.com", "password": "x"}'.encode(encoding)
        assert_error_shape(client.post(TOKEN_URL, data=body, content_type="application/json"), 400)
    escaped = '{"email": "a\\\\u0000@example.com", "password": "x"}'  # an escaped backslash: no NUL
    assert client.post(TOKEN_URL, data=escaped, content_type="application/json").status_code != 400
    assert_error_shape(client.get(f"{LIST_URL}?q=%00"), 400)
    assert post_form("/preferences/language", {"lang": "en", "next": "/\u0000"}).status_code == 400


def test_json_nested_as_deep_as_the_parser_allows_is_not_a_server_error(client):
    for depth in (500, 900, 990, 2000):
        body = '{"a":' * depth + '"\\u0000"' + "}" * depth
        response = client.post(TOKEN_URL, data=body, content_type="application/json")
        assert 400 <= response.status_code < 500, depth
