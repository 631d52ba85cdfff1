"""``flask departments create``, ``flask users create`` and ``flask seed-demo``."""

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from interaction.accounts.models import Department, User
from interaction.core.audit import AuditEntry
from interaction.core.db import db
from interaction.demo import ACCOUNTS, DEMO_PASSWORD
from interaction.mailbox.models import Mailbox


def test_departments_create(runner):
    assert runner.invoke(args=["departments", "create", "--code", "hunan", "--name", "湖南省人民政府",
                               "--kind", "province"]).exit_code == 0
    result = runner.invoke(args=["departments", "create", "--code", "edu", "--name", "教育厅", "--parent", "hunan"])
    assert result.exit_code == 0, result.output
    edu = db.session.scalar(select(Department).filter_by(code="edu"))
    assert (edu.parent.code, edu.kind) == ("hunan", "department")

    duplicate = runner.invoke(args=["departments", "create", "--code", "edu", "--name", "x"])
    assert duplicate.exit_code == 1 and "部门代码已存在" in duplicate.output
    orphan = runner.invoke(args=["departments", "create", "--code", "x", "--name", "x", "--parent", "nope"])
    assert orphan.exit_code == 1 and "unknown department 'nope'" in orphan.output


def test_users_create(runner):
    runner.invoke(args=["departments", "create", "--code", "edu", "--name", "教育厅"])
    result = runner.invoke(args=["users", "create", "--email", "Teacher@Example.com", "--password", "a long password",
                                 "--role", "staff", "--department", "edu", "--name", "李老师"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).filter_by(email="teacher@example.com"))
    assert (user.role, user.department.code, user.name) == ("staff", "edu", "李老师")
    assert check_password_hash(user.password_hash, "a long password")

    for args, message in [
        (["--email", "a@example.com", "--password", "short", "--role", "admin"], "10"),
        (["--email", "b@example.com", "--password", "a long password", "--role", "staff"], "部门"),
        (["--email", "TEACHER@example.com", "--password", "a long password", "--role", "admin"], "已经注册"),
        (["--email", "c@example.com", "--password", "a long password", "--role", "citizen", "--department", "edu"],
         "部门"),
        (["--email", "d@example.com", "--password", "a long password", "--role", "king"], "king"),
    ]:
        result = runner.invoke(args=["users", "create", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Department, Mailbox, User, AuditEntry))


def test_seed_demo_is_idempotent(runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = _counts()
    departments, mailboxes, users, _ = counts
    assert departments == 1 + 9 + 14 + 3 and users == len(ACCOUNTS) and mailboxes >= 10
    assert db.session.scalar(select(Mailbox).filter_by(code="governor")).reply_days == 15
    changsha = db.session.scalar(select(Department).filter_by(name="长沙市"))
    assert {d.name for d in changsha.children} >= {"长沙县", "浏阳市", "宁乡市"}
    staff = db.session.scalar(select(User).filter_by(email="staff@demo.gov.cn"))
    assert staff.department.name == "教育厅"
    assert "admin@demo.gov.cn" in first.output and DEMO_PASSWORD in first.output

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == counts

    response = client.post("/api/v1/auth/token", json={"email": "admin@demo.gov.cn", "password": DEMO_PASSWORD})
    assert response.status_code == 200 and response.get_json()["user"]["role"] == "admin"


def test_seed_demo_first_start_leaves_existing_sites_alone(runner):
    runner.invoke(args=["users", "create", "--email", "root@example.com", "--password", "a long password",
                        "--role", "admin"])
    result = runner.invoke(args=["seed-demo", "--first-start"])
    assert result.exit_code == 0
    assert "citizen@demo.gov.cn" in result.output  # the table is printed all the same
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_seed_demo_first_start_loads_an_empty_site(runner):
    result = runner.invoke(args=["seed-demo", "--first-start"])
    assert result.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == len(ACCOUNTS)


def test_seed_demo_runs_feature_seeders_after_the_base_data(app, runner):
    seen = []
    app.extensions.setdefault("interaction.demo_seeders", []).append(lambda admin: seen.append(admin.email))
    runner.invoke(args=["seed-demo"])
    assert seen == ["admin@demo.gov.cn"]
