"""The public figures (strip and published count) come from the snapshot ``flask mailbox sweep`` stores;
page requests only read it and never run the year's aggregate."""

from interaction.core.db import db
from interaction.mailbox import queries
from interaction.mailbox.models import MailboxSnapshot
from tests.factories import make_letter


def count_calls(monkeypatch):
    calls = []
    real = queries.letter_statistics

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(queries.statistics, "letter_statistics", counting)  # where the figures are computed
    return calls


def test_requests_read_the_snapshot_the_sweep_stores(app, client, runner, world, monkeypatch, request_context):
    app.config["MAILBOX_STATS_CACHE_SECONDS"] = 60
    make_letter(world.governor)
    db.session.commit()
    result = runner.invoke(args=["mailbox", "sweep"])
    assert result.exit_code == 0 and "public figures: 0 published" in result.output
    snapshot = db.session.get(MailboxSnapshot, "public")
    assert snapshot.data["strip"]["month"]["received"] == 1 and snapshot.data["published"] == 0

    calls = count_calls(monkeypatch)
    make_letter(world.governor)
    db.session.commit()
    for _ in range(3):
        assert client.get("/mailbox/public").status_code == 200
        strip = client.get("/api/v1/public/letters/statistics").get_json()
        assert strip["month"]["received"] == 1  # as of the last sweep
    assert calls == []  # no request ran the aggregate
    runner.invoke(args=["mailbox", "sweep"])
    db.session.expire_all()
    assert client.get("/api/v1/public/letters/statistics").get_json()["month"]["received"] == 2
    assert len(calls) == 2  # the sweep: month and year


def test_without_a_snapshot_each_process_computes_once(app, client, world, monkeypatch, request_context):
    app.config["MAILBOX_STATS_CACHE_SECONDS"] = 60
    make_letter(world.governor)
    db.session.commit()
    calls = count_calls(monkeypatch)
    for _ in range(3):
        assert client.get("/api/v1/public/letters/statistics").get_json()["year"]["received"] == 1
        assert client.get("/mailbox/public").status_code == 200
    assert len(calls) == 2  # month and year, once
    assert db.session.get(MailboxSnapshot, "public") is None  # a page request writes nothing
