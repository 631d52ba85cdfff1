"""The shared moderation queue: one queue for every channel; features register kinds."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
