"""The room page's markup, for someone who both asks and answers (a moderator running the interview)."""

from collections import Counter
from html.parser import HTMLParser


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: Counter = Counter()
        self.label_for: list[str] = []
        self.elements: dict[str, dict] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
            self.elements.setdefault(attrs["id"], {"tag": tag, **attrs})
        if tag == "label" and attrs.get("for"):
            self.label_for.append(attrs["for"])


def test_ask_and_answer_forms_do_not_share_field_ids(client, login, people, interview):
    """Regression: both forms had a textarea id="body", so the answer label focused the question box
    and the question's character counter showed the answer's 5000 instead of 500."""
    login(people["moderator"])
    response = client.get(f"/interviews/{interview.id}")
    assert response.status_code == 200
    page = _Ids()
    page.feed(response.get_data(as_text=True))
    assert page.elements.get("ask-form") and page.elements.get("answer-form"), "both forms should be on the page"
    repeated = {name: n for name, n in page.ids.items() if n > 1 and name != "csrf_token"}
    assert not repeated, f"ids used more than once: {repeated}"
    for target in page.label_for:
        assert page.ids[target] == 1, f"<label for={target!r}> points at nothing"
    ask_body = page.elements["ask-body"]
    assert ask_body["name"] == "body" and ask_body["data-counter"] == "500"
    assert page.elements["ask-body-counter"]["data-max"] == "500"
    assert page.elements["answer-body"]["data-counter"] == "5000"
    assert ask_body["data-testid"] == "ask-body"


def test_the_plain_forms_still_post_without_javascript(client, login, post_form, people, interview):
    """The field names did not change with the ids: asking and answering work as plain POSTs."""
    login(people["citizen"])
    response = post_form(f"/interviews/{interview.id}/questions", {"body": "没有脚本也能提问吗？"})
    assert response.status_code == 302
    from interaction.core.db import db
    from interaction.interviews.models import LiveQuestion

    question = db.session.query(LiveQuestion).filter_by(interview_id=interview.id).one()
    assert question.body == "没有脚本也能提问吗？"
