"""The administration area: departments, users, audit log."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from interaction.accounts.models import ApiToken, Department, User
from interaction.core.audit import AuditEntry
from interaction.core.db import db
from tests.accounts.conftest import is_signed_in
from tests.helpers import csrf_token
from tests.factories import PASSWORD, make_department, make_user


def test_admin_creates_and_edits_departments(client, people, login, post_form):
    login(people["admin"])
    response = post_form("/admin/departments/new", {"code": "changsha", "name": "长沙市", "kind": "city",
                                                    "parent": 0, "is_active": "y"})
    assert response.status_code == 302
    changsha = db.session.scalar(select(Department).filter_by(code="changsha"))
    response = post_form("/admin/departments/new", {"code": "liuyang", "name": "浏阳市", "kind": "county",
                                                    "parent": changsha.id, "is_active": "y"})
    liuyang = db.session.scalar(select(Department).filter_by(code="liuyang"))
    assert liuyang.parent is changsha

    duplicate = post_form("/admin/departments/new", {"code": "changsha", "name": "又一个", "kind": "city",
                                                     "parent": 0, "is_active": "y"}).get_data(as_text=True)
    assert "部门代码已存在" in duplicate and 'id="code-error"' in duplicate

    # A department cannot move under its own subtree; the form does not even offer it.
    page = post_form(f"/admin/departments/{changsha.id}/edit", {"name": "长沙市", "kind": "city",
                                                                "parent": liuyang.id, "is_active": "y"})
    assert changsha.parent is None and 'id="parent-error"' in page.get_data(as_text=True)

    response = post_form(f"/admin/departments/{liuyang.id}/edit", {"name": "浏阳市（县级市）", "kind": "county",
                                                                   "parent": 0})
    assert response.status_code == 302
    db.session.refresh(liuyang)
    assert (liuyang.name, liuyang.parent_id, liuyang.is_active) == ("浏阳市（县级市）", None, False)
    listing = client.get("/admin/departments").get_data(as_text=True)
    assert "长沙市" in listing and "浏阳市（县级市）" in listing
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["departments.create", "departments.update"]))) == 3


def test_admin_creates_staff_with_a_department(client, people, login, post_form):
    login(people["admin"])
    data = {"email": "New.Staff@example.com", "name": "新同事", "phone": "", "role": "staff", "department": 0,
            "password": "initial password"}
    page = post_form("/admin/users/new", data).get_data(as_text=True)
    assert "工作人员必须属于一个部门" in page and 'value="new.staff@example.com"' in page
    response = post_form("/admin/users/new", {**data, "department": people["department"].id})
    assert response.status_code == 302
    user = db.session.scalar(select(User).filter_by(email="new.staff@example.com"))
    assert (user.role, user.department_id) == ("staff", people["department"].id)
    taken = post_form("/admin/users/new", {**data, "email": "STAFF@example.com",
                                           "department": people["department"].id}).get_data(as_text=True)
    assert "该邮箱已经注册" in taken


def test_admin_changes_role_and_department(client, people, login, post_form):
    login(people["admin"])
    citizen = people["citizen"]
    refused = post_form(f"/admin/users/{citizen.id}", {"role": "staff", "department": 0})
    assert 'id="department-error"' in refused.get_data(as_text=True) and citizen.role == "citizen"
    response = post_form(f"/admin/users/{citizen.id}", {"role": "staff", "department": people["department"].id})
    assert response.status_code == 302
    assert (citizen.role, citizen.department_id) == ("staff", people["department"].id)
    entry = db.session.scalar(select(AuditEntry).filter_by(action="users.update"))
    assert entry.actor_id == people["admin"].id and entry.detail["changes"]["role"] == ["citizen", "staff"]


def test_deactivation_ends_sessions_and_tokens_and_reactivation_restores_sign_in(
        app, client, people, login, post_form, api_token):
    other = app.test_client()
    other.post("/login", data={"email": "staff@example.com", "password": PASSWORD, "csrf_token": csrf_token(other)})
    headers = api_token("staff@example.com", PASSWORD)
    assert is_signed_in(other)
    login(people["admin"])
    staff = people["staff"]
    assert post_form(f"/admin/users/{staff.id}/disable").status_code == 302
    assert not staff.is_enabled
    assert not is_signed_in(other)
    assert app.test_client().get("/api/v1/auth/me", headers=headers).status_code == 401
    assert db.session.scalar(select(ApiToken.revoked_dt)) is not None
    refused = other.post("/login", data={"email": "staff@example.com", "password": PASSWORD,
                                         "csrf_token": csrf_token(other)})
    assert "已停用" in refused.get_data(as_text=True)

    assert post_form(f"/admin/users/{staff.id}/enable").status_code == 302
    assert other.post("/login", data={"email": "staff@example.com", "password": PASSWORD,
                                      "csrf_token": csrf_token(other)}).status_code == 302


def test_admin_cannot_lock_themselves_out(client, people, login, post_form):
    admin = people["admin"]
    login(admin)
    post_form(f"/admin/users/{admin.id}/disable")
    post_form(f"/admin/users/{admin.id}", {"role": "citizen", "department": 0})
    assert admin.is_enabled and admin.role == "admin"


def test_user_list_search_filter_and_pages(client, people, login):
    other_department = make_department(code="police", name="公安厅")
    for n in range(35):
        make_user(role="staff", department=other_department, email=f"officer{n}@example.com", name=f"民警{n}")
    db.session.commit()
    login(people["admin"])

    def names(query):
        page = client.get(f"/admin/users?{query}").get_data(as_text=True)
        return set(re.findall(r'/admin/users/\d+">([^<]+)</a></td>', page)), page

    assert names("q=工作人员")[0] == {"工作人员乙"}
    assert names("q=CITIZEN@")[0] == {"公众甲"}
    assert names("role=moderator")[0] == {"审核员丙"}
    found, police = names(f"department={other_department.id}")
    assert "共 35 个账号" in police and len(found) == 30 and all(n.startswith("民警") for n in found)
    assert "第 1 / 2 页" in police and f"department={other_department.id}" in police  # filters kept on the pager
    assert len(names(f"department={other_department.id}&page=2")[0]) == 5
    assert client.get("/admin/users?department=abc&role=nonsense").status_code == 200


def test_audit_log_filters_newest_first(client, clock, people, login):
    from interaction.core import audit

    audit.record("users.update", actor=people["admin"], target=people["citizen"])
    clock.advance(days=2)
    audit.record("departments.update", actor=people["staff"], target=people["department"])
    db.session.commit()
    login(people["admin"])

    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("departments.update") < page.index("users.update")
    by_actor = client.get("/admin/audit?actor=STAFF@example.com").get_data(as_text=True)
    assert "departments.update" in by_actor and "users.update" not in by_actor
    by_target = client.get(f"/admin/audit?target=users:{people['citizen'].id}").get_data(as_text=True)
    assert "users.update" in by_target and "departments.update" not in by_target
    by_action = client.get("/admin/audit?action=departments").get_data(as_text=True)
    assert "departments.update" in by_action and "users.update" not in by_action
    day = (clock.now - timedelta(days=2)).date().isoformat()  # 10:00 in Shanghai: same calendar day
    by_date = client.get(f"/admin/audit?date_from={day}&date_to={day}").get_data(as_text=True)
    assert "users.update" in by_date and "departments.update" not in by_date
    assert client.get("/admin/audit?date_from=yesterday").status_code == 200
    assert client.post("/admin/audit", data={"csrf_token": csrf_token(client)}).status_code == 405  # read-only


def test_admin_index_lists_feature_links(app, client, people, login):
    from interaction.accounts.admin import register_admin_link

    register_admin_link(app, "admin.list_audit", "测试功能链接")
    login(people["admin"])
    page = client.get("/admin/").get_data(as_text=True)
    assert "测试功能链接" in page
    assert client.get("/").get_data(as_text=True).count('href="/admin/"') == 1  # the nav link, for admins
    login(people["citizen"])
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
