"""The public transcript of a handed-over question (issue 18, item 1): no dead links.

Everyone sees that the question went to the department as a letter, and its state; the link to the
letter's page (a 404 for anyone else) only for the asker and staff who handle it.
"""

import pytest

from interaction.core.db import db
from interaction.mailbox import services
from tests.factories import make_user
from tests.mailbox.test_handover import _end_with_unanswered, _letters_of


@pytest.fixture(autouse=True)
def _request(request_context):
    """The interviews' services translate their texts: a request context."""


def _handed_over(page: str) -> str:
    return page.split('id="handed-over"', 1)[1]


def test_the_public_sees_the_state_and_only_those_served_see_the_link(world, clock, client, login):
    asker = world.citizen
    interview, _question = _end_with_unanswered(world.edu, asker, world.moderator)
    [letter] = _letters_of(asker)
    url = f"/mailbox/letters/{letter.number}"
    transcript = f"/interviews/{interview.id}/transcript"

    for who in (None, make_user("citizen", email="nosy@example.com"), world.police_staff):
        if who is not None:  # anonymous first: the client is not signed in yet
            login(who)
        text = _handed_over(client.get(transcript).get_data(as_text=True))
        assert "已作为来信转交教育厅办理，当前状态：待受理" in text
        assert url not in text and "跟踪办理情况" not in text, f"a dead link for {who}"

    for who in (asker, world.edu_staff):
        login(who)
        text = _handed_over(client.get(transcript).get_data(as_text=True))
        assert "当前状态：待受理" in text and f'href="{url}"' in text
        assert client.get(url).status_code in (200, 302)

    # The state follows the letter.
    services.act_on_letter(letter, "accept", actor=world.edu_staff)
    db.session.commit()
    login(make_user("citizen", email="other@example.com"))
    assert "当前状态：已受理" in client.get(transcript).get_data(as_text=True)


def test_english_transcript_uses_half_width_punctuation(world, clock, client, login):
    interview, _question = _end_with_unanswered(world.edu, world.citizen, world.moderator)
    client.set_cookie("lang", "en")
    text = _handed_over(client.get(f"/interviews/{interview.id}/transcript").get_data(as_text=True))
    assert "Handed to " in text and " as a letter; status: " in text
    assert not any(ch in text for ch in "（）：；，。"), text
