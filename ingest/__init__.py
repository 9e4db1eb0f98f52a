"""Bulk import of CSV and JSON Lines files (``docs/import-format.md``).

The entry point is :func:`ingest.importer.import_paths`; ``loanwatch import`` is its
command line. Modules: ``files`` (what to read, in which order), ``readers`` (streaming
CSV and JSON Lines), ``converters`` and ``rows`` (checking values), ``entities`` and
``catalog`` (the fifteen entity types), ``resolver`` (references), ``sql_records`` (SQL
upserts and import bookkeeping), ``report`` (what happened).
"""
