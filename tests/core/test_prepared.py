"""Hot reads at the driver (core.prepared): the rows SQLAlchemy would give, in the session's transaction."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Float, bindparam, func, insert, inspect, select, text

from interaction.accounts.models import Department, User
from interaction.core.db import ReadOnlyRequestWrote, db, write_intent
from interaction.core.prepared import PreparedInsert, PreparedSelect, as_detached, as_loaded
from tests.factories import make_department, make_user

SHANGHAI, HONOLULU = ZoneInfo("Asia/Shanghai"), ZoneInfo("Pacific/Honolulu")


def _people():
    office = make_department(code="office", name="省政府办公厅")
    make_user("staff", department=office, email="clerk@example.com", name="李办事")
    make_user("citizen", email="citizen@example.com", name="王市民", phone=None)
    db.session.commit()


STATEMENT = (select(User.id, User.email, User.phone, User.is_enabled, User.created_dt, User.last_login_dt,
                    Department.name.label("department_name"))
             .outerjoin(Department, Department.id == User.department_id)
             .where(User.created_dt < bindparam("before", type_=User.created_dt.type))
             .order_by(User.id))


def test_rows_equal_what_the_session_gives(app):
    _people()
    # Aware moments in other zones: the parameter is converted as the column's type does (SQLite keeps naive
    # UTC text: compared as given, an hour later in Honolulu reads earlier and an hour ago in Shanghai later).
    before = datetime.now(HONOLULU) + timedelta(hours=1)
    expected = db.session.execute(STATEMENT, {"before": before}).all()
    rows = PreparedSelect(STATEMENT).all(before=before)
    assert len(rows) == 2
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    assert rows[1].phone is None and rows[0].department_name == "省政府办公厅" and rows[1].department_name is None
    assert rows[0].created_dt.tzinfo is not None and rows[0].created_dt.utcoffset() == timedelta(0)
    assert rows[0].is_enabled is True
    assert PreparedSelect(STATEMENT).all(before=datetime.now(SHANGHAI) - timedelta(hours=1)) == []
    assert PreparedSelect(STATEMENT).all(before=datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_values_built_into_the_statement_are_passed(app):
    _people()
    count = PreparedSelect(select(func.count()).select_from(User).where(User.email.like("%@example.com")))
    assert count.first()[0] == 2
    limited = PreparedSelect(select(User.email).order_by(User.email).limit(1))
    assert [row.email for row in limited.all()] == ["citizen@example.com"]


def test_runs_in_the_session_transaction(app):
    """A row flushed and not committed is seen; after a rollback it is gone."""
    emails = PreparedSelect(select(User.email).order_by(User.email))
    db.session.add(User(email="new@example.com", name="新用户", password_hash="-"))
    db.session.flush()
    assert [row.email for row in emails.all()] == ["new@example.com"]
    db.session.rollback()
    assert emails.all() == []


def test_refuses_what_needs_sqlalchemy_at_execution(app):
    with pytest.raises(ValueError, match="expand"):
        PreparedSelect(select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))).all(ids=[1])


def test_as_loaded_is_a_clean_persistent_object(app):
    _people()
    clerk_id = db.session.scalar(select(User.id).where(User.email == "clerk@example.com"))
    db.session.expunge_all()
    row = PreparedSelect(select(*User.__table__.columns).where(User.id == clerk_id)).first()
    clerk = as_loaded(User, row)
    state = inspect(clerk)
    assert state.persistent and not db.session.dirty and not db.session.new
    assert clerk.department.name == "省政府办公厅"  # a relationship loads when used
    assert as_loaded(User, row) is clerk  # one object per row in a session
    assert db.session.get(User, clerk_id) is clerk
    clerk.name = "李明"
    db.session.commit()
    assert db.session.scalar(select(User.name).where(User.id == clerk_id)) == "李明"


def test_as_detached_is_a_snapshot_no_session_tracks(app):
    """Nothing to flush or expire; given to the ORM it joins the session as loaded, never inserted again."""
    _people()
    office_id = db.session.scalar(select(Department.id).where(Department.code == "office"))
    row = PreparedSelect(select(*Department.__table__.columns).where(Department.id == office_id)).first()
    office = as_detached(Department, row)
    state = inspect(office)
    assert state.detached and office not in db.session and office.name == "省政府办公厅"
    db.session.commit()
    assert office.name == "省政府办公厅"  # not expired by the commit: still readable
    clerk = make_user("staff", email="new-clerk@example.com")
    clerk.department = office
    db.session.commit()  # the department is not inserted a second time (a unique code would refuse it)
    assert db.session.scalar(select(func.count()).select_from(Department).where(Department.code == "office")) == 1
    assert db.session.scalar(select(User.department_id).where(User.email == "new-clerk@example.com")) == office_id


def test_a_generic_plan_holds_for_its_statement_only(app):
    """generic_plan: PostgreSQL plans the statement once (pg_prepared_statements), the setting does not leak."""
    _people()
    emails = PreparedSelect(select(User.email).where(User.email.like(bindparam("pattern"))).order_by(User.email),
                            generic_plan=True)
    for _ in range(3):
        assert [row.email for row in emails.all(pattern="%@example.com")] == ["citizen@example.com",
                                                                             "clerk@example.com"]
    root = PreparedSelect(select(func.sqrt(bindparam("x", type_=Float)).label("root")), generic_plan=True)
    assert root.first(x=2.25).root == 1.5  # a number: its type's processor needs the result's column type
    if db.engine.dialect.name != "postgresql":
        return
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"
    plans = db.session.execute(text("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                                    "WHERE statement LIKE 'SELECT users.email%'")).all()
    assert plans and plans[0].generic_plans >= 3 and plans[0].custom_plans == 0
    connection = db.session.connection().connection.dbapi_connection
    with pytest.raises(Exception, match="square root"):
        root.all(x=-1.0)
    db.session.rollback()
    assert connection.execute("SHOW plan_cache_mode").fetchone()[0] == "auto"  # undone with the failed statement


INSERT_DEPARTMENT = PreparedInsert(insert(Department).values(code=bindparam("code"), name=bindparam("name"),
                                                             kind=bindparam("kind"), sort_order=0, is_active=True)
                                   .returning(Department.id))


def test_an_insert_returns_its_rows_in_the_session_transaction(app):
    inserted = INSERT_DEPARTMENT.run(code="prepared", name="预备处", kind="department")
    assert [type(row.id) for row in inserted] == [int]
    assert db.session.get(Department, inserted[0].id).name == "预备处"  # the session's own transaction sees it
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0  # and rolls it back


def test_an_insert_without_returning_gives_no_rows(app):
    plain = PreparedInsert(insert(Department).inline().values(code=bindparam("code"), name=bindparam("name"),
                                                              kind=bindparam("kind"), sort_order=0, is_active=True))
    assert plain.run(code="plain", name="平常处", kind="department") == []
    assert db.session.scalar(select(Department.name).where(Department.code == "plain")) == "平常处"


def test_an_insert_is_refused_while_reading(app):
    token = write_intent.set(False)
    try:
        with pytest.raises(ReadOnlyRequestWrote):
            INSERT_DEPARTMENT.run(code="refused", name="不应保存", kind="department")
    finally:
        write_intent.reset(token)
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0


def test_rows_are_processed_only_when_read(app):
    _people()
    before = datetime.now(UTC) + timedelta(hours=1)
    fetched = PreparedSelect(STATEMENT).fetch(before=before)
    assert fetched._rows is None and len(fetched) == 2 and fetched  # len and truth from the raw rows
    assert hash(fetched) == hash(PreparedSelect(STATEMENT).fetch(before=before))  # a memo key
    assert fetched._rows is None
    assert fetched == db.session.execute(STATEMENT, {"before": before}).all()  # read: processed, equal
    assert fetched[0].created_dt.tzinfo is not None
    first_only = fetched.subset(fetched.raw[:1])
    assert [row.email for row in first_only] == [fetched[0].email]
    assert fetched.position("email") == 1


def test_a_missing_value_is_refused_before_anything_runs(app):
    with pytest.raises(ValueError, match="before"):
        PreparedSelect(STATEMENT).all()
