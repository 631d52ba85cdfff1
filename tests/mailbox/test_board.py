"""The supervision board: 10 rows per section with the section's total and a link to its paginated page."""

import re
from datetime import datetime

import pytest
from sqlalchemy import event

from interaction.core.db import db
from interaction.core.time import SHANGHAI
from interaction.mailbox import queries
from tests.factories import make_letter


def text(response):
    return response.get_data(as_text=True)


def test_board_shows_ten_rows_a_count_and_a_more_link(client, world, login, clock, request_context):
    letters = [make_letter(world.governor, subject=f"超期来信{i:02d}")[0] for i in range(23)]
    db.session.commit()
    clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))  # past the deadline, within three months
    login(world.admin)
    board = queries.supervision_board()
    assert board["overdue"]["total"] == 23 and len(board["overdue"]["letters"]) == 10
    assert board["acceptance_overdue"]["total"] == 23 and len(board["acceptance_overdue"]["letters"]) == 10
    assert board["long_unanswered"] == {"letters": [], "total": 0, "capped": False}
    assert board["flagged"]["total"] == 0
    # Soonest deadline first, ties by id.
    assert [letter.id for letter in board["overdue"]["letters"]] == [letter.id for letter in letters[:10]]

    page = text(client.get("/mailbox/supervision"))
    assert "已超期（23）" in page and "超过受理期限（23）" in page
    assert page.count("超期来信") == 20  # 10 rows in each of the two sections
    assert "/mailbox/supervision/overdue" in page and "/mailbox/supervision/acceptance_overdue" in page
    assert "/mailbox/supervision/due_soon" not in page  # an empty section has no link
    assert "supervise-note" not in page  # no per-row forms: 督办 is on the letter page

    first = text(client.get("/mailbox/supervision/overdue"))
    assert "已超期（23）" in first and first.count("超期来信") == 20 and "page=2" in first
    second = text(client.get("/mailbox/supervision/overdue?page=2"))
    shown = re.findall(r"超期来信(\d\d)", second)
    assert shown == ["20", "21", "22"]


def test_overdue_leaves_out_letters_past_three_months(client, world, login, clock, request_context):
    old, _ = make_letter(world.governor, subject="三个月前的信")
    db.session.commit()
    clock.set(datetime(2027, 2, 10, 10, tzinfo=SHANGHAI))
    recent, _ = make_letter(world.governor, subject="新来信")
    db.session.commit()
    board = queries.supervision_board()
    assert [letter.id for letter in board["long_unanswered"]["letters"]] == [old.id]
    assert board["overdue"]["total"] == 0 and board["long_unanswered"]["total"] == 1
    assert board["acceptance_overdue"]["total"] == 1  # the recent one is still within its 2 working days


def test_flagged_section_and_access(client, world, login, clock, request_context):
    letter, _ = make_letter(world.governor, subject="多次转办")
    letter.transfer_count = 3
    db.session.commit()
    assert [x.id for x in queries.supervision_board()["flagged"]["letters"]] == [letter.id]
    login(world.office_staff)
    assert client.get("/mailbox/supervision/flagged").status_code == 403
    login(world.admin)
    assert "多次转办" in text(client.get("/mailbox/supervision/flagged"))
    assert client.get("/mailbox/supervision/nothing").status_code == 404


def test_inbox_rows_show_deadline_badges(client, world, login, clock, request_context):
    # Received Monday 2026-11-02: due Monday 2026-11-23 (15 working days).
    letter, _ = make_letter(world.governor, subject="期限测试")
    db.session.commit()
    login(world.office_staff)

    def row():
        page = text(client.get("/mailbox/inbox"))
        return page[page.index(letter.number):].split("</tr>", 1)[0]

    clock.set(datetime(2026, 11, 20, 10, tzinfo=SHANGHAI))  # Friday: Friday and Monday left
    assert "即将到期" in row() and "1 个工作日" in row() and "row-danger" not in row()
    assert "已转办" not in row()
    letter.transfer_count = 3
    db.session.commit()
    assert "已转办 3 次" in row()
    clock.set(datetime(2026, 11, 23, 10, tzinfo=SHANGHAI))
    assert "今天到期" in row()
    clock.set(datetime(2026, 11, 25, 10, tzinfo=SHANGHAI))
    assert "已超期" in row() and "超期 2 个工作日" in row()
    clock.set(datetime(2027, 2, 10, 10, tzinfo=SHANGHAI))
    page = text(client.get("/mailbox/inbox"))
    assert "row-danger" in page and "超过三个月未答复" in page


def test_counts_past_the_cap_read_as_a_floor(client, world, login, clock, monkeypatch, request_context):
    """Totals are counted up to their cap: past it the board, the section and the inbox show "N+"."""
    from interaction.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 21)  # a section's page
    monkeypatch.setattr(queries.letters, "STAFF_COUNT_CAP", 21)  # the board and the inbox
    for i in range(23):
        make_letter(world.governor, subject=f"超期来信{i:02d}")
    db.session.commit()
    clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))
    board = queries.supervision_board()
    assert board["overdue"] == {"letters": board["overdue"]["letters"], "total": 21, "capped": True}
    assert len(board["overdue"]["letters"]) == queries.BOARD_ROWS
    assert queries.supervision_board(cap=23)["overdue"]["capped"] is False  # exactly the cap: not capped

    login(world.admin)
    page = text(client.get("/mailbox/supervision"))
    assert "已超期（21+）" in page and "查看全部 21+ 封" in page
    section = text(client.get("/mailbox/supervision/overdue"))
    assert "已超期（21+）" in section and "第 1 / 1+ 页" in section and "page=2" in section
    last = text(client.get("/mailbox/supervision/overdue?page=2"))
    assert re.findall(r"超期来信(\d\d)", last) == ["20", "21", "22"] and "page=3" not in last

    login(world.office_staff)
    inbox = text(client.get("/mailbox/inbox"))
    assert "共 21+ 封，按答复期限排序" in inbox and "page=2" in inbox


