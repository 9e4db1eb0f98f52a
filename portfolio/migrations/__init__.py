"""The Alembic migration history of every SQL table (relational records and embedded graph).

Run it with :func:`portfolio.database.migrate`. For development, ``alembic -c
portfolio/migrations/alembic.ini revision --autogenerate -m "..."`` writes a new revision
against the database named by ``LOANWATCH_DATABASE_URL``.
"""
