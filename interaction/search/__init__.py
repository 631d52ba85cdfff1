"""集中查询: one search over everything published (the engine is core's: ``interaction.core.search``).

``init_app`` registers the search page (``/search``), the administrators' page of the segmenter's
dictionary (``/admin/search/terms``) and the ``flask search`` commands (``reindex``). The API
(``GET /api/v1/search``) is mounted by ``interaction.api`` from ``interaction.search.api``.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from interaction.accounts.admin import register_admin_link
    from interaction.core import search  # noqa: F401 - its tables join the metadata (create_all, migrations)
    from interaction.search import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.search_cli)
    register_admin_link(app, "search.terms", _l("查询词库"), _l("集中查询切分中文时保留的政务词语。"))
