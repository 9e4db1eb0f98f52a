"""The demo's channel: each message appended as one JSON line to ``notifications.jsonl``
in a folder (under ``var/`` by default), where a person can watch them arrive.

The address is written masked (a demo file is no place for personal data in clear); the
body is written as sent.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from graph.model import Label
from graph.personal_data import mask_value
from notifications.channels.base import OutgoingMessage
from notifications.errors import ChannelError

__all__ = ["FILE_NAME", "FileChannel"]

FILE_NAME: Final = "notifications.jsonl"


class FileChannel:
    """Appends messages to ``directory / FILE_NAME``."""

    needs_address = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"FileChannel({str(self.directory)!r})"

    @property
    def path(self) -> Path:
        return self.directory / FILE_NAME

    def send(self, message: OutgoingMessage) -> str:
        provider_id = f"file:{hashlib.sha256(message.key.encode()).hexdigest()[:16]}"
        line = json.dumps({
            "id": provider_id, "key": message.key, "channel": message.channel,
            "party_id": message.party_id,
            "to": None if message.to is None else mask_value(Label.PHONE, "value", message.to),
            "subject": message.subject, "body": message.body,
            "written_at": datetime.now(UTC).isoformat()}, ensure_ascii=False)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # One write of one line, appended: lines of concurrent writers never interleave.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(descriptor, (line + "\n").encode())
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise ChannelError(f"cannot write {self.path}: {exc}", permanent=False) from exc
        return provider_id
