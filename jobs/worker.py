"""Entry module for ``dramatiq jobs.worker``: binds the broker, then loads the actors.

The actors themselves (reviews, re-scoring, collections, notifications) live in
``jobs/actors/`` and are added by the jobs work; importing this module binds the broker
first, as Dramatiq requires.
"""

from __future__ import annotations

from jobs.broker import bind_broker
from loanwatch.settings import Settings

broker = bind_broker(Settings.from_environ())
