"""Entry module of ``dramatiq jobs.worker``: reads the settings and binds the broker.

An entry point (it reads ``Settings``), so that Dramatiq's worker processes use the broker
the settings name. No actors are declared yet: the reviews and collections work adds them,
imported here after the broker is bound, as Dramatiq requires.
"""

from __future__ import annotations

from jobs.broker import bind_broker
from loanwatch.settings import Settings

broker = bind_broker(Settings.from_environ().broker_url_value)
