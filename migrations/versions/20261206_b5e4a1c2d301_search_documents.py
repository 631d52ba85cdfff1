"""Search: the index of published documents (core.search)

One table of what the public may read of each published item (letters, questions, transcripts),
with its index tokens in ``terms``: on PostgreSQL a tsvector under a GIN index; on SQLite the
tokens as text, indexed by a contentless FTS5 table kept in step by triggers (the same statements
core.search_index runs after create_all). The GIN index is declared on SQLite too, as an empty
partial index (WHERE 0), so that the schema equals the models on both databases. On PostgreSQL the
table keeps its rows whole up to a page (toast_tuple_target). And the
administrators' changes to the segmenter's dictionary (search_terms).

The index starts empty: `flask --app wsgi search reindex` fills it from what is published.

Revision ID: b5e4a1c2d301
Revises: c7b2e94f1a68
Create Date: 2026-12-06 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'b5e4a1c2d301'
down_revision = 'c7b2e94f1a68'
branch_labels = None
depends_on = None

# As in interaction/core/search_index.py (FTS_DDL), copied so that the revision never imports app code.
FTS_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='', detail=none, columnsize=0, "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
    "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
)


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('published_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('terms', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('type', 'key', name=op.f('uq_search_documents_type_key'))
    )
    op.create_index('ix_search_documents_terms', 'search_documents', ['terms'], unique=False,
                    postgresql_using='gin', sqlite_where=sa.text('0'))
    op.create_table('search_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=40), nullable=False),
    sa.Column('is_removed', sa.Boolean(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_terms')),
    sa.UniqueConstraint('word', name=op.f('uq_search_terms_word'))
    )
    if op.get_bind().dialect.name == 'sqlite':
        for statement in FTS_DDL:
            op.execute(statement)
    else:  # rows whole up to a page: the candidates' scan reads terms in the row (core.search_index)
        op.execute('ALTER TABLE search_documents SET (toast_tuple_target = 8160)')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TABLE IF EXISTS search_fts')  # its triggers go with search_documents
    op.drop_table('search_terms')
    op.drop_index('ix_search_documents_terms', table_name='search_documents', postgresql_using='gin',
                  sqlite_where=sa.text('0'))
    op.drop_table('search_documents')
