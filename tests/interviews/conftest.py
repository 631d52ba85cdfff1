"""Fixtures of the interview tests: people, a live interview, Socket.IO test clients per person.

Socket clients share the HTTP login of their own Flask test client (``flask_test_client``),
as a browser shares the page's session cookie with its socket.
"""

import pytest
from flask_socketio import SocketIOTestClient

from interaction.core.db import db
from interaction.core.extensions import socketio
from interaction.interviews.services import GuestData
from tests.factories import make_department, make_interview, make_user
from tests.interviews.helpers import NS


@pytest.fixture(autouse=True)
def request_context(app):
    """Services translate their error messages; the locale selector needs a request for that."""
    with app.test_request_context():
        yield


@pytest.fixture
def people(app):
    department = make_department(code="dev", name="发展改革委")
    official = make_user(role="staff", department=department, email="official@example.com", name="李明")
    host = make_user(role="staff", department=department, email="host@example.com", name="王芳")
    people = {
        "department": department,
        "citizen": make_user(role="citizen", email="citizen@example.com", name="张三"),
        "citizen2": make_user(role="citizen", email="citizen2@example.com", name="赵四"),
        "staff": make_user(role="staff", department=department, email="staff@example.com", name="工作人员"),
        "moderator": make_user(role="moderator", email="moderator@example.com", name="审核员"),
        "admin": make_user(role="admin", email="admin@example.com", name="管理员"),
        "official": official,
        "host": host,
    }
    db.session.commit()
    return people


@pytest.fixture
def interview(people):
    """A live interview with a guest and a host linked to staff accounts; committed."""
    found = make_interview(people["department"], status="live", actor=people["moderator"], guests=[
        GuestData("李明", "发展改革委主任", user_email="official@example.com"),
        GuestData("王芳", "主持人", role="host", user_email="host@example.com")])
    db.session.commit()
    return found


@pytest.fixture
def sio(app):
    """``sio(user=None, auth=None)``: a connected ``/interviews`` test client signed in as *user*."""
    clients = []

    def _connect(user=None, auth=None, connect=True):
        http = app.test_client()
        if user is not None:
            with http.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
        # A connect gets an app context of its own, as under a server: the test's context (and
        # what Flask-Login cached on its ``g`` for an earlier client) is not the connection's.
        with app.app_context():
            client = SocketIOTestClient(app, socketio, namespace=NS, flask_test_client=http, auth=auth)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        if client.is_connected(NS):
            client.disconnect(namespace=NS)
