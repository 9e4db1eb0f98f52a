"""The fifteen importable entity types, one module per family; see :mod:`ingest.catalog`."""
