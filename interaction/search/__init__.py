"""集中查询: one search over everything published (the engine is core's: ``interaction.core.search``).

``init_app`` registers the search page (``/search``), the administrators' page of the segmenter's
dictionary (``/admin/search/terms``) and the ``flask search`` commands (``reindex``). The API
(``GET /api/v1/search``) is mounted by ``interaction.api`` from ``interaction.search.api``.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from interaction.core import search  # noqa: F401 - its tables join the metadata (create_all, migrations)
