"""Relational records kept in SQL through SQLModel: loans, repayment schedules,
repayments, credit-bureau snapshots, and the record of every import.

``portfolio.database`` makes engines, runs the migrations (``portfolio/migrations``, which
also create the embedded graph store's tables) and checks that the database answers.
"""