def test_counts_below_the_cap_are_exact(client, world, login, clock, request_context):
    for i in range(3):
        make_letter(world.governor, subject=f"来信{i}")
    db.session.commit()
    login(world.office_staff)
    inbox = text(client.get("/mailbox/inbox"))
    assert "共 3 封，按答复期限排序" in inbox and "pagination" not in inbox


def test_memoized_tables_follow_every_change(client, world, login, clock, request_context):
    """The inbox and the board are memoized by what they read (core.pages.render_page): never stale."""
    letter, _ = make_letter(world.governor, subject="原来的标题")
    db.session.commit()
    clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))
    login(world.admin)
    assert "原来的标题" in text(client.get("/mailbox/supervision"))
    login(world.office_staff)
    assert "原来的标题" in text(client.get("/mailbox/inbox"))

    letter.subject = "改过的标题"
    db.session.commit()
    assert "改过的标题" in text(client.get("/mailbox/inbox"))
    make_letter(world.governor, subject="又一封来信")
    db.session.commit()
    inbox = text(client.get("/mailbox/inbox"))
    assert "又一封来信" in inbox and "共 2 封" in inbox
    assert "原来的标题" not in text(client.get("/mailbox/inbox?status=all&category=complaint"))
    login(world.admin)
    board = text(client.get("/mailbox/supervision"))
    assert "改过的标题" in board and "原来的标题" not in board
    assert "又一封来信" not in board  # received today: not late for anything yet
    clock.set(datetime(2026, 12, 16, 10, tzinfo=SHANGHAI))  # the board's moment moved: it is now
    assert "又一封来信" in text(client.get("/mailbox/supervision"))
    client.set_cookie("lang", "en")
    assert "Overdue" in text(client.get("/mailbox/supervision"))


def test_the_board_an_inbox_and_the_public_list_shown_before_come_from_the_memo(client, world, login, clock,
                                                                                 monkeypatch, request_context):
    """Their views pass values (rows, dicts, pages), so core.pages.render_page keys them: a reload renders nothing."""
    from interaction.core import pages

    make_letter(world.governor, subject="超期来信")
    db.session.commit()
    clock.set(datetime(2026, 12, 16, 10, tzinfo=SHANGHAI))
    rendered = []
    real = pages.render_template
    monkeypatch.setattr(pages, "render_template", lambda template, **context: rendered.append(template)
                        or real(template, **context))
    login(world.admin)
    board = text(client.get("/mailbox/supervision"))
    assert "超期来信" in board and text(client.get("/mailbox/supervision")) == board
    login(world.office_staff)
    inbox = text(client.get("/mailbox/inbox?status=all"))
    assert "超期来信" in inbox and text(client.get("/mailbox/inbox?status=all")) == inbox
    visitor = client.application.test_client()
    assert text(visitor.get("/mailbox/public")) == text(visitor.get("/mailbox/public"))
    assert rendered == ["oversight/supervision_board.html", "mailbox/letter_inbox.html",
                        "mailbox/letter_public_list.html"]


def test_on_sqlite_each_section_reads_the_index_it_names(world, request_context):
    """SQLite's planner chose from stale statistics (after one ANALYZE it scanned every open letter)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's (this suite also runs on SQLite)")
    sent = []

    def capture(_conn, _cursor, statement, parameters, *_args):
        if "UNION ALL" in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        queries.supervision_board()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = sent[0]
    details = [row[3] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
               if " letters " in f"{row[3]} "]
    assert len(details) == 2 * len(queries.BOARD_SECTIONS)  # each section's rows and count
    used = {re.search(r"INDEX (\w+)", detail).group(1) for detail in details}
    assert used == set(queries.SECTION_INDEXES.values()) | set(queries.COUNT_INDEXES.values())


def test_overdue_letters_of_one_deadline_come_oldest_first(client, world, login, clock, request_context):
    """The overdue section is ordered as its index (due_dt, received_dt, id): same deadline, older letter first."""
    later, _ = make_letter(world.governor, subject="十点收到", received_dt=datetime(2026, 11, 2, 10, tzinfo=SHANGHAI))
    earlier, _ = make_letter(world.governor, subject="九点收到", received_dt=datetime(2026, 11, 2, 9, tzinfo=SHANGHAI))
    db.session.commit()
    assert later.due_dt == earlier.due_dt and later.id < earlier.id
    clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))
    board = queries.supervision_board()
    assert [letter.id for letter in board["overdue"]["letters"]] == [earlier.id, later.id]
    login(world.admin)
    section = text(client.get("/mailbox/supervision/overdue"))
    assert section.index("九点收到") < section.index("十点收到")
