"""The published letters in the search (core.search): put when published, removed when withdrawn or rejected,
in the same transaction; the public list's q is the search's."""

from sqlalchemy import select

from interaction.core import search
from interaction.core.db import db
from interaction.mailbox.models import Letter
from interaction.mailbox.services import publication
from tests.mailbox.test_publication import decide, handled_letter


def numbers(q, **kwargs):
    return [hit.key for hit in search.search(q, types=["letter"], **kwargs).items]


def test_a_letter_is_found_once_published_and_masked(client, world, headers, letter_payload):
    data = handled_letter(client, headers, world, letter_payload)
    assert numbers("噪音") == []  # put forward, not yet approved: private
    decide(client, headers, world)
    assert numbers("噪音") == [data["number"]]
    assert numbers("施工") == [data["number"]]  # the letter's body
    assert numbers("王小明") == [] and numbers("13812345678") == []  # masked before it was indexed
    hit = search.search("施工").items[0]
    assert hit.url == f"/mailbox/public/{data['number']}" and "<mark>施工</mark>" in hit.snippet_html


def test_a_rejected_letter_is_never_found(client, world, headers, letter_payload):
    handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world, verdict="reject")
    assert numbers("噪音") == []


def test_withdrawal_follows_in_the_same_transaction(client, world, headers, letter_payload, request_context):
    data = handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    letter = db.session.scalar(select(Letter).filter_by(number=data["number"]))
    publication.put_forward_for_publication(letter)  # a rehandled letter: withdrawn until approved again
    assert numbers("噪音") == []  # inside the transaction
    db.session.rollback()
    assert numbers("噪音") == [data["number"]]  # rolled back: still public, still found
    letter = db.session.scalar(select(Letter).filter_by(number=data["number"]))
    publication.put_forward_for_publication(letter)
    db.session.commit()
    assert numbers("噪音") == []


def test_the_public_list_searches_with_the_index(client, world, headers, letter_payload):
    data = handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    for q in ("噪", "噪音", "小区 施工", "工地夜间施工", '"噪音"', "(噪音)*", "噪音 -- ;"):
        listing = client.get("/api/v1/public/letters", query_string={"q": q}).get_json()
        assert [item["number"] for item in listing["items"]] == [data["number"]], q
    for q in ("社保", "王小明", "噪音 社保", "噪音 OR 1=1"):  # every word must be there
        assert client.get("/api/v1/public/letters", query_string={"q": q}).get_json()["total"] == 0, q
    page = client.get("/mailbox/public", query_string={"q": "噪音"}).get_data(as_text=True)
    assert "小区噪音问题" in page


def test_reindex_lists_the_published_letters(client, world, headers, letter_payload, runner):
    data = handled_letter(client, headers, world, letter_payload)
    decide(client, headers, world)
    search.remove("letter", data["number"])
    db.session.commit()
    assert numbers("噪音") == []
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert numbers("噪音") == [data["number"]]
