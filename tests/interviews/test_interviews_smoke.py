from tests.interviews.helpers import emit, entries, join, received


def test_question_flow(app, people, interview, sio):
    viewer = sio()
    citizen = sio(people["citizen"])
    moderator = sio(people["moderator"])
    for c in (viewer, citizen, moderator):
        join(c, interview.id)
    ack = emit(citizen, "ask", {"interview": interview.id, "body": "请问营商环境怎么改善？"})
    assert ack["ok"], ack
    assert entries(viewer) == []
    pending = received(moderator, "question")
    assert pending and pending[-1]["args"][0]["state"] == "pending"
    ack = emit(moderator, "approve", {"question": ack["id"]})
    assert ack["ok"], ack
    got = entries(viewer)
    assert [e["seq"] for e in got] == [1]
    assert got[0]["body"] == "请问营商环境怎么改善？"
