"""Who may open which accounts page and API endpoint: one parametrized rule (CONVENTIONS 14)."""

import pytest

from tests.helpers import csrf_token
from tests.factories import PASSWORD

ROLES = ["anonymous", "citizen", "staff", "moderator", "admin"]
ADMIN_ONLY = {"anonymous": 302, "citizen": 403, "staff": 403, "moderator": 403, "admin": 200}
SIGNED_IN = {"anonymous": 302, "citizen": 200, "staff": 200, "moderator": 200, "admin": 200}

#: (method, path, {role: status}); {dept} and {user} are filled in; API calls use a bearer token.
MATRIX = [
    ("GET", "/login", {"anonymous": 200, "citizen": 302, "staff": 302, "moderator": 302, "admin": 302}),
    ("GET", "/register", {"anonymous": 200, "citizen": 302, "staff": 302, "moderator": 302, "admin": 302}),
    ("GET", "/account", SIGNED_IN),
    ("GET", "/account/password", SIGNED_IN),
    ("POST", "/logout", dict.fromkeys(ROLES, 302)),
    ("GET", "/admin/", ADMIN_ONLY),
    ("GET", "/admin/departments", ADMIN_ONLY),
    ("GET", "/admin/departments/new", ADMIN_ONLY),
    ("GET", "/admin/departments/{dept}/edit", ADMIN_ONLY),
    ("POST", "/admin/departments/new", {**ADMIN_ONLY, "admin": 200}),  # empty form: shown again with errors
    ("GET", "/admin/users", ADMIN_ONLY),
    ("GET", "/admin/users/new", ADMIN_ONLY),
    ("GET", "/admin/users/{user}", ADMIN_ONLY),
    ("POST", "/admin/users/{user}/disable", {**ADMIN_ONLY, "admin": 302}),
    ("POST", "/admin/users/{user}/enable", {**ADMIN_ONLY, "admin": 302}),
    ("GET", "/admin/audit", ADMIN_ONLY),
    ("GET", "/api/v1/auth/me", {**SIGNED_IN, "anonymous": 401}),
    ("DELETE", "/api/v1/auth/token", {"anonymous": 401, "citizen": 204, "staff": 204, "moderator": 204,
                                      "admin": 204}),
]

CASES = [(role, method, path, expected[role]) for method, path, expected in MATRIX for role in ROLES]


@pytest.mark.parametrize("role, method, path, expected", CASES,
                         ids=[f"{role}-{method}-{path}" for role, method, path, _ in CASES])
def test_access(client, people, login, api_token, role, method, path, expected):
    path = path.format(dept=people["department"].id, user=people["citizen"].id)
    headers = {}
    if path.startswith("/api/"):
        if role != "anonymous":
            headers = api_token(f"{role}@example.com", PASSWORD)
    elif role != "anonymous":
        login(people[role])
    data = {"csrf_token": csrf_token(client)} if method == "POST" else None
    response = client.open(path, method=method, headers=headers, data=data)
    assert response.status_code == expected
    if expected == 302 and role == "anonymous" and path.startswith(("/admin", "/account")):
        assert "/login?next=" in response.headers["Location"]
