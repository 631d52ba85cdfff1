"""Fixtures of the portal tests (issue 18): the Q&A world is borrowed from tests/qa."""

from tests.qa.conftest import qa  # noqa: F401 - the fixture, for questions' deadlines
