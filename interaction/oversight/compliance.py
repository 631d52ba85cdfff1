"""The website self-check (网站自查) against the State Council's inspection indicators for government websites.

Four checks, each green (``ok``) or red with the items behind it and a link to each:

* ``unanswered_3_months`` — the single-item veto (单项否决): any valid letter or approved question left
  unanswered for more than three months. Shown first.
* ``no_reply_published_2_months`` — no reply to a letter and no answer to a question published in the
  last two months.
* ``transcript_missing`` — interviews held (ended) without a published transcript.
* ``poll_report_missing`` — polls closed without a published results report (结果反馈).

:func:`check_and_notify` (a periodic job) e-mails the administrators when a check turns red.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l

from interaction.accounts import queries as accounts_queries
from interaction.core.db import db
from interaction.core.mail import send_mail
from interaction.core.time import isoformat, now_utc, to_local
from interaction.interviews import queries as interviews_queries
from interaction.mailbox import queries as mailbox_queries
from interaction.oversight.models import SummaryMark
from interaction.polls import queries as polls_queries
from interaction.qa import queries as qa_queries

MARK = "compliance"
CODES = ("unanswered_3_months", "no_reply_published_2_months", "transcript_missing", "poll_report_missing")
TITLES = {
    "unanswered_3_months": _l("超过三个月未答复（单项否决）"),
    "no_reply_published_2_months": _l("近两个月没有公开答复"),
    "transcript_missing": _l("访谈结束后未公开文字实录"),
    "poll_report_missing": _l("调查结束后未公开结果反馈"),
}
RULES = {
    "unanswered_3_months": _l("任何一件有效来信或提问超过三个月未答复，即为单项否决。"),
    "no_reply_published_2_months": _l("最近两个月内至少公开一件来信答复或提问回答。"),
    "transcript_missing": _l("每场已举办的在线访谈都应公开文字实录。"),
    "poll_report_missing": _l("每项已结束的民意调查都应公开结果反馈。"),
}
#: Items listed per check (the count says how many there are in all).
ITEM_LIMIT = 200


@dataclass
class Check:
    code: str
    ok: bool
    items: list[dict] = field(default_factory=list)
    total: int = 0
    detail: dict = field(default_factory=dict)

    @property
    def title(self):
        return TITLES[self.code]

    @property
    def rule(self):
        return RULES[self.code]

    def as_json(self) -> dict:
        return {"code": self.code, "ok": self.ok, "title": str(self.title), "total": self.total,
                "items": self.items, **self.detail}


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time *months* months earlier in Shanghai (the day clipped to the month's end)."""
    local = to_local(moment)
    index = local.year * 12 + local.month - 1 - months
    year, month = divmod(index, 12)
    day = local.day
    while True:
        try:
            return local.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def _url(endpoint: str, fallback: str, *, external: bool = False, **values) -> str:
    """The page's address; in a job without a request or ``SERVER_NAME``, its path."""
    try:
        return url_for(endpoint, _external=external, **values)
    except RuntimeError:
        return fallback


def _names() -> dict[int, str]:
    return {d.id: d.name for d in db.session.scalars(accounts_queries.query_departments())}


def run_checks(now: datetime | None = None) -> list[Check]:
    """The four checks now, the veto first."""
    now = now or now_utc()
    names = _names()
    three_months = months_before(now, 3)
    items = [{"kind": "letter", "number": number, "title": subject, "department": names.get(dept),
              "since": isoformat(received),
              "url": _url("mailbox.staff_letter", f"/mailbox/staff/letters/{number}", number=number)}
             for number, subject, dept, received in mailbox_queries.long_unanswered_letters(now, ITEM_LIMIT)]
    items += [{"kind": "question", "id": qid, "title": title, "department": names.get(dept),
               "since": isoformat(started), "url": _url("qa.answer_page", f"/questions/{qid}/answer", question_id=qid)}
              for qid, title, dept, started in qa_queries.long_unanswered_questions(three_months, ITEM_LIMIT)]
    checks = [Check("unanswered_3_months", not items, items, len(items))]

    latest = [m for m in (mailbox_queries.latest_reply_published(), qa_queries.latest_answer_published()) if m]
    last = max(latest) if latest else None
    checks.append(Check("no_reply_published_2_months", last is not None and last >= months_before(now, 2),
                        detail={"last_published": isoformat(last)}))

    items = [{"kind": "interview", "id": iid, "title": title, "department": names.get(dept),
              "since": isoformat(ended), "url": _url("interviews.room", f"/interviews/{iid}", interview_id=iid)}
             for iid, title, dept, ended in interviews_queries.ended_without_transcript(ITEM_LIMIT)]
    checks.append(Check("transcript_missing", not items, items, len(items)))

    polls = db.session.scalars(polls_queries.query_closed_without_report(now).limit(ITEM_LIMIT))
    items = [{"kind": "poll", "id": p.id, "title": p.title, "department": names.get(p.department_id),
              "since": isoformat(p.closes_dt), "url": _url("polls.show", f"/polls/{p.id}", poll_id=p.id)}
             for p in polls]
    checks.append(Check("poll_report_missing", not items, items, len(items)))
    return checks


def check_and_notify(now: datetime | None = None) -> list[str]:
    """Run the checks, remember their outcome, and e-mail the administrators about each that turned red.

    A check turns red when it was green (or never run) and is red now; one still red sends nothing more.
    Flushes; the caller commits (the e-mail goes after the commit). Returns the codes that turned red.
    """
    now = now or now_utc()
    checks = run_checks(now)
    mark = db.session.get(SummaryMark, MARK)
    before = (mark.data or {}) if mark is not None else {}
    turned = [c for c in checks if not c.ok and before.get(c.code, True)]
    if mark is None:
        mark = SummaryMark(key=MARK, event_id=0, as_of_dt=now)
        db.session.add(mark)
    mark.data, mark.as_of_dt = {c.code: c.ok for c in checks}, now
    db.session.flush()
    if turned:
        with force_locale("zh_Hans_CN"):
            lines = [f"- {TITLES[c.code]}: {c.total}" for c in turned]
            failed = len(turned)
            subject = ngettext("网站自查：%(n)d 项检查未通过", "网站自查：%(n)d 项检查未通过", failed, n=failed)
            send_mail(list(db.session.scalars(accounts_queries.query_admin_emails())), subject,
                      _("以下检查项变为未通过：") + "\n" + "\n".join(lines) + "\n\n"
                      + _url("oversight.compliance_page", "/oversight/compliance", external=True))
    return [c.code for c in turned]
