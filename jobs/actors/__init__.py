"""The job modules: each defines ``JOBS`` (and maybe ``SCHEDULES``), thin wrappers that
parse their arguments and call a service (see :mod:`jobs.catalog`)."""
