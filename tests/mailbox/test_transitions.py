"""Every step of a letter's state machine writes the same two records: its timeline line and its audit entry.

The steps share one helper (``services.handling._transition``); this pins what each step writes
(action, department, note, internal flag, data, actor; the audit entry's name and details), so the
helper cannot drift from what the steps wrote one by one.
"""

import pytest
from sqlalchemy import select

from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.core.errors import InvalidTransition
from interaction.mailbox import services
from interaction.mailbox.models import LetterEvent
from tests.factories import make_letter


def timeline(letter) -> list[tuple]:
    events = db.session.scalars(select(LetterEvent).where(LetterEvent.letter_id == letter.id).order_by(LetterEvent.id))
    return [(e.action, e.department_id, e.note, e.is_internal, e.data, e.actor_id) for e in events]


def audit_trail(letter) -> list[tuple]:
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "letters",
                                                          AuditEntry.target_id == str(letter.id),
                                                          AuditEntry.action != "mailbox.submit")
                                 .order_by(AuditEntry.id))
    return [(e.action, e.actor_id, e.detail) for e in entries]


def test_each_step_writes_its_timeline_line_and_audit_entry(world, request_context):
    letter, _code = make_letter(world.governor, email="wang@example.com")
    db.session.commit()
    office, edu, police, admin = world.office.id, world.edu.id, world.police.id, world.admin.id
    number = letter.number

    services.accept_letter(letter, actor=world.admin)
    old_due = letter.due_dt
    services.extend_letter(letter, 3, "需要调查", actor=world.admin)
    new_due = letter.due_dt
    services.assign_letter(letter, world.edu, actor=world.admin)
    services.transfer_letter(letter, world.police, "不属本部门", actor=world.edu_staff)
    services.reply_letter(letter, "已处理。", actor=world.police_staff)
    services.rate_letter(letter, None, resolution=1, attitude=2, speed=1, comment="没有解决")
    services.request_rehandle(letter, "仍未解决", actor=None)
    services.supervise_letter(letter, "请加快办理", actor=world.admin)
    services.reply_letter(letter, "已再次处理。", actor=world.police_staff)
    services.close_letter(letter, actor=world.police_staff)
    db.session.commit()

    staff = world.police_staff.id
    assert new_due > old_due
    assert timeline(letter)[1:] == [
        ("accepted", office, None, False, None, admin),
        ("extended", office, "需要调查", False, {"workdays": 3}, admin),
        ("assigned", edu, None, False, None, admin),
        ("transferred", police, "不属本部门", False, {"from": edu}, world.edu_staff.id),
        ("replied", police, None, False, {"body": "已处理。"}, staff),
        ("rated", None, "没有解决", False, {"score": 1, "resolution": 1, "attitude": 2, "speed": 1}, None),
        ("rehandle", police, "仍未解决", False, None, None),
        ("supervised", police, "请加快办理", True, None, admin),
        ("replied", police, None, False, {"body": "已再次处理。"}, staff),
        ("closed", police, None, False, None, staff),
    ]
    assert audit_trail(letter) == [
        ("mailbox.accept", admin, {"number": number}),
        ("mailbox.extend", admin, {"number": number, "workdays": 3, "reason": "需要调查",
                                   "old_due": old_due.isoformat(), "new_due": new_due.isoformat()}),
        ("mailbox.assign", admin, {"number": number, "department": "edu"}),
        ("mailbox.transfer", world.edu_staff.id, {"number": number, "department": "police", "reason": "不属本部门",
                                                  "transfer_count": 1}),
        ("mailbox.reply", staff, {"number": number, "on_time": True}),
        ("mailbox.rate", None, {"number": number, "score": 1}),
        ("mailbox.rehandle", None, {"number": number}),
        ("mailbox.supervise", admin, {"number": number, "note": "请加快办理"}),
        ("mailbox.reply", staff, {"number": number, "on_time": True}),
        ("mailbox.close", staff, {"number": number}),
    ]


def test_a_rejection_and_a_refused_step(world, request_context):
    letter, _code = make_letter(world.governor)
    db.session.commit()
    services.reject_letter(letter, "重复来信", actor=world.admin)
    db.session.commit()
    assert timeline(letter)[1:] == [("rejected", world.office.id, "重复来信", False, None, world.admin.id)]
    assert audit_trail(letter) == [("mailbox.reject", world.admin.id, {"number": letter.number, "reason": "重复来信"})]

    # A step the state does not allow (409) writes neither a timeline line nor an audit entry.
    with pytest.raises(InvalidTransition):
        services.accept_letter(letter, actor=world.admin)
    db.session.rollback()
    assert len(timeline(letter)) == 2 and len(audit_trail(letter)) == 1
