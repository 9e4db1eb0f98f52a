"""Relational records kept in SQL through SQLModel: loans, repayment schedules,
repayments, credit-bureau snapshots, and the record of every import.

``portfolio.database`` makes engines and checks that the database answers; the tables are
created by the one migration history of the database, :mod:`loanwatch.migrations`.
"""
