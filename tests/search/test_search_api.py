"""GET /api/v1/search: the contract's items and list envelope, filters, and bad input (never a 500)."""

import pytest


def get(client, **params):
    return client.get("/api/v1/search", query_string=params)


def test_items_in_the_contracts_shape(client, published):
    body = get(client, q="医保").get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20 and body["total_is_capped"] is False
    letter, question = body["items"]  # the letter has 医保 in its title
    assert letter == {"type": "letter", "number": "2605-AAAAA", "title": "医保卡丢失怎么补办",
                      "snippet": "我的<mark>医保</mark>卡丢了，去哪里补办？&lt;b&gt;急&lt;/b&gt;",
                      "url": "/mailbox/public/2605-AAAAA", "published_at": "2026-05-01T02:00:00+00:00"}
    assert question["type"] == "question" and question["id"] == 12 and "number" not in question


@pytest.mark.parametrize("type_, keys", [("letter", ["2605-AAAAA"]), ("question", [12]), ("transcript", [7]),
                                         ("", ["2605-AAAAA", 7, 12])])
def test_type_filters(client, published, type_, keys):
    items = get(client, q="医", type=type_).get_json()["items"]
    assert sorted((item.get("number") or item["id"] for item in items), key=str) == sorted(keys, key=str)


def test_pages(client, published):
    first = get(client, q="医", per_page=2).get_json()
    second = get(client, q="医", per_page=2, page=2).get_json()
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1


@pytest.mark.parametrize("q", ["", "   ", "，。", None])
def test_an_empty_query_is_an_empty_list(client, published, q):
    params = {} if q is None else {"q": q}
    assert get(client, **params).get_json() == {"items": [], "page": 1, "per_page": 20, "total": 0,
                                                "total_is_capped": False}


@pytest.mark.parametrize("q", ['"医保"', "医保*", "NEAR(医保 卡)", "医保:卡", "-医保", "^医保", "(医保)", "医保 AND",
                               "医保' OR 1=1 --", "医保; DROP TABLE search_documents", "％医保％", "ＡＢＣ", "醫保"])
def test_syntax_is_text(client, published, q):
    response = get(client, q=q)
    assert response.status_code == 200
    assert response.get_json()["total"] <= 3


@pytest.mark.parametrize("params, field", [({"q": "医", "type": "poll"}, "type"), ({"q": "医" * 201}, "q"),
                                           ({"q": "医", "page": "x"}, "page"),
                                           ({"q": "医", "page": "999999999"}, "page")])
def test_bad_parameters_are_422_naming_the_field(client, published, params, field):
    response = get(client, **params)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_nul_in_the_query_is_refused(client, published):
    assert get(client, q="医\x00保").status_code in (400, 422)


def test_a_query_of_200_characters_is_answered(client, published):
    assert get(client, q="医保" * 100).status_code == 200
