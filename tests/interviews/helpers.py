"""Helpers of the interview socket tests."""

NS = "/interviews"


def emit(client, event, payload):
    """Emit with an acknowledgement and return it."""
    return client.emit(event, payload, namespace=NS, callback=True)


def received(client, name=None):
    events = client.get_received(NS)
    return [e for e in events if name is None or e["name"] == name]


def entries(client):
    return [e["args"][0] for e in received(client, "entry")]


def join(client, interview_id, since=None):
    payload = {"interview": interview_id}
    if since is not None:
        payload["since"] = since
    ack = emit(client, "join", payload)
    assert ack["ok"], ack
    return ack
