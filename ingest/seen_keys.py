"""The keys of the rows read from one file so far, to reject a key's second appearance.

Keys are held in memory up to a limit; past it they are moved to a temporary SQLite file
on disk and looked up from there once per batch, so that a file of a hundred million rows
is checked exactly with memory that stays flat. Files below the limit never touch disk.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Sequence
from typing import Any, Final

__all__ = ["DEFAULT_MEMORY_KEYS", "SeenKeys"]

#: Keys held in memory before they move to disk (about 150 bytes each).
DEFAULT_MEMORY_KEYS: Final = 500_000
_IDS_PER_QUERY: Final = 500


class SeenKeys:
    """Row keys of one file and the line each was first seen on.

    Use :attr:`memory` directly on the hot path (``first = memory.setdefault(key, line)``),
    then once per batch ask :meth:`first_lines_on_disk` about the batch's keys and call
    :meth:`end_batch`. Keys are strings, integers or tuples of those.
    """

    def __init__(self, memory_keys: int = DEFAULT_MEMORY_KEYS) -> None:
        if memory_keys < 1:
            raise ValueError(f"memory_keys must be at least 1, got {memory_keys}")
        self.memory: dict[Any, int] = {}
        self._memory_keys = memory_keys
        self._disk: sqlite3.Connection | None = None
        self._path: str | None = None

    @property
    def on_disk(self) -> bool:
        return self._disk is not None

    def first_lines_on_disk(self, keys: Sequence[Any]) -> dict[Any, int]:
        """Of ``keys``, those moved to disk earlier, with the line each was first seen on."""
        if self._disk is None or not keys:
            return {}
        by_text = {repr(key): key for key in keys}
        texts = list(by_text)
        found: dict[Any, int] = {}
        for start in range(0, len(texts), _IDS_PER_QUERY):
            chunk = texts[start:start + _IDS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            for text, line in self._disk.execute(
                f"SELECT key, line FROM seen WHERE key IN ({marks})", chunk,
            ):
                found[by_text[text]] = line
        return found

    def end_batch(self) -> None:
        """Move the keys in memory to disk once there are more than the limit."""
        if len(self.memory) <= self._memory_keys:
            return
        if self._disk is None:
            handle, self._path = tempfile.mkstemp(prefix="loanwatch-import-keys-",
                                                  suffix=".sqlite")
            os.close(handle)
            self._disk = sqlite3.connect(self._path)
            # A scratch index: nothing here needs to survive a crash.
            self._disk.execute("PRAGMA journal_mode=OFF")
            self._disk.execute("PRAGMA synchronous=OFF")
            self._disk.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER NOT NULL)"
                               " WITHOUT ROWID")
        # repr() is one-to-one on strings, integers and tuples of them.
        self._disk.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)",
                               ((repr(key), line) for key, line in self.memory.items()))
        self._disk.commit()
        self.memory.clear()

    def close(self) -> None:
        """Forget every key and remove the file on disk."""
        self.memory.clear()
        if self._disk is not None:
            self._disk.close()
            self._disk = None
        if self._path is not None:
            os.unlink(self._path)
            self._path = None
