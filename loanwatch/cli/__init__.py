"""The ``loanwatch`` command line (see ``loanwatch.cli.main``).

OpenMP (LightGBM's and torch's threads) spins its idle threads by default; on a machine
whose few cores are busy with other work that made a LightGBM fit up to 30 times slower
than one thread (measured: 100 rounds on 30,000 rows, 50 s instead of 1.7 s). Passive
waiting is read once, when the OpenMP runtime loads, so it is set here, before any command
imports LightGBM or torch; a value the user set is kept.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
