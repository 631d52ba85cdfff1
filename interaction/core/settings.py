"""Site settings (站点设置): what the portal says about itself, set by administrators, not in code.

The footer's 主办单位, contact, the 12345 hotline, the ICP and 公安 filing numbers, and the 留言须知
shown above the letter form. They are rows of core's existing ``settings`` table
(:class:`~interaction.core.keycheck.Setting`, name → text) named ``site.<key>``: the table is a
plain name/value store already migrated everywhere, a handful of short texts needs nothing more,
and a second table for the same shape would only be another migration.

Every page shows the footer, so reads come from a per-process cache (cachetools' TTLCache) of
:data:`CACHE_SECONDS`, filled without leaving a transaction open; :func:`save_site_settings` empties
it at once and after commit, and other processes see the change within that time.
"""

from __future__ import annotations

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import select

from interaction.core import audit
from interaction.core.db import after_commit, db
from interaction.core.keycheck import Setting
from interaction.core.time import now_utc

PREFIX = "site."
#: The settings, with their defaults (12345 is the national government service hotline).
SITE_DEFAULTS: dict[str, str] = {
    "host": "",  # 主办单位
    "organizer": "",  # 承办单位
    "contact": "",  # 联系方式 (address, telephone, e-mail)
    "hotline": "12345",
    "icp": "",  # ICP备案号, e.g. 湘ICP备05000001号
    "police_filing": "",  # 公安机关备案号, e.g. 湘公网安备 43010502000001号
    "writing_notice": "",  # 留言须知, shown on the letter form
}
#: Where a filing number links to (the regulations ask for the link): the MIIT's and the police's filing sites.
FILING_URLS = {"icp": "https://beian.miit.gov.cn/", "police_filing": "https://beian.mps.gov.cn/"}
MAX_LENGTHS = {"writing_notice": 3000}
DEFAULT_MAX_LENGTH = 200
CACHE_SECONDS = 60
EXTENSION_KEY = "interaction.site_settings"


def _cache() -> TTLCache:
    cache = current_app.extensions.get(EXTENSION_KEY)
    if cache is None:
        cache = current_app.extensions[EXTENSION_KEY] = TTLCache(maxsize=1, ttl=CACHE_SECONDS)
    return cache


def site_settings() -> dict[str, str]:
    """Every site setting (its default where none is stored), read at most once per :data:`CACHE_SECONDS`."""
    cache = _cache()
    values = cache.get("site")
    if values is None:
        # The footer of any page reads this, an error page after a refused write too: a session already in
        # a transaction reads in it; otherwise what the read began (a GET's is in AUTOCOMMIT, core.db) is
        # ended here, so the footer never leaves the request's session holding a transaction.
        began = not db.session().in_transaction()
        stored = dict(db.session.execute(select(Setting.name, Setting.value)
                                          .where(Setting.name.startswith(PREFIX, autoescape=True))).all())
        if began:
            db.session.commit()  # nothing to write: ends the read begun above
        values = {key: stored.get(PREFIX + key, default) for key, default in SITE_DEFAULTS.items()}
        cache["site"] = values
    return values


def forget() -> None:
    """Drop this process's cached settings (the next read goes to the database)."""
    _cache().clear()


def save_site_settings(values: dict[str, str], *, actor) -> dict[str, str]:
    """Store the given site settings (unknown keys ignored; text stripped, at most its length); return all.

    Audited as ``site.settings`` with the values before and after. Flushes; the caller commits.
    """
    now, before, after = now_utc(), {}, {}
    current = site_settings()
    for key, raw in values.items():
        if key not in SITE_DEFAULTS or raw is None:
            continue
        value = str(raw).strip()[:MAX_LENGTHS.get(key, DEFAULT_MAX_LENGTH)]
        if value == current.get(key):
            continue
        row = db.session.get(Setting, PREFIX + key)
        if row is None:
            row = Setting(name=PREFIX + key, value=value, updated_dt=now)
            db.session.add(row)
        else:
            row.value, row.updated_dt = value, now
        before[key], after[key] = current.get(key), value
    db.session.flush()
    if after:
        audit.record("site.settings", actor=actor, target_type="settings", target_id="site", before=before,
                     after=after)
    app = current_app._get_current_object()
    forget()

    def _forget_after_commit():
        with app.app_context():
            forget()

    after_commit(_forget_after_commit)
    return {**current, **after}
