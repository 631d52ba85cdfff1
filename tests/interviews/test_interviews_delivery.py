"""The delivery manager: entries reach each socket in seq order, exactly once, whatever order they arrive in."""

import threading
import time

from interaction.core.db import db
from interaction.interviews import delivery, live, services
from tests.interviews.helpers import NS, entries, join, received


def entry(interview_id, seq):
    return {"interview": interview_id, "seq": seq, "kind": "host", "body": f"第{seq}条", "at": None}


def watched_room(interview, sio):
    """A viewer in the interview's room; the manager's background tasks are kept, not started."""
    viewer = sio()
    join(viewer, interview.id)
    manager = live.manager()
    scheduled = []
    manager.server.start_background_task = lambda fn, *args: scheduled.append((fn, args))
    return viewer, manager, delivery.room(interview.id), scheduled


def test_entries_arriving_out_of_order_are_delivered_in_order(people, interview, sio):
    viewer, manager, room, scheduled = watched_room(interview, sio)

    manager.emit("entry", entry(interview.id, 2), NS, room=room)
    assert entries(viewer) == []  # held: 1 is still on its way
    manager.emit("entry", entry(interview.id, 1), NS, room=room)
    assert [e["seq"] for e in entries(viewer)] == [1, 2]
    manager.emit("entry", entry(interview.id, 1), NS, room=room)  # a late duplicate
    manager.emit("entry", entry(interview.id, 3), NS, room=room)
    assert [e["seq"] for e in entries(viewer)] == [3]
    assert len(scheduled) == 1  # one gap-filling task was started for the hold


def test_a_gap_that_does_not_close_is_filled_from_the_database(people, interview, sio):
    viewer = sio()
    join(viewer, interview.id)
    manager = live.manager()
    room = delivery.room(interview.id)
    manager.server.start_background_task = lambda fn, *args: None
    manager.gap_wait = 0
    asked = []

    def loader(interview_id, after, upto):
        asked.append((interview_id, after, upto))
        return [entry(interview_id, seq) for seq in range(after + 1, upto + 1)]

    manager.entry_loader = loader
    manager.emit("entry", entry(interview.id, 4), NS, room=room)
    assert entries(viewer) == []
    manager._fill_gap(room)
    assert asked == [(interview.id, 0, 3)]
    assert [e["seq"] for e in entries(viewer)] == [1, 2, 3, 4]
    manager.emit("entry", entry(interview.id, 2), NS, room=room)  # the late original: not twice
    assert entries(viewer) == []


def host_with_remarks(people, interview, sio, n):
    """The host in the room after saying *n* opening remarks (entries 1..n, committed)."""
    host = sio(people["host"])
    join(host, interview.id)
    for k in range(n):
        services.post_remark(interview, f"开场{k}", actor=people["host"])
        db.session.commit()
    return host


def test_entries_committed_while_a_client_joins_are_neither_lost_nor_doubled(people, interview, sio):
    host = host_with_remarks(people, interview, sio, 3)
    manager = live.manager()
    room = delivery.room(interview.id)
    real_join = manager.join_in_order
    newcomer = sio()

    def join_with_traffic(sid, room_name, since, load):
        def load_then_more(after):
            rows, last = load(after)  # the database read happens, then two more entries go out
            services.post_remark(interview, "加入过程中一", actor=people["host"])  # another writer
            db.session.commit()
            manager.emit("entry", entry(interview.id, 4), NS, room=room)  # a duplicate broadcast
            services.post_remark(interview, "加入过程中二", actor=people["host"])
            db.session.commit()
            return rows, last

        return real_join(sid, room_name, since, load_then_more)

    manager.join_in_order = join_with_traffic
    try:
        join(newcomer, interview.id, since=1)
    finally:
        manager.join_in_order = real_join
    got = [e["seq"] for e in entries(newcomer)]
    assert got == [2, 3, 4, 5]
    assert [e["seq"] for e in entries(host)] == [1, 2, 3, 4, 5]


