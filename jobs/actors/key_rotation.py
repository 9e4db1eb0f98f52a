"""The key rotation as a job: ``loanwatch keys rotate --background`` enqueues it.

The pass (:func:`jobs.key_rotation.reseal_all`) commits page by page and records where it
stands, so it is not atomic with its unit: it runs, then its unit is marked done. A worker
killed in the middle leaves the unit ``enqueued`` and its message unacknowledged; the
message comes back after the heartbeat window and the pass resumes from its last page.
The unit's key names the target key versions: asking again for the same versions while a
pass runs, or after it finished, enqueues nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from graph.vault import PersonalDataVault
from jobs.catalog import JobSpec
from jobs.errors import JobPayloadError
from jobs.key_rotation import DEFAULT_PAGE_SIZE, reseal_all
from jobs.runtime import JobContext
from jobs.units import UnitSpec

__all__ = ["JOBS", "MAINTENANCE_QUEUE", "ROTATE_KEYS", "rotation_unit"]

ROTATE_KEYS: Final = "rotate_keys"
MAINTENANCE_QUEUE: Final = "maintenance"
#: A pass over a large store takes long; it is resumable, so a limit only bounds a stuck one.
ROTATION_TIME_LIMIT_S: Final = 24 * 3_600.0


def rotate_keys(context: JobContext, page_size: int = DEFAULT_PAGE_SIZE) -> None:
    """Re-seal every personal value under the vault's newest keys (resumes a pass)."""
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise JobPayloadError(f"{ROTATE_KEYS}: page_size must be a positive integer, "
                              f"got {page_size!r}")
    runtime = context.runtime
    if runtime.vault is None:
        raise JobPayloadError(f"{ROTATE_KEYS}: this worker has no personal-data vault")
    reseal_all(runtime.graph(), runtime.engine, runtime.vault, page_size=page_size,
               clock=runtime.clock)


def rotation_unit(vault: PersonalDataVault, *, now: datetime,
                  page_size: int = DEFAULT_PAGE_SIZE) -> UnitSpec:
    """The unit of work of a pass to ``vault``'s newest key versions."""
    return UnitSpec(key=f"keys.rotate:data-v{vault.data_version}:hash-v{vault.hash_version}",
                    actor_name=ROTATE_KEYS, queue_name=MAINTENANCE_QUEUE, due_at=now,
                    args=(page_size,))


JOBS: Final = (JobSpec(ROTATE_KEYS, MAINTENANCE_QUEUE, rotate_keys, atomic=False,
                       time_limit_s=ROTATION_TIME_LIMIT_S),)
