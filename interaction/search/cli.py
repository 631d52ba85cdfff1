"""``flask search reindex``: rebuild the index from every registered source, with a progress bar."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from interaction.core import search
from interaction.core.db import db
from interaction.core.search_index import SearchDocument

search_cli = AppGroup("search", help="集中查询的索引。")


@search_cli.command("reindex")
@click.option("--if-empty", is_flag=True,
              help="Only when the index holds nothing (make run: a database upgraded from before the search).")
def reindex(if_empty: bool):
    """Empty the search index and index everything published again, in one transaction.

    The sources are read twice: once to count (the bar's length), once to index.
    """
    if if_empty:
        held = db.session.scalar(select(func.count()).select_from(SearchDocument))
        if held:
            click.echo(f"the index holds {held} documents: nothing to do")
            return
    with current_app.test_request_context("/"):  # url_for for the documents' addresses
        total = sum(sum(1 for _ in documents()) for documents in search.sources().values())
        with click.progressbar(length=total, label="indexing", show_pos=True) as bar:
            count = search.rebuild(progress=bar.update)
        db.session.commit()
    click.echo(f"{count} documents indexed ({', '.join(sorted(search.sources())) or 'no sources'}).")