def test_a_join_that_has_everything_reads_no_transcript_and_one_behind_replays(people, interview, sio):
    host_with_remarks(people, interview, sio, 2)
    manager = live.manager()
    real_join = manager.join_in_order
    loads = []

    def counting_join(sid, room_name, since, load):
        def counted(after):
            loads.append(after)
            return load(after)

        return real_join(sid, room_name, since, counted)

    manager.join_in_order = counting_join
    try:
        current = sio()
        assert join(current, interview.id, since=2)["last_seq"] == 2
        assert loads == [] and entries(current) == []
        behind = sio()
        assert join(behind, interview.id, since=1)["last_seq"] == 2
        assert loads == [1] and [e["seq"] for e in entries(behind)] == [2]
        fresh = sio()
        assert join(fresh, interview.id)["last_seq"] == 2
        assert loads == [1, 0] and [e["seq"] for e in entries(fresh)] == [1, 2]
    finally:
        manager.join_in_order = real_join
    services.post_remark(interview, "之后", actor=people["host"])
    db.session.commit()
    for client in (current, behind, fresh):
        assert [e["seq"] for e in entries(client)] == [3]  # live after the join, no duplicate


def test_joins_arriving_during_a_rooms_first_read_wait_for_it_and_read_nothing(app, people, interview, sio):
    """A popular interview's first seconds: the process reads the transcript once, not once per newcomer."""
    manager = live.manager()  # nobody has joined the room yet, nothing has been said
    real_join = manager.join_in_order
    loads, started, release = [], threading.Event(), threading.Event()

    def slow_join(sid, room_name, since, load):
        def slow(after):
            loads.append(after)
            started.set()
            assert release.wait(5)
            return load(after)

        return real_join(sid, room_name, since, slow)

    first, later = sio(), [sio() for _ in range(5)]
    acks, interview_id = [], interview.id

    def joining(client):
        with app.app_context():  # a thread of its own, as each viewer's events run under a server
            acks.append(join(client, interview_id))
    manager.join_in_order = slow_join
    try:
        threads = [threading.Thread(target=joining, args=(first,))]
        threads[0].start()
        assert started.wait(5)
        threads += [threading.Thread(target=joining, args=(client,)) for client in later]
        for thread in threads[1:]:
            thread.start()
        time.sleep(0.2)  # the five are waiting (or, if slower, join once the first read is done)
        release.set()
        for thread in threads:
            thread.join(10)
    finally:
        manager.join_in_order = real_join
    assert loads == [0]
    assert [ack["last_seq"] for ack in acks] == [0] * 6
    services.post_remark(interview, "开场", actor=people["host"])
    db.session.commit()
    for client in [first, *later]:
        assert [e["seq"] for e in entries(client)] == [1]  # all six in the room, owed the same next entry


def test_upvote_counts_reach_a_room_once_per_interval_and_never_go_down(people, interview, sio):
    viewer, manager, room, scheduled = watched_room(interview, sio)
    manager.server.sleep = lambda seconds: None

    def votes(question, count):
        manager.emit("votes", {"interview": interview.id, "question": question, "upvotes": count}, NS, room=room)

    def seen():
        return [(e["args"][0]["question"], e["args"][0]["upvotes"]) for e in received(viewer, "votes")]

    votes(7, 1)
    assert seen() == [(7, 1)]  # the first of an interval goes at once
    for count in (2, 3, 5, 4):
        votes(7, count)
    votes(8, 1)
    assert seen() == []  # held until the interval ends
    assert len(scheduled) == 1
    fn, args = scheduled.pop()
    fn(*args)
    assert seen() == [(7, 5), (8, 1)]  # only the highest count of the interval
    votes(7, 4)  # an older count arriving late
    assert seen() == []
    votes(7, 6)  # a new interval: at once again
    assert seen() == [(7, 6)]
